"""The audit log: every change, filtered, with a revert button where a change can be undone."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from kb import audit, versioning
from web import auth
from web.auth import CuratorUser
from web.deps import MAX_ID, get_kbase
from web.routes.curate._common import TAGS, Id, back, ctx

router = APIRouter(tags=TAGS, include_in_schema=False)

PAGE_SIZE = 50


@router.get("/curate/audit")
def audit_page(
    request: Request, user: CuratorUser,
    entity: Annotated[str, Query(max_length=40)] = "",
    actor: Annotated[str, Query(max_length=80)] = "",
    action: Annotated[str, Query(max_length=40)] = "",
    entity_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    days: Annotated[int | None, Query(ge=1, le=3650)] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    with get_kbase(request).session() as session:
        events = audit.audit_events(session, entity=entity or None, actor=actor or None, action=action or None,
                                    entity_id=entity_id, days=days, limit=PAGE_SIZE + 1,
                                    offset=(page - 1) * PAGE_SIZE)
        entities, actions = audit.facets(session)
    more = len(events) > PAGE_SIZE
    events = events[:PAGE_SIZE]
    filters = {"entity": entity, "actor": actor, "action": action, "entity_id": entity_id or "", "days": days or ""}
    return auth.render_private(request, "curate/audit.html", ctx(
        request, events=events, revertable={e.id for e in events if audit.revertable(e)}, filters=filters,
        entities=entities, actions=actions, page=page, more=more))


@router.post("/curate/audit/{event_id}/revert")
def revert_submit(request: Request, event_id: Id, user: CuratorUser) -> Response:
    with get_kbase(request).session() as session:
        versioning.revert_event(session, event_id, user.username)
    return back("/curate/audit", "reverted")
