"""Security headers on every response (pure ASGI): the pages use no inline script and no CDN, so the
content security policy allows scripts from this origin only. Inline styles stay allowed because the
curator layout carries a <style> block; move it to /static to drop 'unsafe-inline'.

A page asked for with a session cookie may name the account in its header: unless the route said how to
cache it, no browser or proxy keeps it (``no-store``, as the signed-in pages say themselves).

:func:`install` puts the middleware outside Starlette's own ``ServerErrorMiddleware``, which
``add_middleware`` cannot do: the 500 page it sends carries the same headers as every other answer."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.cache import SESSION_MARK

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]
PERSONAL = (b"cache-control", b"no-store")


class SecurityHeaders:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = list(HEADERS)
        cookies = b"".join(v for k, v in scope["headers"] if k == b"cookie")
        if SESSION_MARK in cookies and not scope["path"].startswith("/static/"):
            extra.append(PERSONAL)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [h for h in extra if h[0] not in present]
            await send(message)

        await self.app(scope, receive, with_headers)


def install(app: Starlette) -> None:
    """Wrap the whole stack, the server-error layer included, in :class:`SecurityHeaders`."""
    build = app.build_middleware_stack

    def build_with_headers() -> ASGIApp:
        return SecurityHeaders(build())

    app.build_middleware_stack = build_with_headers  # type: ignore[method-assign]
