"""Account administration for admins: list, create, disable (the same services as ``kb users``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from kb import labs, users
from kb.errors import KBError
from web import auth
from web.auth import AdminUser
from web.deps import MAX_ID, get_kbase
from web.forms import render_form, submit

router = APIRouter(include_in_schema=False)

NOTICES = {"created": "Đã tạo tài khoản.", "disabled": "Đã khóa tài khoản; mọi phiên đăng nhập của nó đã kết thúc."}


def _page(request: Request, exc: KBError | None = None, form: dict[str, str] | None = None) -> Response:
    with get_kbase(request).session() as session:
        accounts = users.list_users(session)
        lab_names = labs.accreditations(session)
    ctx = auth.context(request, accounts=accounts, lab_names=lab_names, form=form or {},
                       notice=NOTICES.get(request.query_params.get("ok", "")))
    return render_form(request, "curate/users.html", ctx, exc)


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
    def create(session: Session) -> None:
        if role not in ("admin", "curator", "lab"):
            raise KBError("vai trò phải là admin, curator hoặc lab")
        users.add_user(session, username, password, role, lab=lab or None, actor=user.username)

    return submit(
        request, create,
        done=lambda _: RedirectResponse("/admin/users?ok=created", status_code=303),
        failed=lambda exc: _page(request, exc, {"username": username, "role": role, "lab": lab}),
    )


@router.post("/admin/users/{user_id}/disable")
def user_disable_submit(request: Request, user_id: Annotated[int, Path(ge=1, le=MAX_ID)], user: AdminUser) -> Response:
    with get_kbase(request).session() as session:
        target = users.require_user(session, user_id)
        if target.id == user.id:
            raise KBError("không tự khóa tài khoản của mình")
        users.disable_user(session, target.username, actor=user.username)
    return RedirectResponse("/admin/users?ok=disabled", status_code=303)
