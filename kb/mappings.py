"""Product ↔ standard mappings, keyed by (product, standard, type): storage, the curator's decisions, and
what a replaced standard leaves behind (its impact, and moving its mappings to the new edition)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, overload

from sqlmodel import Session, col, func, select

from kb import audit, products, standards
from kb.errors import BadInput, NotFound
from kb.models import (
    MAPPING_TYPE_LABELS_VI,
    Criterion,
    Lab,
    LabScope,
    Mapping,
    MappingSource,
    MappingStatus,
    MappingType,
    MappingUpdate,
    Product,
    Standard,
    StandardStatus,
    payload,
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


@overload
def parse_status(value: str | MappingStatus | None, default: MappingStatus = ...) -> MappingStatus: ...
@overload
def parse_status(value: str | MappingStatus | None, default: None) -> MappingStatus | None: ...


def parse_status(
    value: str | MappingStatus | None, default: MappingStatus | None = MappingStatus.approved
) -> MappingStatus | None:
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
    values: dict[str, Any] = {
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
        assert product.id is not None and standard.id is not None  # stored records
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
    return list(session.exec(q.order_by(col(Mapping.type), col(Mapping.id))).all())


def mappings_of_standard(session: Session, standard: Standard, *, include_rejected: bool = False) -> list[Mapping]:
    q = select(Mapping).where(Mapping.standard_id == standard.id)
    if not include_rejected:
        q = q.where(Mapping.status != MappingStatus.rejected)
    return list(session.exec(q.order_by(col(Mapping.product_id), col(Mapping.id))).all())


# --- Curation: a curator's mappings and decisions -------------------------------------------------


def create_mapping(
    session: Session,
    product_ref: str | int,
    standard_code: str,
    type: str,
    rationale: str | None,
    legal_basis: str | None,
    actor: str,
) -> tuple[Mapping, bool]:
    """A curator's manual mapping, approved at once. Returns it and whether it is new."""
    if product_ref in (None, ""):
        raise BadInput("thiếu sản phẩm (product: tên hoặc mã số)")
    digits = str(product_ref).strip().lstrip("#")
    if digits.isdigit() and int(digits) > 2**31 - 1:  # PostgreSQL would fail on the lookup, not say 404
        raise NotFound(f"Không tìm thấy sản phẩm #{digits[:20]}")
    product = products.find_product(session, product_ref)
    std = standards.standard_named(session, standard_code)
    mapping, outcome = upsert_mapping(
        session, product, std, type, rationale, legal_basis, MappingStatus.approved, MappingSource.curator, actor
    )
    return mapping, outcome == "created"


def require_mapping(session: Session, mapping_id: int) -> Mapping:
    m = session.get(Mapping, mapping_id)
    if m is None:
        raise NotFound(f"Không tìm thấy ánh xạ #{mapping_id}")
    return m


def decide_mapping(
    session: Session,
    mapping_id: int,
    status: str,
    actor: str,
    *,
    note: str | None = None,
    expected_version: int | None = None,
) -> Mapping:
    """Approve or reject (a rejection needs a reason), or send back to suggested."""
    mapping = require_mapping(session, mapping_id)
    new_status = parse_status(status, default=None) if status else None
    if new_status is None:
        raise BadInput("thiếu trạng thái (status: approved, rejected hoặc suggested)")
    note = clean(note) or None
    if new_status == MappingStatus.rejected and not note:
        raise BadInput("từ chối cần ghi lý do")
    changes: dict[str, Any] = {"status": new_status, "decision_note": note}
    if new_status != mapping.status or note != mapping.decision_note:
        changes.update(decided_by=actor, decided_at=utcnow())
    verb = {"approved": "Duyệt", "rejected": "Từ chối", "suggested": "Đưa về đề xuất"}[new_status.value]
    update_versioned(session, mapping, changes, expected_version, actor=actor, entity="mapping",
                     action=new_status.value if new_status != MappingStatus.suggested else "update",
                     summary=f"{verb} ánh xạ #{mapping.id}" + (f": {note}" if note else ""))
    return mapping


def parse_mapping_changes(data: dict[str, Any]) -> MappingUpdate:
    """A curator's edit (form or API): an empty type keeps the stored one; an empty text clears it."""
    changes: dict[str, Any] = {}
    if data.get("type"):
        changes["type"] = parse_type(data["type"])
    for f in ("rationale", "legal_basis"):
        if f in data:
            changes[f] = clean(data[f]) or None
    return payload(MappingUpdate, changes)


def update_mapping(
    session: Session, mapping_id: int, data: MappingUpdate, expected_version: int | None, actor: str
) -> Mapping:
    mapping = require_mapping(session, mapping_id)
    changes = data.model_dump(exclude_unset=True)
    update_versioned(session, mapping, changes, expected_version, actor=actor, entity="mapping",
                     summary=f"Sửa ánh xạ #{mapping.id}")
    return mapping


def count_mappings(session: Session, status: MappingStatus) -> int:
    return session.exec(select(func.count()).select_from(Mapping).where(Mapping.status == status)).one()


def mapping_rows(session: Session, status: MappingStatus | None = None, limit: int = 200,
                 standard_id: int | None = None, product_id: int | None = None) -> list[dict[str, Any]]:
    """Mappings joined with their product and standard, best-scored suggestions first."""
    q = select(Mapping, Product, Standard).join(Product, col(Product.id) == col(Mapping.product_id)) \
        .join(Standard, col(Standard.id) == col(Mapping.standard_id))
    if status is not None:
        q = q.where(Mapping.status == status)
    if standard_id is not None:
        q = q.where(Mapping.standard_id == standard_id)
    if product_id is not None:
        q = q.where(Mapping.product_id == product_id)
    q = q.order_by(col(Mapping.score).desc(), col(Mapping.id)).limit(limit)
    return [{"mapping": m, "product": p, "standard": s} for m, p, s in session.exec(q).all()]


def mapping_row(session: Session, mapping: Mapping) -> dict[str, Any]:
    """One mapping with its product and standard, in the shape of :func:`mapping_rows`."""
    return {"mapping": mapping, "product": session.get(Product, mapping.product_id),
            "standard": session.get(Standard, mapping.standard_id)}


# --- Curation: replaced standards, their impact and repointing ------------------------------------


def repoint_mappings(session: Session, old: Standard, new: Standard, actor: str) -> dict[str, int]:
    """Move the live mappings of a replaced or withdrawn standard to the edition that replaces it.

    A product already mapped to ``new`` with the same type keeps that mapping; the old one is rejected
    with a note, so nothing is lost and the history reads well.
    """
    if old.id == new.id:
        raise BadInput("tiêu chuẩn mới trùng tiêu chuẩn cũ")
    counts = {"moved": 0, "merged": 0}
    live = session.exec(
        select(Mapping).where(Mapping.standard_id == old.id, Mapping.status != MappingStatus.rejected)
    ).all()
    for m in live:
        twin = session.exec(
            select(Mapping).where(Mapping.product_id == m.product_id, Mapping.standard_id == new.id,
                                  Mapping.type == m.type)
        ).first()
        if twin is None:
            update_versioned(session, m, {"standard_id": new.id}, None, actor=actor, entity="mapping",
                             summary=f"Chuyển ánh xạ #{m.id} từ {old.code} sang {new.code}")
            counts["moved"] += 1
        else:
            update_versioned(session, m, {"status": MappingStatus.rejected, "decided_by": actor,
                                          "decided_at": utcnow(),
                                          "decision_note": f"đã có ánh xạ #{twin.id} tới {new.code}"},
                             None, actor=actor, entity="mapping",
                             summary=f"Gộp ánh xạ #{m.id} vào #{twin.id} ({new.code})")
            counts["merged"] += 1
    return counts


def repoint_to(session: Session, standard_id: int, replacement: str, actor: str) -> dict[str, int]:
    """:func:`repoint_mappings` from the standard #``standard_id`` to the one a curator typed."""
    old = standards.standard_by_id(session, standard_id)
    new = standards.get_standard(session, replacement)
    if new is None:
        raise BadInput(f"tiêu chuẩn thay thế {replacement!r} chưa có trong cơ sở dữ liệu")
    return repoint_mappings(session, old, new, actor)


def impact(session: Session) -> list[dict[str, Any]]:
    """Replaced or withdrawn standards that still carry live mappings, criteria methods or lab scope rows."""
    out = []
    stale = session.exec(
        select(Standard).where(col(Standard.status).in_([StandardStatus.replaced, StandardStatus.withdrawn]))
        .order_by(col(Standard.code))
    ).all()
    for std in stale:
        maps = mapping_rows(session, standard_id=std.id)
        maps = [r for r in maps if r["mapping"].status != MappingStatus.rejected]
        criteria = session.exec(select(Criterion).where(Criterion.method_code == std.code)).all()
        scope_rows = session.exec(
            select(LabScope, Lab).join(Lab, col(Lab.id) == col(LabScope.lab_id))
            .where(col(LabScope.method_codes).is_not(None), col(LabScope.method_series).like(f"%|{std.series_key}|%"))
        ).all()
        scope = [(r, lab) for r, lab in scope_rows if std.code in (r.method_codes or [])]
        if not (maps or criteria or scope):
            continue
        chain = standards.replaced_by_chain(session, std)
        replacement = None
        for code in reversed(chain):
            replacement = standards.get_standard(session, code)
            if replacement is not None:
                break
        out.append({"standard": std, "mappings": maps, "criteria": list(criteria), "scope": scope,
                    "replaced_by": chain, "replacement": replacement})
    return out
