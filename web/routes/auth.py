"""Login and logout, as an HTML form and as JSON (failures get one generic message, whatever failed), and
changing one's own password. A wrong current password counts against the login limiter under the same keys
(client IP, account), so the change form is no side door for guessing."""

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
from web.openapi import REFUSED_LOGIN

router = APIRouter(tags=["auth"])

BAD_LOGIN = "Sai tên đăng nhập hoặc mật khẩu."
TOO_MANY = "Quá nhiều lần đăng nhập không thành công. Vui lòng thử lại sau ít phút."
TOO_MANY_PASSWORDS = "Quá nhiều lần nhập sai mật khẩu. Vui lòng thử lại sau ít phút."
PASSWORD_CHANGED = "Đã đổi mật khẩu. Các phiên đăng nhập khác của tài khoản (trình duyệt, máy khác) đã kết thúc."


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


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def attempt_login(request: Request, session: Session, username: str, password: str) -> User:
    """The account, if the password is right and the login limit allows; else :class:`LoginRefused`."""
    limiter = request.app.state.login_limiter
    ip = _client_ip(request)
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
        # A temporary password from an admin: the account chooses its own before anything else.
        target = auth.PASSWORD_PAGE if user.must_change_password else auth.safe_next(next, auth.home_for(user))
        response = RedirectResponse(target, status_code=303)
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


@router.get("/account/password", include_in_schema=False)
def password_form(request: Request, user: auth.SignedInUser) -> Response:
    notice = PASSWORD_CHANGED if request.query_params.get("ok") == "changed" else None
    ctx = auth.context(request, notice=notice, error=None, min_length=users.MIN_PASSWORD_LENGTH)
    return auth.render_private(request, "auth/password.html", ctx)


@router.post("/account/password", include_in_schema=False)
def password_submit(
    request: Request,
    user: auth.SignedInUser,
    current: Annotated[str, Form(max_length=1000)] = "",
    new: Annotated[str, Form(max_length=1000)] = "",
    repeat: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    limiter = request.app.state.login_limiter
    ip = _client_ip(request)

    def change(session: Session) -> User:
        wait = limiter.blocked(ip, user.username)
        if wait:
            raise LoginRefused(TOO_MANY_PASSWORDS, 429, retry_after=wait)
        changed = users.change_own_password(session, user.id, current, new, repeat)
        limiter.succeeded(ip, user.username)
        return changed

    def done(changed: User) -> Response:
        # Every cookie of the account is void now; this browser gets a fresh one and stays signed in.
        response = RedirectResponse("/account/password?ok=changed", status_code=303)
        auth.issue_session(response, request.app.state.settings, changed)
        return response

    def failed(exc: KBError) -> Response:
        if isinstance(exc, users.WrongPassword):
            limiter.failed(ip, user.username)
        response = render_form(request, "auth/password.html", auth.context(request, notice=None, min_length=users.MIN_PASSWORD_LENGTH), exc)
        if isinstance(exc, LoginRefused) and exc.headers:
            response.headers.update(exc.headers)
        return response

    return submit(request, change, done=done, failed=failed)


@router.post("/api/auth/login", summary="Đăng nhập (đặt cookie phiên)", responses=REFUSED_LOGIN)
def api_login(request: Request, body: LoginIn) -> Response:
    try:
        with get_kbase(request).session() as session:
            user = attempt_login(request, session, body.username, body.password)
    except LoginRefused as exc:
        return JSONResponse({"detail": exc.message}, status_code=exc.status, headers=exc.headers)
    response = JSONResponse(_me(user))
    auth.issue_session(response, request.app.state.settings, user)
    return response


@router.post("/api/auth/logout", status_code=204, summary="Đăng xuất (mọi phiên của tài khoản)")
def api_logout(request: Request) -> Response:
    _end(request)
    response = Response(status_code=204)
    auth.end_session(response, request.app.state.settings)
    return response


@router.get("/api/auth/me", summary="Tài khoản đang đăng nhập")
def api_me(user: auth.SignedInUser) -> dict:
    return _me(user)


def _me(user: User) -> dict:
    """The account as the API shows it; ``must_change_password``: every other call answers 403 until the
    temporary password an admin gave is replaced (``/account/password``)."""
    return {"username": user.username, "role": user.role.value, "lab_id": user.lab_id,
            "must_change_password": user.must_change_password}
