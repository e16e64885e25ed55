"""The one shape of a form post: try the service; on a domain error show the form again with it.

:func:`submit` runs the work in one session (committed on success) and answers ``done(result)``, or
``failed(error)`` when the service refuses with a :class:`KBError`; :func:`render_form` is that
re-rendered form: a stale edit shows what changed since the form was loaded, any other error its one
message, each with the error's status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import Response
from sqlmodel import Session

from kb.errors import KBError
from kb.versioning import StaleEdit
from web.auth import render_private
from web.deps import get_kbase

T = TypeVar("T")


def submit(
    request: Request,
    work: Callable[[Session], T],
    *,
    done: Callable[[T], Response],
    failed: Callable[[KBError], Response],
) -> Response:
    try:
        with get_kbase(request).session() as session:
            result = work(session)
    except KBError as exc:
        return failed(exc)
    return done(result)


def render_form(
    request: Request, template: str, context: dict[str, Any], exc: KBError | None = None, status_code: int = 200
) -> Response:
    context = {"error": None, "conflict": None, **context}
    if isinstance(exc, StaleEdit):
        context["conflict"] = exc
    elif exc is not None:
        context["error"] = exc.message
    return render_private(request, template, context, status_code=exc.status if exc is not None else status_code)
