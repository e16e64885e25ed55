"""The curator's start page: what waits for a decision, and the latest changes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kb import audit, mappings, proposals, review_queue
from kb.models import MappingStatus
from web import auth
from web.auth import CuratorUser
from web.deps import get_kbase
from web.routes.curate._common import TAGS, ctx
from web.routes.curate.audit import describe as audit_lines

router = APIRouter(tags=TAGS, include_in_schema=False)


@router.get("/curate")
def dashboard(request: Request, user: CuratorUser) -> Response:
    with get_kbase(request).session() as session:
        counts = {
            "suggested": mappings.count_mappings(session, MappingStatus.suggested),
            "review": review_queue.count_pending(session),
            "proposals": proposals.count_pending(session),
            "impact": len(mappings.impact(session)),
        }
        recent = audit_lines(session, audit.audit_events(session, limit=10))
    return auth.render_private(request, "curate/index.html", ctx(request, counts=counts, recent=recent))
