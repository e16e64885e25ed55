"""Curator and lab self-service services: the only way the web changes curated records.

Every change goes through ``kb.versioning`` (compare-and-set of the record's ``version``, a stale edit
is a 409) and is written to the audit log with before/after; :func:`revert_event` undoes one logged
change.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import Session, SQLModel, col, select

from kb import audit, labs, mappings, products, standards
from kb.errors import BadInput, Conflict, NotFound
from kb.models import (
    AuditEvent,
    CategoryRule,
    Criterion,
    Lab,
    LabScope,
    Mapping,
    MappingSource,
    MappingStatus,
    Product,
    Standard,
    StandardStatus,
    utcnow,
)
from kb.text import clean, fold
from kb.versioning import delete_versioned, update_versioned

#: Audit entity name → table, for revert and the audit log links.
ENTITIES: dict[str, type[SQLModel]] = {
    "mapping": Mapping,
    "lab_scope": LabScope,
    "lab": Lab,
    "product": Product,
    "standard": Standard,
    "category_rule": CategoryRule,
}
#: Entities whose creation may be undone by deleting the record (nothing else hangs on them).
DELETABLE_ON_REVERT = {"mapping", "lab_scope", "category_rule"}
_BOOKKEEPING = {"id", "version", "created_at", "updated_at"}


def jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: audit.jsonable(v) for k, v in values.items()}


# --- Labs and their scope -------------------------------------------------------------------------


def scope_row(session: Session, lab: Lab, row_id: int) -> LabScope:
    row = session.get(LabScope, row_id)
    if row is None or row.lab_id != lab.id:
        raise NotFound(f"Không có dòng phạm vi #{row_id} của phòng thí nghiệm {lab.accreditation}")
    return row


def add_scope(session: Session, lab: Lab, data: dict[str, Any], actor: str) -> LabScope:
    return labs.add_scope_row(session, lab, data, actor)


def update_scope(
    session: Session, lab: Lab, row_id: int, data: dict[str, Any], expected_version: int | None, actor: str
) -> LabScope:
    row = scope_row(session, lab, row_id)
    values = labs.scope_values(data)  # same cleaning and method-code indexing as import and add
    update_versioned(session, row, values, expected_version, actor=actor, entity="lab_scope",
                     summary=f"Sửa phạm vi {lab.accreditation}: {values['test'][:80]}")
    return row


def delete_scope(session: Session, lab: Lab, row_id: int, expected_version: int | None, actor: str) -> None:
    row = scope_row(session, lab, row_id)
    delete_versioned(session, row, expected_version, actor=actor, entity="lab_scope",
                     summary=f"Xóa khỏi phạm vi {lab.accreditation}: {row.test[:80]}")


#: Profile fields a lab user may edit (``is_sample`` and the accreditation itself stay with curators).
LAB_PROFILE_FIELDS = ("name", "organization", "valid_from", "valid_until", "address", "district", "phone",
                      "email", "website")


def update_lab_profile(
    session: Session, lab: Lab, data: dict[str, Any], expected_version: int | None, actor: str
) -> Lab:
    values: dict[str, Any] = {}
    for f in LAB_PROFILE_FIELDS:
        if f in data:
            v = data[f]
            values[f] = labs.coerce_lab_value(f, v if v not in ("",) else None)
    if "name" in values and not values["name"]:
        raise BadInput("tên phòng thí nghiệm không được để trống")
    vf = values.get("valid_from", lab.valid_from)
    vu = values.get("valid_until", lab.valid_until)
    if vf and vu and vu < vf:
        raise BadInput(f"ngày hết hiệu lực ({vu}) trước ngày bắt đầu ({vf})")
    update_versioned(session, lab, values, expected_version, actor=actor, entity="lab",
                     summary=f"Cập nhật hồ sơ phòng thí nghiệm {lab.accreditation}")
    return lab


def verify_lab(session: Session, lab: Lab, actor: str) -> Lab:
    """Mark the listing verified now. Does not touch ``updated_at``, which tells whether it changed since."""
    before = {"verified_at": audit.jsonable(lab.verified_at), "verified_by": lab.verified_by}
    lab.verified_at, lab.verified_by = utcnow(), actor
    session.add(lab)
    session.flush()
    audit.record(session, actor=actor, action="verify", entity="lab", entity_id=lab.id, before=before,
                 after={"verified_at": audit.jsonable(lab.verified_at), "verified_by": actor},
                 summary=f"Xác minh phòng thí nghiệm {lab.accreditation}")
    return lab


def _aware(dt: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes for values stored as UTC.
    if dt is not None and dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt


def changed_since_verification(session: Session, lab: Lab) -> bool | None:
    """None when never verified; True when the profile or any scope row changed after verification
    (edits, additions, imports and deletions all count)."""
    at = _aware(lab.verified_at)
    if at is None:
        return None
    if _aware(lab.updated_at) > at:
        return True
    newer = session.exec(
        select(LabScope.id).where(LabScope.lab_id == lab.id, col(LabScope.updated_at) > lab.verified_at).limit(1)
    ).first()
    if newer is not None:
        return True
    deletions = session.exec(
        select(AuditEvent).where(AuditEvent.entity == "lab_scope", AuditEvent.action == "delete",
                                 col(AuditEvent.at) > lab.verified_at)
    ).all()
    return any((e.before or {}).get("lab_id") == lab.id for e in deletions)


def method_flags(session: Session, rows: list[LabScope]) -> dict[int, list[dict[str, Any]]]:
    """For each scope row, its method standards resolved to catalogue records; superseded ones carry the
    editions that replaced them."""
    cache: dict[str, dict[str, Any]] = {}
    out: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        items = []
        for code in row.method_codes or []:
            if code not in cache:
                std = standards.get_standard(session, code)
                info: dict[str, Any] = {"code": code, "standard": None, "status": None, "replaced_by": []}
                if std is not None:
                    info.update(standard=std.code, status=std.status.value)
                    if std.status in (StandardStatus.replaced, StandardStatus.withdrawn):
                        info["replaced_by"] = standards.replaced_by_chain(session, std)
                info["superseded"] = info["status"] in ("replaced", "withdrawn")
                cache[code] = info
            items.append(cache[code])
        out[row.id] = items
    return out


# --- Mappings -------------------------------------------------------------------------------------


def _standard_for(session: Session, code: str) -> Standard:
    std = standards.get_standard(session, code or "")
    if std is None:
        standards.designation(code)  # an unparseable code says so
        raise BadInput(f"tiêu chuẩn {clean(code)[:80]!r} chưa có trong cơ sở dữ liệu")
    return std


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
    std = _standard_for(session, standard_code)
    mapping, outcome = mappings.upsert_mapping(
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
    new_status = mappings.parse_status(status, default=None) if status else None
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


def update_mapping(
    session: Session, mapping_id: int, data: dict[str, Any], expected_version: int | None, actor: str
) -> Mapping:
    mapping = require_mapping(session, mapping_id)
    changes: dict[str, Any] = {}
    if "type" in data and data["type"]:
        changes["type"] = mappings.parse_type(data["type"])
    for f in ("rationale", "legal_basis"):
        if f in data:
            changes[f] = clean(data[f]) or None
    update_versioned(session, mapping, changes, expected_version, actor=actor, entity="mapping",
                     summary=f"Sửa ánh xạ #{mapping.id}")
    return mapping


def mapping_rows(session: Session, status: MappingStatus | None = None, limit: int = 200,
                 standard_id: int | None = None, product_id: int | None = None) -> list[dict[str, Any]]:
    """Mappings joined with their product and standard, best-scored suggestions first."""
    q = select(Mapping, Product, Standard).join(Product, Product.id == Mapping.product_id) \
        .join(Standard, Standard.id == Mapping.standard_id)
    if status is not None:
        q = q.where(Mapping.status == status)
    if standard_id is not None:
        q = q.where(Mapping.standard_id == standard_id)
    if product_id is not None:
        q = q.where(Mapping.product_id == product_id)
    q = q.order_by(col(Mapping.score).desc(), Mapping.id).limit(limit)
    return [{"mapping": m, "product": p, "standard": s} for m, p, s in session.exec(q).all()]


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


def impact(session: Session) -> list[dict[str, Any]]:
    """Replaced or withdrawn standards that still carry live mappings, criteria methods or lab scope rows."""
    out = []
    stale = session.exec(
        select(Standard).where(col(Standard.status).in_([StandardStatus.replaced, StandardStatus.withdrawn]))
        .order_by(Standard.code)
    ).all()
    for std in stale:
        maps = mapping_rows(session, standard_id=std.id)
        maps = [r for r in maps if r["mapping"].status != MappingStatus.rejected]
        criteria = session.exec(select(Criterion).where(Criterion.method_code == std.code)).all()
        scope = session.exec(
            select(LabScope, Lab).join(Lab, Lab.id == LabScope.lab_id)
            .where(col(LabScope.method_codes).is_not(None), col(LabScope.method_series).like(f"%|{std.series_key}|%"))
        ).all()
        scope = [(r, lab) for r, lab in scope if std.code in (r.method_codes or [])]
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


# --- Category rules -------------------------------------------------------------------------------


def add_rule(session: Session, category: str, standard_code: str, type: str, rationale: str | None,
             legal_basis: str | None, actor: str) -> tuple[CategoryRule, int]:
    """A rule category → standard, and a suggestion for every product of the category. Returns the rule and
    the number of suggestions made."""
    category = clean(category)
    if not category:
        raise BadInput("thiếu nhóm sản phẩm (category)")
    std = _standard_for(session, standard_code)
    mtype = mappings.parse_type(type)
    exists = session.exec(select(CategoryRule).where(
        CategoryRule.category == category, CategoryRule.standard_code == std.code, CategoryRule.type == mtype)).first()
    if exists is not None:
        raise Conflict(f"đã có quy tắc {category} → {std.code} ({mtype.value})")
    rule = CategoryRule(category=category, standard_code=std.code, type=mtype,
                        rationale=clean(rationale) or None, legal_basis=clean(legal_basis) or None)
    session.add(rule)
    session.flush()
    audit.record(session, actor=actor, action="create", entity="category_rule", entity_id=rule.id,
                 after=audit.snapshot(rule), summary=f"Quy tắc nhóm {category} → {std.code}")
    return rule, apply_rule(session, rule, actor)


def apply_rule(session: Session, rule: CategoryRule, actor: str) -> int:
    """Suggest the rule's standard for each product of its category that has no such mapping yet."""
    std = _standard_for(session, rule.standard_code)
    want = fold(rule.category)
    made = 0
    for product in session.exec(select(Product).where(col(Product.category).is_not(None))).all():
        if fold(product.category) != want:
            continue
        exists = session.exec(select(Mapping.id).where(
            Mapping.product_id == product.id, Mapping.standard_id == std.id, Mapping.type == rule.type)).first()
        if exists is not None:
            continue  # never downgrade a decided mapping to a suggestion
        mappings.upsert_mapping(session, product, std, rule.type, rule.rationale, rule.legal_basis,
                                MappingStatus.suggested, MappingSource.auto, actor, score=1.0,
                                reasons=[f"Quy tắc nhóm sản phẩm: {rule.category}"])
        made += 1
    return made


def delete_rule(session: Session, rule_id: int, actor: str) -> None:
    rule = session.get(CategoryRule, rule_id)
    if rule is None:
        raise NotFound(f"Không có quy tắc #{rule_id}")
    audit.record(session, actor=actor, action="delete", entity="category_rule", entity_id=rule.id,
                 before=audit.snapshot(rule), summary=f"Xóa quy tắc {rule.category} → {rule.standard_code}")
    session.delete(rule)
    session.flush()


# --- Products -------------------------------------------------------------------------------------


def create_product(session: Session, data: dict[str, Any], actor: str) -> Product:
    key = products.identity(data.get("name"), data.get("producer"))
    if key in products.product_index(session):
        raise Conflict(f"đã có sản phẩm {clean(data.get('name'))!r} của {clean(data.get('producer')) or 'nhà sản xuất này'}")
    return products.upsert_product(session, data, actor)[0]


def update_product(session: Session, product_id: int, data: dict[str, Any], expected_version: int | None,
                   actor: str) -> Product:
    product = products.require_product(session, product_id)
    changes: dict[str, Any] = {}
    for f in products.PRODUCT_FIELDS:
        if f in data:
            v = data[f]
            changes[f] = products.coerce_field(f, v if v != "" else None)
    if "name" in changes and not changes["name"]:
        raise BadInput("sản phẩm thiếu tên (name)")
    if "aliases" in changes and changes["aliases"] is None:
        changes["aliases"] = []
    update_versioned(session, product, changes, expected_version, actor=actor, entity="product",
                     summary=f"Sửa sản phẩm {changes.get('name') or product.name}")
    session.info.pop(products._INDEX, None)  # name or producer may have changed
    return product


# --- Review of ingested standards -----------------------------------------------------------------


def review_queue(session: Session, limit: int = 100) -> list[Standard]:
    """Standards made from an ingested document with at least one extracted field not yet verified."""
    rows = session.exec(
        select(Standard).where(col(Standard.document_id).is_not(None)).order_by(col(Standard.updated_at).desc())
    ).all()
    pending = [s for s in rows if any(not p.get("verified") for p in (s.provenance or {}).values())]
    return pending[:limit]


def _coerce_standard_value(field: str, value: Any) -> Any:
    if value in (None, ""):
        return None
    if field == "status":
        try:
            return StandardStatus(value)
        except ValueError:
            raise BadInput(f"trạng thái {value!r} không hợp lệ") from None
    if field == "mandatory":
        return value in (True, "1", "true", "on", "yes")
    if field == "effective_date":
        try:
            return value if isinstance(value, date) else date.fromisoformat(str(value))
        except ValueError:
            raise BadInput(f"ngày hiệu lực {value!r} không hợp lệ (YYYY-MM-DD)") from None
    return clean(str(value)) or None


def review_standard(
    session: Session, standard_id: int, corrections: dict[str, Any], expected_version: int | None, actor: str
) -> Standard:
    """Approve the extracted fields of a standard, correcting some. Every field in the provenance and every
    corrected field becomes ``verified``: later ingests and imports leave it alone (kb.standards)."""
    std = session.get(Standard, standard_id)
    if std is None:
        raise NotFound(f"Không tìm thấy tiêu chuẩn #{standard_id}")
    changes: dict[str, Any] = {}
    for f, v in corrections.items():
        if f not in standards.EDITABLE_FIELDS:
            raise BadInput(f"trường {f!r} không sửa được ở đây")
        v = _coerce_standard_value(f, v)
        if f == "status" and v is None:
            continue
        if getattr(std, f) != v:
            changes[f] = v
    prov = {k: dict(p) for k, p in (std.provenance or {}).items()}
    for f in set(prov) | set(changes):
        p = prov.setdefault(f, {"page": None, "method": "curator"})
        if f in changes:
            p["method"] = "curator"
        p["verified"], p["by"] = True, actor
    changes["provenance"] = prov
    update_versioned(session, std, changes, expected_version, actor=actor, entity="standard", action="approve",
                     summary=f"Duyệt trích xuất {std.code}" + (f" (sửa {', '.join(sorted(set(changes) - {'provenance'}))})"
                                                            if len(changes) > 1 else ""))
    return std


# --- Audit log and revert -------------------------------------------------------------------------


def audit_events(
    session: Session,
    *,
    entity: str | None = None,
    entity_id: int | None = None,
    actor: str | None = None,
    action: str | None = None,
    days: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[AuditEvent]:
    q = select(AuditEvent)
    if entity:
        q = q.where(AuditEvent.entity == entity)
    if entity_id is not None:
        q = q.where(AuditEvent.entity_id == entity_id)
    if actor:
        q = q.where(AuditEvent.actor == actor)
    if action:
        q = q.where(AuditEvent.action == action)
    if days:
        q = q.where(col(AuditEvent.at) >= utcnow() - timedelta(days=days))
    return list(session.exec(q.order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
                             .offset(offset).limit(limit)).all())


def _coerce_column(model: type[SQLModel], field: str, value: Any) -> Any:
    """Turn a JSON value from an audit snapshot back into the column's Python type."""
    if value is None:
        return None
    try:
        py = model.__table__.c[field].type.python_type
    except (KeyError, NotImplementedError):
        return value
    if isinstance(py, type) and issubclass(py, enum.Enum):
        return py(value)
    if py is datetime and isinstance(value, str):
        return datetime.fromisoformat(value)
    if py is date and isinstance(value, str):
        return date.fromisoformat(value)
    return value


def _columns(model: type[SQLModel]) -> set[str]:
    return set(model.__table__.c.keys())


def revertable(event: AuditEvent) -> bool:
    model = ENTITIES.get(event.entity)
    if model is None:
        return False
    cols = _columns(model)
    if event.before and event.after:
        return set(event.after) <= cols and set(event.before) <= cols
    if event.after and not event.before:
        return event.entity in DELETABLE_ON_REVERT and event.action == "create"
    if event.before and not event.after:
        return event.action == "delete" and set(event.before) <= cols
    return False


def revert_event(session: Session, event_id: int, actor: str) -> AuditEvent:
    """Undo one logged change: an update gets its old values back (only if nobody changed those fields
    since), a creation is deleted, a deletion is re-created. The revert is itself logged."""
    event = session.get(AuditEvent, event_id)
    if event is None:
        raise NotFound(f"Không có sự kiện nhật ký #{event_id}")
    if not revertable(event):
        raise BadInput(f"sự kiện #{event_id} ({event.action} {event.entity}) không hoàn tác được")
    model = ENTITIES[event.entity]
    label = f"Hoàn tác sự kiện #{event.id}: {event.summary or event.action}"
    obj = session.get(model, event.entity_id) if event.entity_id is not None else None

    if event.before and event.after:  # an update (including approve/reject/verify and earlier reverts)
        if obj is None:
            raise Conflict(f"bản ghi {event.entity} #{event.entity_id} không còn nữa")
        now = audit.snapshot(obj)
        moved = [k for k, v in event.after.items() if now.get(k) != v and k not in _BOOKKEEPING]
        if moved:
            raise Conflict(f"không hoàn tác được: {', '.join(moved)} đã thay đổi sau sự kiện #{event.id}")
        changes = {k: _coerce_column(model, k, v) for k, v in event.before.items() if k not in _BOOKKEEPING}
        if hasattr(obj, "version"):
            update_versioned(session, obj, changes, None, actor=actor, entity=event.entity, action="revert",
                             summary=label)
        else:
            for k, v in changes.items():
                setattr(obj, k, v)
            session.add(obj)
            audit.record(session, actor=actor, action="revert", entity=event.entity, entity_id=obj.id,
                         before={k: now.get(k) for k in changes}, after=jsonable(event.before), summary=label)
    elif event.after:  # a creation
        if obj is None:
            raise Conflict(f"bản ghi {event.entity} #{event.entity_id} đã bị xóa")
        if hasattr(obj, "version"):
            delete_versioned(session, obj, None, actor=actor, entity=event.entity, summary=label)
        else:
            audit.record(session, actor=actor, action="delete", entity=event.entity, entity_id=obj.id,
                         before=audit.snapshot(obj), summary=label)
            session.delete(obj)
    else:  # a deletion: re-create it, under a new id if the old one is taken
        values = {k: _coerce_column(model, k, v) for k, v in event.before.items()
                  if k not in ({"version", "created_at", "updated_at"})}
        if values.get("id") is not None and session.get(model, values["id"]) is not None:
            values.pop("id")
        obj = model(**values)
        session.add(obj)
        session.flush()
        audit.record(session, actor=actor, action="create", entity=event.entity, entity_id=obj.id,
                     after=audit.snapshot(obj), summary=label)
    session.flush()
    return event
