"""Product ↔ standard mappings, keyed by (product, standard, type)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, select

from kb import audit
from kb.errors import BadInput
from kb.models import (
    MAPPING_TYPE_LABELS_VI,
    Mapping,
    MappingSource,
    MappingStatus,
    MappingType,
    Product,
    Standard,
    utcnow,
)
from kb.text import clean, fold
from kb.versioning import update_versioned

_TYPE_BY_LABEL = {fold(label): MappingType(value) for value, label in MAPPING_TYPE_LABELS_VI.items()}
_STATUS_VI = {"de xuat": "suggested", "goi y": "suggested", "da duyet": "approved", "duyet": "approved",
              "tu choi": "rejected", "bi tu choi": "rejected"}


def parse_type(value: str | MappingType | None) -> MappingType:
    """``test_method``, ``test method`` or the Vietnamese label (``Phương pháp thử``)."""
    if isinstance(value, MappingType):
        return value
    s = fold(value).replace("-", "_").replace(" ", "_")
    try:
        return MappingType(s)
    except ValueError:
        pass
    found = _TYPE_BY_LABEL.get(fold(value))
    if found is None:
        allowed = ", ".join(t.value for t in MappingType)
        raise BadInput(f"loại ánh xạ {clean(value)!r} không hợp lệ (dùng: {allowed})")
    return found


def parse_status(value: str | MappingStatus | None, default: MappingStatus = MappingStatus.approved) -> MappingStatus:
    if isinstance(value, MappingStatus):
        return value
    s = fold(value)
    if not s:
        return default
    try:
        return MappingStatus(_STATUS_VI.get(s, s))
    except ValueError:
        raise BadInput(f"trạng thái ánh xạ {clean(value)!r} không hợp lệ (suggested, approved, rejected)") from None


def upsert_mapping(
    session: Session,
    product: Product,
    standard: Standard,
    type: MappingType | str,
    rationale: str | None,
    legal_basis: str | None,
    status: MappingStatus | str,
    source: MappingSource | str,
    actor: str,
    score: float | None = None,
    reasons: Iterable[str] = (),
    *,
    keep_curated: bool = False,
) -> tuple[Mapping, str]:
    """Create or update the mapping (product, standard, type): returns it and created/updated/unchanged.

    Empty rationale/legal basis never erase what a curator wrote. With ``keep_curated`` (imports) an existing
    mapping keeps its decision and its texts: only a ``suggested`` status may change, only empty texts are
    filled, so re-running an import never undoes a curator's approval, rejection or wording.
    """
    mtype = parse_type(type)
    mstatus = parse_status(status)
    msource = MappingSource(source)
    values = {
        "rationale": clean(rationale) or None,
        "legal_basis": clean(legal_basis) or None,
        "status": mstatus,
        "score": score,
        "reasons": [clean(r) for r in reasons if clean(r)] or None,
    }
    values = {k: v for k, v in values.items() if v is not None}
    mapping = session.exec(
        select(Mapping).where(
            Mapping.product_id == product.id, Mapping.standard_id == standard.id, Mapping.type == mtype
        )
    ).first()
    label = f"{product.name} ↔ {standard.code} ({mtype.value})"
    if mapping is None:
        mapping = Mapping(product_id=product.id, standard_id=standard.id, type=mtype, source=msource,
                          created_by=actor, **values)
        if mstatus != MappingStatus.suggested:
            mapping.decided_by, mapping.decided_at = actor, utcnow()
        session.add(mapping)
        session.flush()
        audit.record(session, actor=actor, action="create", entity="mapping", entity_id=mapping.id,
                     after=audit.snapshot(mapping), summary=f"Tạo ánh xạ {label}")
        return mapping, "created"
    if keep_curated:
        if mapping.status != MappingStatus.suggested:
            values.pop("status", None)
        for text_field in ("rationale", "legal_basis"):
            if getattr(mapping, text_field):
                values.pop(text_field, None)
    if "status" in values and values["status"] != mapping.status:
        values = {**values, "decided_by": actor, "decided_at": utcnow()}
    changed = update_versioned(session, mapping, values, None, actor=actor, entity="mapping",
                               summary=f"Cập nhật ánh xạ {label}")
    return mapping, "updated" if changed else "unchanged"


def mappings_of_product(session: Session, product: Product, *, include_rejected: bool = False) -> list[Mapping]:
    q = select(Mapping).where(Mapping.product_id == product.id)
    if not include_rejected:
        q = q.where(Mapping.status != MappingStatus.rejected)
    return list(session.exec(q.order_by(Mapping.type, Mapping.id)).all())


def mappings_of_standard(session: Session, standard: Standard, *, include_rejected: bool = False) -> list[Mapping]:
    q = select(Mapping).where(Mapping.standard_id == standard.id)
    if not include_rejected:
        q = q.where(Mapping.status != MappingStatus.rejected)
    return list(session.exec(q.order_by(Mapping.product_id, Mapping.id)).all())
