"""Audit trail: every change records who, what, before and after."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, SQLModel

from kb.models import AuditEvent


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
    return event
