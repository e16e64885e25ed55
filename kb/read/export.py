"""Open data: every approved product–standard mapping as a flat row (CSV and JSON export)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from kb.models import Mapping, MappingStatus, Product, Standard

EXPORT_COLUMNS = ("product_id", "product", "producer", "district", "standard", "standard_title", "standard_status",
                  "type", "rationale", "legal_basis", "decided_at")


def approved_mappings(session: Session) -> list[dict[str, Any]]:
    """Every approved mapping as a flat row (CSV and JSON export)."""
    rows = session.exec(
        select(Mapping, Product, Standard)
        .join(Product, col(Product.id) == Mapping.product_id)
        .join(Standard, col(Standard.id) == Mapping.standard_id)
        .where(Mapping.status == MappingStatus.approved)
        .order_by(Product.name, col(Product.id), Mapping.type, Standard.code)
    ).all()
    return [{
        "product_id": p.id, "product": p.name, "producer": p.producer, "district": p.district,
        "standard": s.code, "standard_title": s.title_vi or s.title_en, "standard_status": s.status.value,
        "type": m.type.value, "rationale": m.rationale, "legal_basis": m.legal_basis,
        "decided_at": m.decided_at.isoformat() if m.decided_at else None,
    } for m, p, s in rows]
