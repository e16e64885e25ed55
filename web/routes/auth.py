"""Login and logout, as an HTML form and as JSON. Failures get one generic message, whatever failed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from kb import users
from kb.errors import KBError
from kb.models import User
from web import auth
from web.deps import get_kbase
from web.forms import render_form, submit

router = APIRouter(tags=["auth"])

BAD_LOGIN = "Sai tên đăng nhập hoặc mật khẩu."
TOO_MANY = "Quá nhiều lần đăng nhập không thành công. Vui lòng thử lại sau ít phút."


class LoginIn(BaseModel):
    username: str = Field(max_length=200)
    password: str = Field(max_length=1000)


class LoginRefused(KBError):
    """A failed (401) or throttled (429) login, with one generic message whatever failed."""

    def __init__(self, message: str, status: int, retry_after: int = 0):
        super().__init__(message, status)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str] | None:
        return {"Retry-After": str(self.retry_after)} if self.retry_after else None


def attempt_login(request: Request, session: Session, username: str, password: str) -> User:
    """The account, if the password is right and the login limit allows; else :class:`LoginRefused`."""
    limiter = request.app.state.login_limiter
    ip = request.client.host if request.client else None
    wait = limiter.blocked(ip, username)
    if wait:
        raise LoginRefused(TOO_MANY, 429, retry_after=wait)
    user = users.authenticate(session, username, password)
    if user is None:
        limiter.failed(ip, username)
        raise LoginRefused(BAD_LOGIN, 401)
    limiter.succeeded(ip, username)
    return user


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
    def signed_in(user: User) -> Response:
        response = RedirectResponse(auth.safe_next(next, auth.home_for(user)), status_code=303)
        auth.issue_session(response, request.app.state.settings, user)
        return response

    def refused(exc: KBError) -> Response:
        ctx = auth.context(request, next=auth.safe_next(next, ""), username=username)
        response = render_form(request, "auth/login.html", ctx, exc)
        if isinstance(exc, LoginRefused) and exc.headers:
            response.headers.update(exc.headers)
        return response

    return submit(request, lambda session: attempt_login(request, session, username, password),
                  done=signed_in, failed=refused)


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
            users.end_all_sessions(session, user)


@router.post("/api/auth/login", summary="Đăng nhập (đặt cookie phiên)")
def api_login(request: Request, body: LoginIn) -> Response:
    try:
        with get_kbase(request).session() as session:
            user = attempt_login(request, session, body.username, body.password)
    except LoginRefused as exc:
        return JSONResponse({"detail": exc.message}, status_code=exc.status, headers=exc.headers)
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
