"""The one boundary check for NUL characters: no NUL anywhere in a request's path, query, form or JSON body.
PostgreSQL text columns cannot hold NUL (the driver raises, the visitor would see a 500) and no legitimate
input carries one, so such a request is refused with 400 here, rather than cleaned in each route. File uploads
(multipart) are not looked at: files do hold NUL bytes.

Two halves of the same check: :func:`refuse_nul` (an app-wide dependency) for the path and the query, and
:class:`RefuseNulBodies` (pure ASGI) for bodies. The body is checked as the route reads it, chunk by chunk,
without reading it ahead: routes that count the bytes of their own upload still see the whole stream. The
refusal is an ``HTTPException`` raised from ``receive``, so it goes through the one error path (web/errors.py)."""

from __future__ import annotations

from fastapi import Request
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kb.errors import BadInput

QUERY_MESSAGE = "Yêu cầu chứa ký tự NUL (mã 0), không được chấp nhận."
BODY_MESSAGE = "Nội dung gửi lên chứa ký tự NUL (mã 0), không được chấp nhận."
#: A NUL as each kind of body spells it: raw, percent-encoded (forms) or as a JSON escape.
_SPELLINGS = {"application/x-www-form-urlencoded": (b"\x00", b"%00"), "application/json": (b"\x00", b"\\u0000")}


async def refuse_nul(request: Request) -> None:
    """App-wide dependency: BadInput (400) when the path or the query holds a NUL."""
    if "\x00" in request.url.path or b"%00" in request.scope.get("query_string", b""):
        raise BadInput(QUERY_MESSAGE)


class RefuseNulBodies:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        ctype = b""
        if scope["type"] == "http":
            ctype = next((v for k, v in scope["headers"] if k == b"content-type"), b"").split(b";")[0].strip().lower()
        spellings = _SPELLINGS.get(ctype.decode("latin-1"))
        if not spellings:
            await self.app(scope, receive, send)
            return
        tail = b""

        async def checked() -> Message:
            nonlocal tail
            message = await receive()
            if message["type"] == "http.request":
                seen = tail + message.get("body", b"")
                if any(s in seen for s in spellings):
                    raise HTTPException(400, BODY_MESSAGE)
                tail = seen[-5:]  # a spelling cut between two chunks is still found
            return message

        await self.app(scope, checked, send)
