"""Product ↔ standard mappings, keyed by (product, standard, type): storage, the curator's decisions, and
what a replaced standard leaves behind (its impact, and moving its mappings to the new edition)."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping as MappingOf
from dataclasses import dataclass, field
from typing import Any, Literal, overload

from sqlmodel import Session, col, func, select

from kb import audit, codes, products, standards
from kb.errors import BadInput, Conflict, NotFound
from kb.models import (
    MAPPING_TYPE_LABELS_VI,
    AuditEvent,
    Criterion,
    Lab,
    LabScope,
    Mapping,
    MappingSource,
    MappingStatus,
    MappingType,
    MappingUpdate,
    Product,
    ProductGroup,
    ProductGroupMember,
    Standard,
    StandardStatus,
    payload,
    pk,
    utcnow,
)
from kb.text import clean, fold, is_digits
from kb.versioning import StaleEdit, update_versioned

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
    if is_digits(digits) and int(digits) > 2**31 - 1:  # PostgreSQL would fail on the lookup, not say 404
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
                     summary=f"{verb} ánh xạ {mapping_label(session, mapping)} (#{mapping.id})"
                     + (f": {note}" if note else ""))
    return mapping


def mapping_label(session: Session, mapping: Mapping) -> str:
    """``Bánh phu thê Đình Bảng → QCVN 8-1:2011/BYT``: what a curator recognises, unlike ``#114``."""
    product = session.get(Product, mapping.product_id)
    standard = session.get(Standard, mapping.standard_id)
    return (f"{product.name if product else f'sản phẩm #{mapping.product_id}'} → "
            f"{standard.code if standard else f'tiêu chuẩn #{mapping.standard_id}'}")


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
    new_type = changes.get("type")
    if new_type is not None and new_type != mapping.type:  # the pair may hold each type once (unique constraint)
        twin = session.exec(select(Mapping.id).where(Mapping.product_id == mapping.product_id,
                                                     Mapping.standard_id == mapping.standard_id,
                                                     Mapping.type == new_type)).first()
        if twin is not None:
            raise Conflict(f"Đã có ánh xạ #{twin} cùng sản phẩm, cùng tiêu chuẩn với loại này: "
                           f"sửa ánh xạ đó thay vì đổi loại ánh xạ #{mapping.id}.")
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


# --- Curation: the suggestion queue, its filters, groups and bulk decisions ------------------------

#: The most mappings one bulk decision may name (API and form): a wider batch is refused, not truncated.
MAX_BULK = 500
SOURCE_LABELS_VI = {"auto": "Tự động", "curator": "Cán bộ biên tập", "import": "Nhập từ tệp"}
GroupBy = Literal["standard", "product"]


@dataclass(frozen=True)
class QueueFilter:
    """Which mappings a queue view or ``GET /api/mappings`` shows. ``None`` means "any"; the id sets are the
    products or standards the typed filters resolved to (an empty set: nothing matches)."""

    status: MappingStatus | None = MappingStatus.suggested
    product_ids: frozenset[int] | None = None
    standard_ids: frozenset[int] | None = None
    type: MappingType | None = None
    min_score: float | None = None
    source: MappingSource | None = None
    #: What the curator typed or chose, cleaned, to fill the filter form and the links again.
    given: dict[str, str] = field(default_factory=dict)


def _products_named(session: Session, text: str) -> frozenset[int]:
    """A product id (``12``, ``#12``) or a piece of its name, accents optional (``banh phu``)."""
    digits = text.lstrip("#")
    if is_digits(digits):
        return frozenset({int(digits)}) if int(digits) <= 2**31 - 1 else frozenset()
    want = fold(text)
    return frozenset(pid for pid, name in session.exec(select(Product.id, Product.name)).all()
                     if pid is not None and want in fold(name))


def _group_products(session: Session, slug: str) -> frozenset[int]:
    """The members of a group and of the groups under it (a curator removing a member keeps it out)."""
    group = session.exec(select(ProductGroup).where(ProductGroup.slug == clean(slug).lower())).first()
    if group is None:
        raise BadInput(f"không có nhóm sản phẩm {clean(slug)[:80]!r}")
    ids, todo = {group.id}, [group.id]
    while todo:
        kids = session.exec(select(ProductGroup.id).where(col(ProductGroup.parent_id).in_(todo))).all()
        todo = [k for k in kids if k not in ids]
        ids.update(todo)
    rows = session.exec(select(ProductGroupMember.product_id).where(
        col(ProductGroupMember.group_id).in_(ids), col(ProductGroupMember.excluded).is_(False))).all()
    return frozenset(rows)


def _standards_named(session: Session, text: str) -> frozenset[int]:
    """A designation in any spelling: dated, that edition; undated (``TCVN 4884-1``), every edition."""
    found = codes.parse_query(text)
    if not found:
        raise BadInput(f"không nhận ra ký hiệu tiêu chuẩn {clean(text)[:80]!r} (ví dụ: TCVN 4884-1:2015)")
    for d in found:
        editions = standards.editions_for(session, d)
        if editions:
            return frozenset(pk(e) for e in editions)
    return frozenset()


def parse_queue_filter(
    session: Session, *, product: str | None = None, group: str | None = None, standard: str | None = None,
    type: str | None = None, min_score: str | float | None = None, source: str | None = None,
    status: str | None = "suggested",
) -> QueueFilter:
    """The filters as a form or a query string gives them (all text); a bad value raises :class:`BadInput`.
    ``status`` ``""``/``all``: every status."""
    given = {k: clean(str(v)) for k, v in {"product": product, "group": group, "standard": standard, "type": type,
                                           "min_score": min_score, "source": source}.items() if clean(str(v or ""))}
    product_ids = _products_named(session, given["product"]) if "product" in given else None
    if "group" in given:
        members = _group_products(session, given["group"])
        product_ids = members if product_ids is None else product_ids & members
    score = None
    if "min_score" in given:
        try:
            score = float(given["min_score"].replace(",", "."))
        except ValueError:
            raise BadInput(f"điểm tối thiểu {given['min_score'][:20]!r} phải là số từ 0 đến 1") from None
        if not 0 <= score <= 1:
            raise BadInput("điểm tối thiểu phải từ 0 đến 1")
    msource = None
    if "source" in given:
        try:
            msource = MappingSource(given["source"].lower())
        except ValueError:
            raise BadInput(f"nguồn {given['source'][:40]!r} không hợp lệ (auto, curator, import)") from None
    wanted_status = None if fold(status) in ("", "all", "tat ca") else parse_status(status, default=None)
    return QueueFilter(
        status=wanted_status, product_ids=product_ids,
        standard_ids=_standards_named(session, given["standard"]) if "standard" in given else None,
        type=parse_type(given["type"]) if "type" in given else None,
        min_score=score, source=msource, given=given,
    )


def _filtered(q: Any, f: QueueFilter) -> Any:  # sqlmodel types each select's shape apart
    if f.status is not None:
        q = q.where(Mapping.status == f.status)
    if f.product_ids is not None:
        q = q.where(col(Mapping.product_id).in_(sorted(f.product_ids)))
    if f.standard_ids is not None:
        q = q.where(col(Mapping.standard_id).in_(sorted(f.standard_ids)))
    if f.type is not None:
        q = q.where(Mapping.type == f.type)
    if f.min_score is not None:
        q = q.where(col(Mapping.score) >= f.min_score)
    if f.source is not None:
        q = q.where(Mapping.source == f.source)
    return q


def _joined() -> Any:
    return select(Mapping, Product, Standard).join(Product, col(Product.id) == col(Mapping.product_id)) \
        .join(Standard, col(Standard.id) == col(Mapping.standard_id))


def _best_first(q: Any) -> Any:
    # NULL scores (a curator's or an import's) last on both databases
    return q.order_by(col(Mapping.score).is_(None), col(Mapping.score).desc(), col(Mapping.id))


def queue_count(session: Session, f: QueueFilter) -> int:
    return session.exec(_filtered(select(func.count()).select_from(Mapping), f)).one()


def queue_rows(session: Session, f: QueueFilter, *, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
    """One page of the filtered mappings, best-scored first, in the shape of :func:`mapping_rows`."""
    q = _best_first(_filtered(_joined(), f)).offset(offset).limit(limit)
    return [{"mapping": m, "product": p, "standard": s} for m, p, s in session.exec(q).all()]


def queue_groups(session: Session, f: QueueFilter, by: GroupBy, *, limit: int = 20, offset: int = 0,
                 per_group: int = 30) -> tuple[list[dict[str, Any]], int]:
    """The filtered mappings grouped by standard or by product, largest group first: each group with its
    record, its ``count`` and its first ``per_group`` rows; and the number of groups."""
    key = col(Mapping.standard_id) if by == "standard" else col(Mapping.product_id)
    counted = _filtered(select(key, func.count().label("n")).select_from(Mapping), f).group_by(key)
    total = session.exec(select(func.count()).select_from(counted.subquery())).one()
    model: Any = Standard if by == "standard" else Product
    name = col(Standard.code) if by == "standard" else col(Product.name)
    page = session.exec(
        counted.join(model, col(model.id) == key).group_by(name).order_by(func.count().desc(), name, key).offset(offset).limit(limit)
    ).all()
    # each group's first rows in one query (a window per group), not one query per group
    order = (col(Mapping.score).is_(None), col(Mapping.score).desc(), col(Mapping.id))
    ranked = _filtered(select(col(Mapping.id).label("mid"),
                              func.row_number().over(partition_by=key, order_by=order).label("rank")), f) \
        .where(key.in_([group_id for group_id, _ in page])).subquery()
    found = session.exec(_joined().join(ranked, ranked.c.mid == col(Mapping.id)).where(ranked.c.rank <= per_group)
                         .order_by(ranked.c.rank)).all()
    records = {pk(r): r for r in session.exec(select(model).where(col(model.id).in_([g for g, _ in page]))).all()}
    groups = []
    for group_id, n in page:
        rows = [{"mapping": m, "product": p, "standard": s} for m, p, s in found
                if (m.standard_id if by == "standard" else m.product_id) == group_id]
        groups.append({"by": by, "id": group_id, "record": records[group_id], "count": n, "rows": rows})
    return groups, total


def queue_ids(session: Session, f: QueueFilter, limit: int = MAX_BULK) -> list[tuple[int, int]]:
    """``(id, version)`` of the first ``limit`` filtered mappings, in queue order (a bulk decision's list)."""
    q = _best_first(_filtered(select(Mapping.id, Mapping.version, Mapping.score), f)).limit(limit)
    return [(mid, version) for mid, version, _ in session.exec(q).all()]


def rows_by_ids(session: Session, ids: Iterable[int]) -> list[dict[str, Any]]:
    """The mappings named, in the order given (unknown ids left out), shaped as :func:`mapping_rows`."""
    wanted = list(dict.fromkeys(ids))
    found = {m.id: {"mapping": m, "product": p, "standard": s}
             for m, p, s in session.exec(_joined().where(col(Mapping.id).in_(wanted))).all()}
    return [found[i] for i in wanted if i in found]


@dataclass
class BulkOutcome:
    """What happened to one id of a bulk decision: ``ok``, ``conflict`` (stale version or already decided)
    or ``not_found``; the mapping's status and version after it, and the audit event written."""

    id: int
    result: Literal["ok", "conflict", "not_found"]
    status: str | None = None
    version: int | None = None
    event_id: int | None = None
    detail: str | None = None


def parse_bulk_status(value: str | None) -> MappingStatus:
    s = parse_status(value, default=None)
    if s not in (MappingStatus.approved, MappingStatus.rejected):
        raise BadInput("trạng thái phải là approved (duyệt) hoặc rejected (từ chối)")
    return s


def check_bulk(ids: list[int], status: str | None, note: str | None,
               versions: MappingOf[int, int] | None = None) -> MappingStatus:
    """Refuse the whole batch before touching anything: no ids, too many, versions of ids not named, a
    rejection without a reason. Returns the status asked for."""
    wanted = parse_bulk_status(status)
    if not ids:
        raise BadInput("chưa chọn ánh xạ nào")
    if len(set(ids)) > MAX_BULK:
        raise BadInput(f"mỗi lần quyết định tối đa {MAX_BULK} ánh xạ (đã gửi {len(set(ids))}); hãy lọc hẹp hơn")
    stray = sorted(set(versions or {}) - set(ids))
    if stray:
        raise BadInput(f"versions nêu ánh xạ không có trong ids: {', '.join(map(str, stray[:10]))}")
    if wanted == MappingStatus.rejected and not clean(note):
        raise BadInput("từ chối cần ghi lý do")
    return wanted


def bulk_decide(session: Session, ids: list[int], status: str, actor: str, *, note: str | None = None,
                versions: MappingOf[int, int] | None = None) -> list[BulkOutcome]:
    """Approve or reject suggested mappings one by one, each in its own savepoint with its own audit event.

    An id that another curator decided first, whose version moved on since ``versions[id]``, or that is
    no longer a suggestion is reported as ``conflict`` and left as it is; the others still apply.
    """
    wanted = check_bulk(ids, status, note, versions)
    versions = versions or {}
    out: list[BulkOutcome] = []
    for mid in dict.fromkeys(ids):
        try:
            with session.begin_nested():
                m = session.get(Mapping, mid)
                if m is None:
                    out.append(BulkOutcome(mid, "not_found", detail=f"không có ánh xạ #{mid}"))
                    continue
                seen = versions.get(mid)
                if seen is not None and seen != m.version:
                    raise StaleEdit("mapping", audit.snapshot(m), {"version": seen})
                if m.status != MappingStatus.suggested:
                    who = f" ({m.decided_by})" if m.decided_by else ""
                    out.append(BulkOutcome(mid, "conflict", m.status.value, m.version,
                                           detail=f"đã được quyết định: {m.status.value}{who}"))
                    continue
                decide_mapping(session, mid, wanted.value, actor, note=note, expected_version=m.version)
                session.flush()
                out.append(BulkOutcome(mid, "ok", m.status.value, m.version, last_event_id(session, mid)))
        except StaleEdit as exc:
            out.append(BulkOutcome(mid, "conflict", exc.current.get("status"), exc.current.get("version"),
                                   detail=exc.message))
    return out


def last_event_id(session: Session, mapping_id: int) -> int | None:
    """The newest audit event of a mapping (the one a decision just wrote, once flushed)."""
    return session.exec(select(func.max(AuditEvent.id)).where(
        AuditEvent.entity == "mapping", AuditEvent.entity_id == mapping_id)).one()


def decided_events(session: Session, first: int, last: int, actor: str) -> list[tuple[AuditEvent, dict[str, Any]]]:
    """The approvals and rejections ``actor`` logged with ids ``first``..``last`` (one action of theirs), each
    with its mapping row: what a notice after the action names."""
    if last < first or last - first > 4 * MAX_BULK:
        return []
    events = session.exec(select(AuditEvent).where(
        col(AuditEvent.id) >= first, col(AuditEvent.id) <= last, AuditEvent.actor == actor,
        AuditEvent.entity == "mapping", col(AuditEvent.action).in_(["approved", "rejected"]))
        .order_by(col(AuditEvent.id))).all()
    rows = {pk(r["mapping"]): r for r in rows_by_ids(session, [e.entity_id for e in events if e.entity_id])}
    return [(e, rows[e.entity_id]) for e in events if e.entity_id in rows]


def describe_decisions(decided: list[tuple[AuditEvent, dict[str, Any]]]) -> str | None:
    """``Đã duyệt ánh xạ Bánh phu thê → QCVN 8-2:2011/BYT``, ``Đã duyệt 15 ánh xạ của TCVN 4884-1:2015``:
    the notice after a decision, naming what changed."""
    parts = []
    for action, verb in (("approved", "duyệt"), ("rejected", "từ chối")):
        rows = [r for e, r in decided if e.action == action]
        if not rows:
            continue
        if len(rows) == 1:
            r = rows[0]
            parts.append(f"{verb} ánh xạ {r['product'].name} → {r['standard'].code}")
            continue
        codes_ = {r["standard"].code for r in rows}
        names = {r["product"].name for r in rows}
        whose = (f" của {codes_.pop()}" if len(codes_) == 1 else f" của {names.pop()}" if len(names) == 1 else "")
        parts.append(f"{verb} {len(rows)} ánh xạ{whose}")
    if not parts:
        return None
    return "Đã " + "; đã ".join(parts) + "."


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
