"""Typed dependencies: a route's signature says what it needs (``SessionDep``, ``KBDep``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from kb.core import KnowledgeBase

#: Ids beyond a 32-bit integer are refused as bad input (databases would overflow, not answer 404).
MAX_ID = 2**31 - 1


def get_kbase(request: Request) -> KnowledgeBase:
    return request.app.state.kbase


KBDep = Annotated[KnowledgeBase, Depends(get_kbase)]


def get_session(kbase: KBDep) -> Iterator[Session]:
    with kbase.session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
ProductId = Annotated[int, Path(ge=1, le=MAX_ID, description="Mã số sản phẩm")]
LabId = Annotated[int, Path(ge=1, le=MAX_ID, description="Mã số phòng thí nghiệm")]
DocId = Annotated[int, Path(ge=1, le=MAX_ID, description="Mã số tệp nguồn")]


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(request, template, context, status_code=status_code)
