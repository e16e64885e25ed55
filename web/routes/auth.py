"""Login and logout, as an HTML form and as JSON. Failures get one generic message, whatever failed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from web import auth
from web.deps import get_kbase

router = APIRouter(tags=["auth"])

BAD_LOGIN = "Sai tên đăng nhập hoặc mật khẩu."
TOO_MANY = "Quá nhiều lần đăng nhập không thành công. Vui lòng thử lại sau ít phút."


class LoginIn(BaseModel):
    username: str = Field(max_length=200)
    password: str = Field(max_length=1000)


class Outcome:
    """What a login attempt came to: a user, or a status with the message to show."""

    def __init__(self, user=None, status: int = 200, message: str = "", retry_after: int = 0):
        self.user, self.status, self.message, self.retry_after = user, status, message, retry_after


def attempt_login(request: Request, username: str, password: str) -> Outcome:
    limiter = request.app.state.login_limiter
    ip = request.client.host if request.client else None
    wait = limiter.blocked(ip, username)
    if wait:
        return Outcome(status=429, message=TOO_MANY, retry_after=wait)
    with get_kbase(request).session() as session:
        user = auth.authenticate(session, username, password)
    if user is None:
        limiter.failed(ip, username)
        return Outcome(status=401, message=BAD_LOGIN)
    limiter.succeeded(ip, username)
    return Outcome(user=user)


def _headers(outcome: Outcome) -> dict[str, str] | None:
    return {"Retry-After": str(outcome.retry_after)} if outcome.retry_after else None


@router.get("/login", include_in_schema=False)
def login_form(request: Request, next: str = "") -> Response:
    ctx = auth.context(request, next=auth.safe_next(next, ""), error=None)
    return auth.render_private(request, "auth/login.html", ctx)


@router.post("/login", include_in_schema=False)
def login_submit(
    request: Request,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form()] = "",
) -> Response:
    outcome = attempt_login(request, username, password)
    if outcome.user is None:
        ctx = auth.context(request, next=auth.safe_next(next, ""), error=outcome.message, username=username)
        response = auth.render_private(request, "auth/login.html", ctx, status_code=outcome.status)
        if outcome.retry_after:
            response.headers["Retry-After"] = str(outcome.retry_after)
        return response
    response = RedirectResponse(auth.safe_next(next, auth.home_for(outcome.user)), status_code=303)
    auth.issue_session(response, request.app.state.settings, outcome.user)
    return response


@router.post("/logout", include_in_schema=False)
def logout_submit(request: Request) -> Response:
    _end(request)
    response = RedirectResponse("/", status_code=303)
    auth.end_session(response, request.app.state.settings)
    return response


def _end(request: Request) -> None:
    user = auth.session_user(request)
    if user is not None:
        with get_kbase(request).session() as session:
            auth.end_all_sessions(session, user)


@router.post("/api/auth/login", summary="Đăng nhập (đặt cookie phiên)")
def api_login(request: Request, body: LoginIn) -> Response:
    outcome = attempt_login(request, body.username, body.password)
    if outcome.user is None:
        return JSONResponse({"detail": outcome.message}, status_code=outcome.status, headers=_headers(outcome))
    user = outcome.user
    response = JSONResponse({"username": user.username, "role": user.role.value, "lab_id": user.lab_id})
    auth.issue_session(response, request.app.state.settings, user)
    return response


@router.post("/api/auth/logout", status_code=204, summary="Đăng xuất (mọi phiên của tài khoản)")
def api_logout(request: Request) -> Response:
    _end(request)
    response = Response(status_code=204)
    auth.end_session(response, request.app.state.settings)
    return response


@router.get("/api/auth/me", summary="Tài khoản đang đăng nhập")
def api_me(user: auth.CurrentUser) -> dict:
    return {"username": user.username, "role": user.role.value, "lab_id": user.lab_id}
