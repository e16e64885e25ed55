"""Optimistic locking: every editable record carries a ``version``; an update is a compare-and-set.

:func:`update_versioned` and :func:`delete_versioned` check the version in the same SQL statement that
writes, so two editors who loaded the same version cannot both win (the loser gets :class:`StaleEdit`,
a 409), and they write the audit event with before/after. Imports, ingest and the curator's forms all
change records through them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete as sa_delete
from sqlalchemy import update as sa_update
from sqlmodel import Session, SQLModel

from kb import audit
from kb.errors import Conflict
from kb.models import utcnow


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


def update_versioned(
    session: Session,
    obj: SQLModel,
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
    model = type(obj)
    expected = obj.version if expected_version is None else int(expected_version)
    if expected != obj.version:
        raise StaleEdit(entity, audit.snapshot(obj), changes)
    new = {k: v for k, v in changes.items() if getattr(obj, k) != v}
    if not new:
        return False
    before = audit.snapshot(obj)
    result = session.exec(
        sa_update(model)
        .where(model.id == obj.id, model.version == expected)
        .values(**new, version=expected + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.refresh(obj)
    if result.rowcount != 1:
        raise StaleEdit(entity, audit.snapshot(obj), changes)
    old, after = audit.diff(before, audit.snapshot(obj))
    audit.record(session, actor=actor, action=action, entity=entity, entity_id=obj.id,
                 before=old, after=after, summary=summary)
    return True


def delete_versioned(
    session: Session, obj: SQLModel, expected_version: int | None, *, actor: str, entity: str, summary: str
) -> None:
    model = type(obj)
    expected = obj.version if expected_version is None else int(expected_version)
    before = audit.snapshot(obj)
    result = session.exec(
        sa_delete(model).where(model.id == obj.id, model.version == expected)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.refresh(obj)
        raise StaleEdit(entity, audit.snapshot(obj))
    session.expunge(obj)
    audit.record(session, actor=actor, action="delete", entity=entity, entity_id=before["id"],
                 before=before, summary=summary)
