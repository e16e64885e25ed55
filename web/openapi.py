"""The statuses /openapi.json lists are the ones the app answers, derived once from each route rather than
written beside each one (where they drifted: FastAPI declares 422, which the one error path answers as 400).

Per kind of route (:data:`KINDS`): every operation that takes parameters or a body may answer 400; one with
a path parameter 404 (no such record); every write 403 (CSRF); one behind a sign-in dependency 401 and 403 (also CSRF for writes);
a signed-in write 409 (stale version, duplicate) and 503 (database busy). A route's own ``responses=``
(a 429 of the login or follow forms, a CSV body) is kept; :data:`REFUSED_LOGIN` is the login route's."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from web.auth import signed_in_user


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApiError"}}}}


BAD_INPUT = {"400": _error("Tham số hoặc nội dung không hợp lệ (thông báo tiếng Việt trong `detail`)")}
NOT_FOUND = {"404": _error("Không có bản ghi này")}
CSRF = {"403": _error("Yêu cầu gửi từ trang web khác (CSRF)")}
REFUSED_LOGIN = {"401": _error("Sai tên đăng nhập hoặc mật khẩu"),
                 "429": _error("Quá nhiều lần đăng nhập sai; thử lại sau (`Retry-After`)")}
SIGNED_IN = {"401": _error("Chưa đăng nhập"),
             "403": _error("Tài khoản không có quyền; hoặc yêu cầu gửi từ trang web khác (CSRF)")}
WRITE = {"409": _error("Xung đột: bản ghi đã được người khác sửa (gửi lại `version` mới) hoặc đã có"),
         "503": _error("Cơ sở dữ liệu đang bận; thử lại sau (`Retry-After`)")}
#: Which statuses each kind of route adds.
KINDS = {"input": BAD_INPUT, "path": NOT_FOUND, "write": CSRF, "signed_in": SIGNED_IN, "signed_in_write": WRITE}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _needs_sign_in(dependant: Dependant) -> bool:
    return any(d.call is signed_in_user or _needs_sign_in(d) for d in dependant.dependencies)


def _takes_input(dependant: Dependant) -> bool:
    return bool(dependant.query_params or dependant.path_params or dependant.body_params or dependant.header_params
                or any(_takes_input(d) for d in dependant.dependencies))


def _api_routes(app: FastAPI) -> list[Any]:
    """Every API route as the app serves it (with the dependencies of the routers that include it)."""
    contexts = getattr(routing, "iter_route_contexts", None)  # FastAPI ≥ 0.160 nests included routers
    if contexts is None:
        return [r for r in app.routes if isinstance(r, APIRoute)]
    return [c for c in contexts(app.routes) if isinstance(c.original_route, APIRoute)]


def kinds(route: Any, method: str) -> list[str]:
    out = []
    if _takes_input(route.dependant) or method in UNSAFE:
        out.append("input")
    if method in UNSAFE:
        out.append("write")
    if route.dependant.path_params or any(d.path_params for d in route.dependant.dependencies):
        out.append("path")
    if _needs_sign_in(route.dependant):
        out.append("signed_in")
        if method in UNSAFE:
            out.append("signed_in_write")
    return out


def install(app: FastAPI) -> None:
    """Replace ``app.openapi`` by one whose operations list the statuses above, and no 422."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        for route in _api_routes(app):
            if not route.include_in_schema:
                continue
            path = doc["paths"].get(route.path_format, {})
            for method in route.methods:
                op = path.get(method.lower())
                if op is None:
                    continue
                responses = op.setdefault("responses", {})
                responses.pop("422", None)
                for kind in kinds(route, method):
                    for status, spec in KINDS[kind].items():
                        responses.setdefault(status, spec)
        doc.setdefault("components", {}).setdefault("schemas", {}).pop("HTTPValidationError", None)
        doc["components"]["schemas"].pop("ValidationError", None)
        doc["components"]["schemas"].setdefault("ApiError", {
            "title": "ApiError", "type": "object", "required": ["detail"],
            "properties": {"detail": {"type": "string", "title": "Detail"}},
            "description": "Mọi câu trả lời 4xx/5xx: một thông báo tiếng Việt."})
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
