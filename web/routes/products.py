"""Product pages: the chain from a product to its rules, criteria, labs and next steps."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from kb.read import products
from web.deps import AnswersDep, ProductId, SessionDep, data_version, render

#: The day the answer is for ("áp dụng vào ngày"): risk lists and laws change with the date.
OnDate = Annotated[date | None, Query(description="Ngày áp dụng YYYY-MM-DD (mặc định: hôm nay)")]

router = APIRouter(tags=["Trang web"], include_in_schema=False)


@router.api_route("/products/{product_id}", methods=["GET", "HEAD"], response_class=HTMLResponse)
def product_page(product_id: ProductId, request: Request, session: SessionDep, answers: AnswersDep,
                 on: OnDate = None) -> Response:
    data = products.product_answer(session, answers, product_id, on, data_version(request))
    return render(request, "products/detail.html", {"p": data})
