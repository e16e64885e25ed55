"""Standard pages: any spelling of a code redirects to the canonical URL."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kb import codes, queries
from web.deps import SessionDep, render

router = APIRouter(tags=["Trang web"], include_in_schema=False)


@router.get("/standards/{code:path}", response_class=HTMLResponse)
def standard_page(code: str, request: Request, session: SessionDep) -> Response:
    data = queries.standard_detail(session, code)
    if code != data["code"]:
        # Another spelling of the same edition moves for good; an undated code follows the edition in force.
        d, canonical = codes.parse(code), codes.parse(data["code"])
        same_edition = d is not None and canonical is not None and d.key == canonical.key
        return RedirectResponse(data["url"], status_code=301 if same_edition else 307)
    return render(request, "standards/detail.html", {"s": data})
