"""Coverage: the gaps of the knowledge base, with charts drawn on the server (inline SVG)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kb.read import coverage
from web.deps import SessionDep, render

router = APIRouter(tags=["Trang web"], include_in_schema=False)


@router.api_route("/coverage", methods=["GET", "HEAD"], response_class=HTMLResponse)
def coverage_page(request: Request, session: SessionDep) -> Response:
    return render(request, "coverage/index.html", {"c": coverage.coverage(session)})
