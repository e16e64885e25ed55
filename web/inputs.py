"""The one boundary check every request passes before a route sees it: no NUL character anywhere in the path,
the query or a form/JSON body. PostgreSQL text columns cannot hold NUL (the driver raises, the visitor would
see a 500) and no legitimate input carries one, so a request with one is refused with 400 here, once, rather
than cleaned in each route. File uploads (multipart) are not looked at: files do hold NUL bytes."""

from __future__ import annotations

from fastapi import Request

from kb.errors import BadInput

#: A NUL as it arrives: raw, percent-encoded (forms, queries) or as a JSON escape.
_NUL = (b"\x00", b"%00", b"\\u0000")
_FORM, _JSON = "application/x-www-form-urlencoded", "application/json"


def _has_nul(raw: bytes) -> bool:
    raw = raw.lower()
    return any(n in raw for n in _NUL)


async def refuse_nul(request: Request) -> None:
    """App-wide dependency: BadInput (400) when a NUL character is in the request's text."""
    if "\x00" in request.url.path or _has_nul(request.scope.get("query_string", b"")):
        raise BadInput("Yêu cầu chứa ký tự NUL (mã 0), không được chấp nhận.")
    if request.method in ("GET", "HEAD"):
        return
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == _FORM:  # parsed once and kept by the request: the route reads the same form
        form = await request.form()
        found = any("\x00" in k or (isinstance(v, str) and "\x00" in v) for k, v in form.multi_items())
    elif ctype == _JSON:
        found = _has_nul(await request.body())
    else:
        return
    if found:
        raise BadInput("Nội dung gửi lên chứa ký tự NUL (mã 0), không được chấp nhận.")
