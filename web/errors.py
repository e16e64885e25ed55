"""One error path (after Datasette's ``handle_exception``): every failure becomes a page or JSON.

``KBError`` (our own), ``RequestValidationError`` (bad parameters → 400) and Starlette's ``HTTPException``
(unknown route, wrong method) all go through :func:`handle`. ``/api/…`` answers ``{"detail": message}``;
everything else renders ``errors/{status}.html``, falling back to ``errors/error.html``, with the signed-in
account's links in its header (and, on a 403, back to its workspace). A 401 for a browser asking for a page
is a redirect to the login form instead.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from jinja2 import TemplateNotFound
from starlette.exceptions import HTTPException as StarletteHTTPException

from kb.errors import KBError, Unauthorized
from web.auth import load_user
from web.deps import load_footer_agency

log = logging.getLogger("web")

_TITLES = {
    400: "Yêu cầu không hợp lệ",
    401: "Cần đăng nhập",
    403: "Không có quyền truy cập",
    404: "Không tìm thấy trang",
    405: "Phương thức không được hỗ trợ",
    409: "Xung đột dữ liệu",
    422: "Không xử lý được dữ liệu",
    500: "Lỗi máy chủ",
}


def wants_json(request: Request) -> bool:
    path = request.url.path
    if path.startswith("/api/") or path == "/api" or path.endswith(".json"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        loc = [str(x) for x in err.get("loc", ()) if x not in ("query", "path", "body")]
        name = ".".join(loc) or "tham số"
        kind, ctx = err.get("type", ""), err.get("ctx") or {}
        if kind == "missing":
            text = "bắt buộc phải có"
        elif kind in ("int_parsing", "int_type", "int_from_float"):
            text = "phải là số nguyên"
        elif kind == "less_than_equal":
            text = f"không được lớn hơn {ctx.get('le')}"
        elif kind == "greater_than_equal":
            text = f"không được nhỏ hơn {ctx.get('ge')}"
        elif kind == "literal_error":
            text = f"phải là một trong: {ctx.get('expected')}"
        elif kind == "string_too_long":
            text = f"quá dài (tối đa {ctx.get('max_length')} ký tự)"
        else:
            text = str(err.get("msg", "không hợp lệ"))
        parts.append(f"{name}: {text}")
    return "; ".join(parts) or "tham số không hợp lệ"


def status_and_message(exc: Exception) -> tuple[int, str]:
    if isinstance(exc, KBError):
        return exc.status, exc.message
    if isinstance(exc, RequestValidationError):
        return 400, _validation_message(exc)
    if isinstance(exc, StarletteHTTPException):
        detail = exc.detail if isinstance(exc.detail, str) else None
        if exc.status_code == 404 and detail in (None, "Not Found"):
            detail = "Không có trang nào ở địa chỉ này."
        if exc.status_code == 405 and detail in (None, "Method Not Allowed"):
            detail = "Địa chỉ này không nhận phương thức đó."
        return exc.status_code, detail or _TITLES.get(exc.status_code, "Lỗi")
    return 500, "Đã có lỗi ngoài dự kiến. Vui lòng thử lại sau."


async def handle(request: Request, exc: Exception) -> Response:
    status, message = status_and_message(exc)
    if status >= 500:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    headers = getattr(exc, "headers", None) if isinstance(exc, StarletteHTTPException) else None
    if wants_json(request):
        return JSONResponse({"detail": message}, status_code=status, headers=headers)
    context: dict[str, Any] = {
        "status": status,
        "title": _TITLES.get(status, "Lỗi"),
        "message": message,
        # What the visitor was looking for, to prefill the search box of the 404 page.
        "wanted": _wanted(request) if status == 404 else "",
        **(getattr(exc, "context", None) or {}),
    }
    await load_footer_agency(request)
    if status < 500:  # the header's and the 403 page's links to the account's workspace (not when the database fails)
        await load_user(request)
    templates = request.app.state.templates
    for name in (f"errors/{status}.html", "errors/error.html"):
        try:
            return templates.TemplateResponse(request, name, context, status_code=status, headers=headers)
        except TemplateNotFound:
            continue
    return Response(message, status_code=status, media_type="text/plain; charset=utf-8")  # pragma: no cover


def _wanted(request: Request) -> str:
    path = request.url.path.strip("/")
    head, _, rest = path.partition("/")
    if head == "standards" and rest:
        return rest
    return request.query_params.get("q", "")


async def login_redirect(request: Request, exc: Exception) -> Response:
    """A browser asking for a page is sent to the login form; everything else gets the 401 of :func:`handle`."""
    if request.method in ("GET", "HEAD") and not wants_json(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)
    return await handle(request, exc)


def install(app: FastAPI) -> None:
    for exc_class in (KBError, RequestValidationError, StarletteHTTPException, Exception):
        app.add_exception_handler(exc_class, handle)
    app.add_exception_handler(Unauthorized, login_redirect)
