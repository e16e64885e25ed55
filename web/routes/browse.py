"""Browse: OCOP products by group, stars and district; key products; standards by type, status, ICS."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from kb.read import browse
from web.deps import SessionDep, render

router = APIRouter(tags=["Trang web"], include_in_schema=False)

Text = Annotated[str | None, Query(max_length=200)]
Page = Annotated[int, Query(ge=1, le=100_000)]
Stars = Annotated[int | None, Query(ge=1, le=5)]


@router.api_route("/browse", methods=["GET", "HEAD"], response_class=HTMLResponse)
def browse_page(request: Request, session: SessionDep) -> Response:
    return render(request, "browse/index.html", {"b": browse.browse_overview(session)})


@router.api_route("/browse/products", methods=["GET", "HEAD"], response_class=HTMLResponse)
def browse_products_page(
    request: Request, session: SessionDep, kind: Text = None, group: Text = None, stars: Stars = None,
    district: Text = None, page: Page = 1,
) -> Response:
    data = browse.browse_products(session, kind=kind, group=group, stars=stars, district=district, page=page)
    return render(request, "browse/products.html", {"b": data, "base": "/browse/products"})


@router.api_route("/browse/standards", methods=["GET", "HEAD"], response_class=HTMLResponse)
def browse_standards_page(
    request: Request, session: SessionDep, doc_type: Text = None, status: Text = None, ics: Text = None,
    page: Page = 1,
) -> Response:
    data = browse.browse_standards(session, doc_type=doc_type, status=status, ics=ics, page=page)
    return render(request, "browse/standards.html", {"b": data, "base": "/browse/standards"})
