"""Legal documents: the list by kind, one document's page (any spelling of its number redirects to the
canonical URL), and their JSON twins. ``?on=YYYY-MM-DD`` shows the status on another date."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kb.read import legal
from web.deps import SessionDep, render
from web.schemas import LegalDetail, LegalList

router = APIRouter()

Code = Annotated[str, Path(max_length=120, description="Số hiệu văn bản, ví dụ 36/2026/TT-BKHCN (viết kiểu nào cũng được)")]
On = Annotated[date | None, Query(description="Tình trạng vào ngày (YYYY-MM-DD); mặc định hôm nay")]


@router.api_route("/legal", methods=["GET", "HEAD"], response_class=HTMLResponse, include_in_schema=False)
def legal_page(request: Request, session: SessionDep, on: On = None) -> Response:
    return render(request, "legal/index.html", {"t": legal.legal_list(session, on)})


@router.api_route("/legal/{code:path}", methods=["GET", "HEAD"], response_class=HTMLResponse, include_in_schema=False)
def legal_document_page(code: Code, request: Request, session: SessionDep, on: On = None) -> Response:
    data = legal.legal_detail(session, code, on)
    if code != data["code"]:  # another spelling of the same number moves for good
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(data["url"] + query, status_code=301)
    return render(request, "legal/detail.html", {"d": data})


@router.get("/api/legal", response_model=LegalList, tags=["API"], summary="Văn bản pháp luật, theo loại")
def api_legal(session: SessionDep, on: On = None) -> dict[str, Any]:
    """Luật, nghị định, thông tư, quyết định mà cơ sở dữ liệu biết, theo loại, với tình trạng vào ngày ``on``
    (``stale``: đã được thay thế hoặc hết hiệu lực vào ngày đó)."""
    return legal.legal_list(session, on)


@router.get("/api/legal/{code:path}", response_model=LegalDetail, tags=["API"], summary="Một văn bản pháp luật")
def api_legal_document(code: Code, session: SessionDep, on: On = None) -> dict[str, Any]:
    """Một văn bản (số hiệu viết kiểu nào cũng được): ngày ban hành, hiệu lực, tình trạng vào ngày ``on``, văn bản
    nó thay thế hoặc sửa đổi và văn bản thay thế nó (kèm ngày), và những gì trong cơ sở dữ liệu viện dẫn nó."""
    return legal.legal_detail(session, code, on)
