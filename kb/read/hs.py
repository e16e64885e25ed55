"""An HS code's page: what the nomenclature calls it, the products filed under it, and the risk-list rows
that name it on a date."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from kb import hs, hscodes
from kb.models import MappingStatus, Product, ProductHsCode
from kb.read.regulatory import CONTROL_LABELS_VI, RISK_LABELS_VI, requirements_on
from kb.urls import product_url


def hs_detail(session: Session, code: str, on: date | None = None) -> dict[str, Any]:
    """``code`` in any spelling (BadInput when it is not an HS code)."""
    digits = hs.normalize_hs(code, "mã HS")
    on = on or date.today()
    family = [digits[:n] for n in (2, 4, 6, 8) if n <= len(digits)]
    names = hscodes.descriptions(session, family)
    # Products filed under the code, or under a shorter code that covers it.
    rows = session.exec(
        select(Product.id, Product.name, ProductHsCode.code)
        .join(ProductHsCode, col(ProductHsCode.product_id) == Product.id)
        .where(ProductHsCode.status == MappingStatus.approved,
               or_(col(ProductHsCode.code).startswith(digits), col(ProductHsCode.code).in_(family)))
        .order_by(col(Product.name))
    ).all()
    seen: dict[int, dict[str, Any]] = {}
    for pid, name, pcode in rows:
        if pid is not None:
            seen.setdefault(pid, {"id": pid, "name": name, "url": product_url(pid), "hs_codes": []})["hs_codes"].append(
                hs.dotted(pcode))
    answer = requirements_on(session, [digits], on)
    return {
        "code": digits,
        "dotted": hs.dotted(digits),
        "description": names.get(digits),
        "path": [{"code": c, "dotted": hs.dotted(c), "description": names[c]} for c in family if c in names and c != digits],
        "on": on,
        "products": list(seen.values()),
        "requirements": [{**r, "control_label": CONTROL_LABELS_VI.get(r["control"], r["control"]),
                          "risk_label": RISK_LABELS_VI.get(r["risk"] or "unknown")} for r in answer["requirements"]],
        "url": f"/hs/{digits}",
    }
