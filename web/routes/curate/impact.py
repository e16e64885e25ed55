"""Impact of replaced and withdrawn standards, and moving their mappings to the edition in force; and the
mappings whose legal basis cites a replaced or expired legal document."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from kb import mappings
from kb.read.legal import legal_impact
from web import auth
from web.auth import CuratorUser
from web.deps import get_kbase
from web.routes.curate._common import TAGS, Id, back, ctx

router = APIRouter(tags=TAGS, include_in_schema=False)


@router.get("/curate/impact")
def impact_page(request: Request, user: CuratorUser) -> Response:
    with get_kbase(request).session() as session:
        items = mappings.impact(session)
        legal = legal_impact(session)
    return auth.render_private(request, "curate/impact.html", ctx(request, items=items, legal=legal))


@router.post("/curate/impact/{standard_id}/repoint")
def repoint_submit(request: Request, standard_id: Id, user: CuratorUser,
                   to: Annotated[str, Form(max_length=200)]) -> Response:
    with get_kbase(request).session() as session:
        mappings.repoint_to(session, standard_id, to, user.username)
    return back("/curate/impact", "repointed")
