"""Typed dependencies: a route's signature says what it needs (``SessionDep``, ``KBDep``)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Annotated, Any

import anyio
from fastapi import Depends, Path, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from kb import contacts
from kb.core import KnowledgeBase
from kb.read.dated import DatedAnswers

#: Ids beyond a 32-bit integer are refused as bad input (databases would overflow, not answer 404).
MAX_ID = 2**31 - 1


def get_kbase(request: Request) -> KnowledgeBase:
    return request.app.state.kbase


async def _kbase_dependency(request: Request) -> KnowledgeBase:
    # async: FastAPI runs a plain ``def`` dependency in a worker thread, a hand-off every request would pay
    return get_kbase(request)


KBDep = Annotated[KnowledgeBase, Depends(_kbase_dependency)]


async def get_answers(request: Request) -> DatedAnswers:
    return request.app.state.answers


#: The per-period memo of answers for a date (kb.read.dated), one per app.
AnswersDep = Annotated[DatedAnswers, Depends(get_answers)]


#: Where the page cache leaves the data fingerprint it read for a request (request.state), for the route.
DATA_VERSION = "data_version"


def data_version(request: Request) -> Any:
    """The data fingerprint the page cache read for this request (None when it did not: signed in, a POST)."""
    return getattr(request.state, DATA_VERSION, None)


def get_session(request: Request, kbase: KBDep) -> Iterator[Session]:
    with kbase.session() as session:
        # The page's templates read through it (the footer's contact): one connection per request. Two
        # would deadlock a busy server, every request holding one and waiting for a second from the pool.
        request.state.session = session
        try:
            yield session
        finally:
            del request.state.session


SessionDep = Annotated[Session, Depends(get_session)]
ProductId = Annotated[int, Path(ge=1, le=MAX_ID, description="Mã số sản phẩm")]
LabId = Annotated[int, Path(ge=1, le=MAX_ID, description="Mã số phòng thí nghiệm")]
DocId = Annotated[int, Path(ge=1, le=MAX_ID, description="Mã số tệp nguồn")]


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(request, template, context, status_code=status_code)


def footer_agency(request: Request) -> dict[str, Any] | None:
    """DOST's contact for the footer of every page, read once per request through the route's session
    (pages are cached until the data, agencies included, changes). A page rendered on the event loop (an
    error page) gets what :func:`load_footer_agency` read for it: waiting there for a connection would stop
    every other request."""
    if not hasattr(request.state, "footer_agency"):
        session = getattr(request.state, "session", None)
        if session is not None:
            request.state.footer_agency = _read_agency(session)
        elif on_event_loop():
            return None
        else:  # a page without a database session of its own, rendered in a worker thread
            with request.app.state.kbase.session() as own:
                request.state.footer_agency = _read_agency(own)
    return request.state.footer_agency


async def load_footer_agency(request: Request) -> None:
    """For pages rendered outside a route (errors): read the contact in a worker thread, never on the event
    loop, where waiting for a connection would stop every other request."""
    if hasattr(request.state, "footer_agency"):
        return

    def read() -> dict[str, Any] | None:
        with request.app.state.kbase.session() as session:
            return _read_agency(session)

    request.state.footer_agency = await anyio.to_thread.run_sync(read)


def on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _read_agency(session: Session) -> dict[str, Any] | None:
    try:
        return contacts.agency_view(contacts.get_agency(session, contacts.DOST))
    except SQLAlchemyError:  # a failing database must not break the page that says so
        return None
