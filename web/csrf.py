"""CSRF protection without tokens (after Datasette and Go's CrossOriginProtection): browsers say where a
request comes from. An unsafe request (POST/PUT/PATCH/DELETE) is refused with 403 when ``Sec-Fetch-Site``
says ``cross-site`` or when ``Origin`` names another host than the one addressed. Clients that send
neither header (curl, scripts) are not browsers and carry no ambient cookie risk; SameSite=Lax on the
session cookie is the second layer for old browsers.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
#: Unsafe requests that carry their own authority and none of the browser's: the one-click unsubscribe
#: a mail provider posts on the reader's behalf (RFC 8058) is authorised by the signed token in its path.
EXEMPT_PREFIXES = ("/subscriptions/unsubscribe/",)
MESSAGE = "Yêu cầu bị từ chối: gửi từ một trang web khác (chống giả mạo yêu cầu, CSRF)."


def cross_origin(scope: Scope) -> bool:
    headers = Headers(scope=scope)
    if headers.get("sec-fetch-site", "").lower() == "cross-site":
        return True
    origin = headers.get("origin")
    if origin is None:
        return False
    if origin == "null":  # sandboxed frames, data: URLs, privacy redirects: never our own pages
        return True
    return urlsplit(origin).netloc.lower() != headers.get("host", "").lower()


class CSRFMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] in SAFE_METHODS or scope["path"].startswith(EXEMPT_PREFIXES)
                or not cross_origin(scope)):
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith("/api/"):
            body, ctype = json.dumps({"detail": MESSAGE}, ensure_ascii=False), "application/json"
        else:
            body, ctype = MESSAGE, "text/plain; charset=utf-8"
        data = body.encode()
        await send({"type": "http.response.start", "status": 403,
                    "headers": [(b"content-type", ctype.encode()), (b"content-length", str(len(data)).encode())]})
        await send({"type": "http.response.body", "body": data})
