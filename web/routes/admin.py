"""Account administration for admins: list, create, disable (the same services as ``kb users``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import select

from kb import users
from kb.errors import KBError, NotFound
from kb.models import Lab, User
from web import auth
from web.auth import AdminUser
from web.deps import MAX_ID, get_kbase

router = APIRouter(include_in_schema=False)

NOTICES = {"created": "Đã tạo tài khoản.", "disabled": "Đã khóa tài khoản; mọi phiên đăng nhập của nó đã kết thúc."}


def _page(request: Request, status: int = 200, error: str | None = None, form: dict | None = None) -> Response:
    with get_kbase(request).session() as session:
        accounts = users.list_users(session)
        lab_names = {lab.id: lab.accreditation for lab in session.exec(select(Lab)).all()}
    ctx = auth.context(request, accounts=accounts, lab_names=lab_names, form=form or {}, error=error, conflict=None,
                       notice=NOTICES.get(request.query_params.get("ok", "")))
    return auth.render_private(request, "curate/users.html", ctx, status_code=status)


@router.get("/admin/users")
def users_page(request: Request, user: AdminUser) -> Response:
    return _page(request)


@router.post("/admin/users")
def user_create_submit(
    request: Request, user: AdminUser,
    username: Annotated[str, Form(max_length=80)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
    lab: Annotated[str, Form(max_length=60)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    try:
        if role not in ("admin", "curator", "lab"):
            raise KBError("vai trò phải là admin, curator hoặc lab")
        with get_kbase(request).session() as session:
            users.add_user(session, username, password, role, lab=lab or None, actor=user.username)
    except KBError as exc:
        return _page(request, exc.status, exc.message, {"username": username, "role": role, "lab": lab})
    return RedirectResponse("/admin/users?ok=created", status_code=303)


@router.post("/admin/users/{user_id}/disable")
def user_disable_submit(request: Request, user_id: Annotated[int, Path(ge=1, le=MAX_ID)], user: AdminUser) -> Response:
    with get_kbase(request).session() as session:
        target = session.get(User, user_id)
        if target is None:
            raise NotFound(f"Không có tài khoản #{user_id}")
        if target.id == user.id:
            raise KBError("không tự khóa tài khoản của mình")
        users.disable_user(session, target.username, actor=user.username)
    return RedirectResponse("/admin/users?ok=disabled", status_code=303)
