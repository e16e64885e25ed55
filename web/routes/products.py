"""Product pages: the chain from a product to its rules, criteria, labs and next steps."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kb.read import products
from web.deps import ProductId, SessionDep, render

router = APIRouter(tags=["Trang web"], include_in_schema=False)


@router.api_route("/products/{product_id}", methods=["GET", "HEAD"], response_class=HTMLResponse)
def product_page(product_id: ProductId, request: Request, session: SessionDep) -> Response:
    data = products.product_detail(session, product_id)
    return render(request, "products/detail.html", {"p": data})
