"""An HS code's page and its JSON twin: the products filed under it and the risk-list rows that name it on a
date, with the "Theo dõi" form. Any spelling of the code (``8516.60.10``, ``85166010``) moves to the digits."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kb.read.hs import hs_detail
from web.deps import SessionDep, render

router = APIRouter()

Code = Annotated[str, Path(max_length=20, description="Mã HS: 2, 4, 6 hoặc 8 chữ số, có hoặc không có dấu chấm")]
On = Annotated[date | None, Query(description="Ngày áp dụng YYYY-MM-DD (mặc định: hôm nay)")]


@router.api_route("/hs/{code}", methods=["GET", "HEAD"], response_class=HTMLResponse, include_in_schema=False)
def hs_page(code: Code, request: Request, session: SessionDep, on: On = None) -> Response:
    data = hs_detail(session, code, on)
    if code != data["code"]:
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(data["url"] + query, status_code=301)
    return render(request, "hs/detail.html", {"h": data})


@router.get("/api/hs/{code}", tags=["API"], summary="Một mã HS: sản phẩm và danh mục hàng hóa phải kiểm soát")
def api_hs(code: Code, session: SessionDep, on: On = None) -> dict[str, Any]:
    """Tên mã trong danh mục HS, các sản phẩm mang mã này (hoặc mã ngắn hơn bao trùm nó) và các dòng danh mục
    hàng hóa phải kiểm soát có hiệu lực vào ngày ``on`` nêu mã này hoặc mã thuộc nó."""
    return hs_detail(session, code, on)
