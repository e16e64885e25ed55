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
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from kb.db import is_lock_error
from kb.errors import KBError, Unauthorized
from web.auth import PasswordChangeRequired, load_user
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
    503: "Hệ thống đang bận",
}
#: A write that waited its turn (kb/db.py LOCK_WAIT_SECONDS) and did not get it: try again shortly.
BUSY_MESSAGE = "Cơ sở dữ liệu đang bận ghi dữ liệu khác. Vui lòng thử lại sau vài giây; thay đổi chưa được lưu."
RETRY_AFTER_SECONDS = 2


def wants_json(request: Request) -> bool:
    path = request.url.path
    if path.startswith("/api/") or path == "/api" or path.endswith(".json"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


#: Pydantic's error types in the visitor's words (``{…}`` filled from the error's context). A type not
#: listed says "không hợp lệ": never pydantic's English.
_VALIDATION_VI = {
    "missing": "bắt buộc phải có",
    "extra_forbidden": "không có trường này",
    "int_parsing": "phải là số nguyên", "int_type": "phải là số nguyên", "int_from_float": "phải là số nguyên",
    "float_parsing": "phải là số", "float_type": "phải là số",
    "bool_parsing": "phải là true hoặc false", "bool_type": "phải là true hoặc false",
    "string_type": "phải là chuỗi ký tự",
    "list_type": "phải là danh sách", "tuple_type": "phải là danh sách",
    "dict_type": "phải là đối tượng JSON", "model_type": "phải là đối tượng JSON",
    "model_attributes_type": "phải là đối tượng JSON",
    "date_parsing": "phải là ngày dạng YYYY-MM-DD", "date_type": "phải là ngày dạng YYYY-MM-DD",
    "date_from_datetime_parsing": "phải là ngày dạng YYYY-MM-DD",
    "json_invalid": "nội dung JSON không đọc được", "json_type": "nội dung JSON không đọc được",
    "less_than_equal": "không được lớn hơn {le}", "greater_than_equal": "không được nhỏ hơn {ge}",
    "less_than": "phải nhỏ hơn {lt}", "greater_than": "phải lớn hơn {gt}",
    "literal_error": "phải là một trong: {expected}", "enum": "phải là một trong: {expected}",
    "string_too_long": "quá dài (tối đa {max_length} ký tự)", "string_too_short": "quá ngắn (ít nhất {min_length} ký tự)",
    "too_long": "quá nhiều phần tử (tối đa {max_length})", "too_short": "quá ít phần tử (ít nhất {min_length})",
}


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        loc = [str(x) for x in err.get("loc", ()) if x not in ("query", "path", "body")]
        name = ".".join(loc) or "tham số"
        template = _VALIDATION_VI.get(err.get("type", ""), "không hợp lệ")
        try:
            text = template.format(**(err.get("ctx") or {}))
        except (KeyError, IndexError):
            text = template.split(" {")[0]
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
    if is_lock_error(exc):
        return 503, BUSY_MESSAGE
    return 500, "Đã có lỗi ngoài dự kiến. Vui lòng thử lại sau."


async def handle(request: Request, exc: Exception) -> Response:
    status, message = status_and_message(exc)
    if status == 503:
        log.warning("database busy on %s %s: %s", request.method, request.url.path, exc)
    elif status >= 500:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    headers = getattr(exc, "headers", None) if isinstance(exc, (StarletteHTTPException, KBError)) else None
    if status == 503 and is_lock_error(exc):
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
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
    """A browser asking for a page is sent to the login form (or the exception's own ``location``: the
    password page of an account with a temporary password); everything else gets :func:`handle`'s answer."""
    if request.method in ("GET", "HEAD") and not wants_json(request):
        if getattr(exc, "location", None):
            return RedirectResponse(exc.location, status_code=303)  # type: ignore[attr-defined]
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)
    return await handle(request, exc)


async def busy(request: Request, exc: Exception) -> Response:
    """A lock answers 503 from the exception middleware (the catch-all ``Exception`` handler runs in
    Starlette's server-error middleware, which re-raises after answering); any other database error goes
    on to that catch-all, a 500."""
    if not is_lock_error(exc):
        raise exc
    return await handle(request, exc)


def install(app: FastAPI) -> None:
    for exc_class in (KBError, RequestValidationError, StarletteHTTPException, Exception):
        app.add_exception_handler(exc_class, handle)
    app.add_exception_handler(DBAPIError, busy)
    app.add_exception_handler(Unauthorized, login_redirect)
    app.add_exception_handler(PasswordChangeRequired, login_redirect)
