"""Audit trail: every change records who, what, before and after; the log is read back here, and each
logged change says whether it can be undone (``kb.versioning.revert_event`` undoes it)."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any, cast, overload

from sqlalchemy import func, or_
from sqlalchemy import inspect as sa_inspect
from sqlmodel import Session, SQLModel, col, select

from kb import bulk, notices
from kb.errors import NotFound
from kb.models import (
    AuditEvent,
    CategoryRule,
    GroupMapping,
    IngestFile,
    IngestRun,
    Lab,
    LabScope,
    Mapping,
    Procedure,
    Product,
    ProductGroup,
    Standard,
    utcnow,
)

#: Audit entity name → table, for revert and the audit log links.
ENTITIES: dict[str, type[SQLModel]] = {
    "mapping": Mapping,
    "lab_scope": LabScope,
    "lab": Lab,
    "product": Product,
    "standard": Standard,
    "category_rule": CategoryRule,
    "product_group": ProductGroup,
    "group_mapping": GroupMapping,
    "procedure": Procedure,
}
#: Entities whose creation may be undone by deleting the record (nothing else hangs on them).
DELETABLE_ON_REVERT = {"mapping", "lab_scope", "category_rule", "group_mapping"}


# --- The log's words (kb.read.audit builds the sentences; kb.versioning names a revert with them) ---

#: The verb of each action, as it reads inside a sentence ("cur1 duyệt ánh xạ …").
ACTION_VERBS = {
    "create": "tạo", "update": "sửa", "delete": "xóa", "approve": "duyệt", "approved": "duyệt",
    "reject": "từ chối", "rejected": "từ chối", "revert": "hoàn tác", "verify": "xác minh", "import": "nhập",
    "ingest": "nạp", "review": "rà soát", "suggest": "gợi ý", "curator": "sửa", "rerun": "chạy lại",
    "hold": "giữ lại", "edit": "sửa", "release": "phát hành", "cancel": "hủy", "subscribe": "đăng ký theo dõi",
}
#: Each kind of record, as a noun ("ánh xạ", "phạm vi công nhận").
ENTITY_LABELS = {
    "mapping": "ánh xạ", "lab_scope": "phạm vi công nhận", "lab": "phòng thí nghiệm", "product": "sản phẩm",
    "standard": "tiêu chuẩn", "category_rule": "quy tắc nhóm sản phẩm", "product_group": "nhóm sản phẩm",
    "group_mapping": "ánh xạ nhóm", "group_member": "thành viên nhóm", "procedure": "thủ tục",
    "legal_document": "văn bản pháp luật", "risk_list": "danh mục hàng hóa rủi ro",
    "risk_item_decision": "xác nhận mục danh mục rủi ro", "agency": "cơ quan", "user": "tài khoản",
    "producthscode": "mã HS của sản phẩm", "hsline": "danh mục HS", "document": "tài liệu",
    "proposal": "đề xuất thay đổi", "upload": "tệp tải lên", "ingest_run": "lượt nạp tài liệu",
    "notice": "thông báo thay đổi",
}

def action_label(action: str) -> str:
    verb = ACTION_VERBS.get(action)
    return verb[0].upper() + verb[1:] if verb else "Thao tác khác"


def entity_label(entity: str) -> str:
    return ENTITY_LABELS.get(entity, "bản ghi khác")



@overload
def snapshot(obj: SQLModel) -> dict[str, Any]: ...
@overload
def snapshot(obj: None) -> None: ...


def snapshot(obj: SQLModel | None) -> dict[str, Any] | None:
    """A JSON-safe copy of a record's columns, for before/after."""
    if obj is None:
        return None
    return {k: jsonable(v) for k, v in obj.model_dump().items()}


def jsonable(v: Any) -> Any:
    if isinstance(v, enum.Enum):
        return v.value
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    return v


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> tuple[dict, dict]:
    """Only the fields that changed (timestamps and version excluded), to keep the log readable."""
    before, after = before or {}, after or {}
    skip = {"updated_at", "created_at", "version"}
    keys = [k for k in {*before, *after} if k not in skip and before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    summary: str | None = None,
) -> AuditEvent:
    event = AuditEvent(
        actor=actor, action=action, entity=entity, entity_id=entity_id, before=before, after=after, summary=summary
    )
    session.add(event)
    notices.observe(session, event)  # followers are told of the changes that matter, in this same transaction
    return event


def record_many(session: Session, events: Sequence[dict[str, Any]], *, at: datetime | None = None) -> None:
    """Many events at once, as :func:`record` would write them one by one (a bulk import's rows): one
    multi-row INSERT, and each event still read by ``notices.observe`` in this transaction (most kinds of
    record it returns from at once). ``events`` hold ``actor, action, entity, entity_id`` and optionally
    ``before, after, summary``."""
    if not events:
        return
    when = at or utcnow()
    rows = [{"at": when, "before": None, "after": None, "summary": None, **e} for e in events]
    bulk.insert_rows(session, AuditEvent, rows)
    for row in rows:
        # the handlers only read these attributes: a full AuditEvent would cost more than the insert
        notices.observe(session, cast(AuditEvent, SimpleNamespace(**row)))


# --- Reading the log ------------------------------------------------------------------------------


def audit_events(
    session: Session,
    *,
    entity: str | None = None,
    entity_id: int | None = None,
    actor: str | None = None,
    action: str | Sequence[str] | None = None,
    days: int | None = None,
    since: date | None = None,
    until: date | None = None,
    text: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[AuditEvent]:
    """Events newest first. ``action`` may be several (the log's filter treats ``approve`` and ``approved``
    as one); ``since``/``until`` are days, both included; ``text`` is looked for in the summary."""
    q = select(AuditEvent)
    if entity:
        q = q.where(AuditEvent.entity == entity)
    if entity_id is not None:
        q = q.where(AuditEvent.entity_id == entity_id)
    if actor:
        q = q.where(AuditEvent.actor == actor)
    if isinstance(action, str):
        q = q.where(AuditEvent.action == action)
    elif action:
        q = q.where(col(AuditEvent.action).in_(list(action)))
    if days:
        q = q.where(col(AuditEvent.at) >= utcnow() - timedelta(days=days))
    if since:
        q = q.where(col(AuditEvent.at) >= datetime.combine(since, time.min, tzinfo=UTC))
    if until:
        q = q.where(col(AuditEvent.at) < datetime.combine(until + timedelta(days=1), time.min, tzinfo=UTC))
    if text:
        q = q.where(_summary_has(text))
    return list(session.exec(q.order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
                             .offset(offset).limit(limit)).all())


def _summary_has(text: str) -> Any:
    """``text`` anywhere in the summary, whatever its case. SQLite's lower() folds ASCII only ("Đình" stays),
    so the spellings a Vietnamese name takes (as typed, lower, Title, UPPER) are each looked for as well."""

    def like(s: str) -> str:  # LIKE's wildcards in the curator's words are meant literally
        return "%" + s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"

    summary = col(AuditEvent.summary)
    spellings = {text, text.lower(), text.title(), text.capitalize(), text.upper()}
    return or_(func.lower(summary).like(like(text.lower()), escape="\\"),
               *(summary.like(like(s), escape="\\") for s in sorted(spellings)))


def facets(session: Session) -> tuple[list[str], list[str], list[str]]:
    """The entities, the actions and the actors the log holds, sorted (the audit page's filters)."""
    entities = sorted(e for e in session.exec(select(AuditEvent.entity).distinct()).all() if e)
    actions = sorted(a for a in session.exec(select(AuditEvent.action).distinct()).all() if a)
    actors = sorted(a for a in session.exec(select(AuditEvent.actor).distinct()).all() if a)
    return entities, actions, actors


def _columns(model: type[SQLModel]) -> set[str]:
    return set(sa_inspect(model).columns.keys())


def revertable(event: AuditEvent) -> bool:
    """Whether this kind of change can be undone at all (the record kind and the shape of before/after);
    :func:`kb.versioning.revertable` also asks whether it still can be (not reverted, not superseded)."""
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


# --- Ingest runs: the log of each ingest, beside the audit log -------------------------------------


def ingest_runs(session: Session, limit: int = 20) -> list[IngestRun]:
    return list(session.exec(select(IngestRun).order_by(col(IngestRun.id).desc()).limit(limit)).all())


def ingest_run(session: Session, run_id: int) -> tuple[IngestRun, list[IngestFile]]:
    """One ingest run and its files; NotFound when there is none."""
    run = session.get(IngestRun, run_id)
    if run is None:
        raise NotFound(f"Không có lượt nạp #{run_id}")
    files = session.exec(select(IngestFile).where(IngestFile.run_id == run_id).order_by(col(IngestFile.id))).all()
    return run, list(files)
