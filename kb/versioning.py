"""Optimistic locking: every editable record carries a ``version``; an update is a compare-and-set.

:func:`update_versioned` and :func:`delete_versioned` check the version in the same SQL statement that
writes, so two editors who loaded the same version cannot both win (the loser gets :class:`StaleEdit`,
a 409), and they write the audit event with before/after. Imports, ingest and the curator's forms all
change records through them; :func:`revert_event` undoes one logged change the same way.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete as sa_delete
from sqlalchemy import func, or_
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import update as sa_update
from sqlmodel import Session, SQLModel, col, select

from kb import audit
from kb.errors import BadInput, Conflict, NotFound
from kb.models import AuditEvent, Versioned, utcnow


class StaleEdit(Conflict):
    """Someone saved the record after the editor loaded it. ``changed`` maps each field whose current value
    differs from what the editor submitted to ``{"yours", "current"}``."""

    def __init__(self, entity: str, current: dict[str, Any], submitted: dict[str, Any] | None = None):
        self.entity = entity
        self.current = current
        submitted = {k: audit.jsonable(v) for k, v in (submitted or {}).items()}
        self.changed = {
            k: {"yours": v, "current": current.get(k)} for k, v in submitted.items() if current.get(k) != v
        }
        super().__init__(
            f"Bản ghi đã được người khác sửa (nay là phiên bản {current.get('version')}); "
            "xem các thay đổi và lưu lại nếu vẫn muốn."
        )

    def to_json(self) -> dict[str, Any]:
        return {"detail": self.message, "current": self.current, "changed": self.changed}


def record_id(obj: SQLModel) -> int | None:
    """The ``id`` of a stored record (every table here has one integer primary key)."""
    identity = sa_inspect(obj).identity
    return identity[0] if identity else None


def update_versioned(
    session: Session,
    obj: Versioned,
    changes: dict[str, Any],
    expected_version: int | None,
    *,
    actor: str,
    entity: str,
    summary: str,
    action: str = "update",
) -> bool:
    """Apply ``changes`` to ``obj`` if its version is still ``expected_version``; False when nothing changed.

    ``expected_version=None`` means "the version just loaded" (API clients that send none): the update is
    still atomic, it only cannot detect an edit made before the client read the record.
    """
    expected = obj.version if expected_version is None else int(expected_version)
    if expected != obj.version:
        raise StaleEdit(entity, audit.snapshot(obj), changes)
    new = {k: v for k, v in changes.items() if getattr(obj, k) != v}
    if not new:
        return False
    before = audit.snapshot(obj)
    if not _compare_and_set(session, obj, expected, new):
        raise StaleEdit(entity, audit.snapshot(obj), changes)
    old, after = audit.diff(before, audit.snapshot(obj))
    audit.record(session, actor=actor, action=action, entity=entity, entity_id=record_id(obj),
                 before=old, after=after, summary=summary)
    return True


def bump_version(session: Session, obj: Versioned, expected_version: int | None, *, entity: str,
                 submitted: dict[str, Any] | None = None) -> None:
    """Move ``obj``'s version (and ``updated_at``) when what changed lives in other rows, such as a legal
    document's relations: the same compare-and-set, so of two editors of the old version one is told
    (:class:`StaleEdit`). The caller logs the change, which only it can describe."""
    expected = obj.version if expected_version is None else int(expected_version)
    if expected != obj.version or not _compare_and_set(session, obj, expected, {}):
        raise StaleEdit(entity, audit.snapshot(obj), submitted)


def _compare_and_set(session: Session, obj: Versioned, expected: int, values: dict[str, Any]) -> bool:
    """Write ``values`` and the next version where the row still has ``expected``; False when it has not."""
    mapper = sa_inspect(type(obj))
    result = session.exec(
        sa_update(mapper)
        .where(mapper.c.id == record_id(obj), mapper.c.version == expected)
        .values(**values, version=expected + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.refresh(obj)
    return result.rowcount == 1


def delete_versioned(
    session: Session, obj: Versioned, expected_version: int | None, *, actor: str, entity: str, summary: str
) -> None:
    mapper = sa_inspect(type(obj))
    expected = obj.version if expected_version is None else int(expected_version)
    before = audit.snapshot(obj)
    result = session.exec(
        sa_delete(mapper).where(mapper.c.id == record_id(obj), mapper.c.version == expected)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.refresh(obj)
        raise StaleEdit(entity, audit.snapshot(obj))
    session.expunge(obj)
    audit.record(session, actor=actor, action="delete", entity=entity, entity_id=before["id"],
                 before=before, summary=summary)


# --- Revert: undo one logged change ---------------------------------------------------------------

_BOOKKEEPING = {"id", "version", "created_at", "updated_at"}


def _coerce_column(model: type[SQLModel], field: str, value: Any) -> Any:
    """Turn a JSON value from an audit snapshot back into the column's Python type."""
    if value is None:
        return None
    try:
        py = sa_inspect(model).columns[field].type.python_type
    except (KeyError, NotImplementedError):
        return value
    if isinstance(py, type) and issubclass(py, enum.Enum):
        return py(value)
    if py is datetime and isinstance(value, str):
        return datetime.fromisoformat(value)
    if py is date and isinstance(value, str):
        return date.fromisoformat(value)
    return value


#: Why a kind of change (an import, a sign-in account change …) cannot be undone at all.
NOT_UNDOABLE = "loại thay đổi này không hoàn tác được"
#: Why a revert cannot itself be reverted (its record is edited instead).
IS_REVERT = "đây là một lần hoàn tác; muốn bỏ nó thì sửa bản ghi"
#: A revert's summary starts so; the log finds the revert of event N by ``REVERT_PREFIX + "N:"``.
REVERT_PREFIX = "Hoàn tác sự kiện #"


def revert_blocks(session: Session, events: list[AuditEvent]) -> dict[int, str | None]:
    """Why each event cannot be undone, or None when it can: the kind of change cannot be undone, the event
    is itself a revert, it was already reverted, or a later change to the same record supersedes it. Two
    queries for the whole list (the audit page asks for 50 rows at once)."""
    ids = [e.id for e in events if e.id is not None]
    blocks: dict[int, str | None] = {}
    if not ids:
        return blocks
    reverted: dict[int, int] = {}
    for rid, summary in session.exec(select(AuditEvent.id, AuditEvent.summary).where(
            or_(*(col(AuditEvent.summary).startswith(f"{REVERT_PREFIX}{i}:") for i in ids)))
            .order_by(col(AuditEvent.id))).all():
        if rid is not None and summary:
            reverted.setdefault(int(summary[len(REVERT_PREFIX):].split(":", 1)[0]), rid)
    targets = {e.entity_id for e in events if e.entity_id is not None}
    latest: dict[tuple[str, int | None], int | None] = {}
    if targets:
        for entity, entity_id, last in session.exec(
                select(AuditEvent.entity, AuditEvent.entity_id, func.max(AuditEvent.id))
                .where(col(AuditEvent.entity_id).in_(targets),
                       col(AuditEvent.entity).in_({e.entity for e in events}))
                .group_by(col(AuditEvent.entity), col(AuditEvent.entity_id))).all():
            latest[(entity, entity_id)] = last
    for e in events:
        assert e.id is not None
        last = latest.get((e.entity, e.entity_id)) if e.entity_id is not None else None
        if e.action == "revert" or (e.summary or "").startswith(REVERT_PREFIX):
            blocks[e.id] = IS_REVERT
        elif not audit.revertable(e):
            blocks[e.id] = NOT_UNDOABLE
        elif e.id in reverted:
            blocks[e.id] = f"đã được hoàn tác ở sự kiện #{reverted[e.id]}"
        elif last is not None and last > e.id:
            blocks[e.id] = f"bản ghi đã được sửa sau đó (sự kiện #{last}); hoàn tác thay đổi mới nhất trước"
        else:
            blocks[e.id] = None
    return blocks


def revertable(session: Session, event: AuditEvent) -> bool:
    """Whether ``event`` can be undone now: the audit page shows "Hoàn tác" only where this holds, and
    :func:`revert_event` refuses the others."""
    return revert_blocks(session, [event]).get(event.id or 0, "") is None


def revert_event(session: Session, event_id: int, actor: str) -> AuditEvent:
    """Undo one logged change: an update gets its old values back, a creation is deleted, a deletion is
    re-created, each only while nothing changed the record since (:func:`revert_blocks`). The revert is
    itself logged, its summary starting with :data:`REVERT_PREFIX`."""
    event = session.get(AuditEvent, event_id)
    if event is None:
        raise NotFound(f"Không có sự kiện nhật ký #{event_id}")
    block = revert_blocks(session, [event])[event_id]
    if block is not None:  # a kind that never can (400), or a change since that stops it now (409)
        error = BadInput if block in (NOT_UNDOABLE, IS_REVERT) else Conflict
        raise error(f"Không hoàn tác được sự kiện #{event_id}: {block}.")
    model = audit.ENTITIES[event.entity]
    what = event.summary or f"{audit.action_label(event.action)} {audit.entity_label(event.entity)} #{event.entity_id}"
    label = f"{REVERT_PREFIX}{event.id}: {what}"
    obj = session.get(model, event.entity_id) if event.entity_id is not None else None

    if event.before and event.after:  # an update (including approve/reject/verify and earlier reverts)
        if obj is None:
            raise Conflict(f"bản ghi {event.entity} #{event.entity_id} không còn nữa")
        now = audit.snapshot(obj)
        moved = [k for k, v in event.after.items() if now.get(k) != v and k not in _BOOKKEEPING]
        if moved:
            raise Conflict(f"không hoàn tác được: {', '.join(moved)} đã thay đổi sau sự kiện #{event.id}")
        changes = {k: _coerce_column(model, k, v) for k, v in event.before.items() if k not in _BOOKKEEPING}
        if isinstance(obj, Versioned):
            update_versioned(session, obj, changes, None, actor=actor, entity=event.entity, action="revert",
                             summary=label)
        else:
            for k, v in changes.items():
                setattr(obj, k, v)
            session.add(obj)
            audit.record(session, actor=actor, action="revert", entity=event.entity, entity_id=record_id(obj),
                         before={k: now.get(k) for k in changes}, after=audit.jsonable(event.before), summary=label)
    elif event.after:  # a creation
        if obj is None:
            raise Conflict(f"bản ghi {event.entity} #{event.entity_id} đã bị xóa")
        if isinstance(obj, Versioned):
            delete_versioned(session, obj, None, actor=actor, entity=event.entity, summary=label)
        else:
            audit.record(session, actor=actor, action="delete", entity=event.entity, entity_id=record_id(obj),
                         before=audit.snapshot(obj), summary=label)
            session.delete(obj)
    elif event.before:  # a deletion: re-create it, under a new id if the old one is taken
        values = {k: _coerce_column(model, k, v) for k, v in event.before.items()
                  if k not in ({"version", "created_at", "updated_at"})}
        if values.get("id") is not None and session.get(model, values["id"]) is not None:
            values.pop("id")
        obj = model(**values)
        session.add(obj)
        session.flush()
        audit.record(session, actor=actor, action="create", entity=event.entity, entity_id=record_id(obj),
                     after=audit.snapshot(obj), summary=label)
    session.flush()
    return event
