"""Lab pages: accreditation, validity, scope grouped by material (filterable without JavaScript)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from kb.read import labs
from web.deps import LabId, SessionDep, render

router = APIRouter(tags=["Trang web"], include_in_schema=False)


@router.api_route("/labs/{lab_id}", methods=["GET", "HEAD"], response_class=HTMLResponse)
def lab_page(
    lab_id: LabId, request: Request, session: SessionDep, q: Annotated[str, Query(max_length=200)] = ""
) -> Response:
    data = labs.lab_detail(session, lab_id, q=q)
    return render(request, "labs/detail.html", {"lab": data})
