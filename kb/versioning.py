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
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import update as sa_update
from sqlmodel import Session, SQLModel

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


def revert_event(session: Session, event_id: int, actor: str) -> AuditEvent:
    """Undo one logged change: an update gets its old values back (only if nobody changed those fields
    since), a creation is deleted, a deletion is re-created. The revert is itself logged."""
    event = session.get(AuditEvent, event_id)
    if event is None:
        raise NotFound(f"Không có sự kiện nhật ký #{event_id}")
    if not audit.revertable(event):
        raise BadInput(f"sự kiện #{event_id} ({event.action} {event.entity}) không hoàn tác được")
    model = audit.ENTITIES[event.entity]
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
