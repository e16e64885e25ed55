"""Administration for admins: accounts (list, create, disable, reset a password: the services of
``kb users``) and the
contact details of the agencies the public pages name (the services of ``kb import agencies``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from kb import contacts, labs, users
from kb.errors import Conflict, KBError, NotFound
from kb.models import Agency, User
from web import auth
from web.auth import AdminUser
from web.deps import MAX_ID, get_kbase
from web.forms import render_form, submit
from web.routes.curate._common import form_version

router = APIRouter(include_in_schema=False)

NOTICES = {"created": "Đã tạo tài khoản.", "disabled": "Đã khóa tài khoản; mọi phiên đăng nhập của nó đã kết thúc.",
           "password-reset": "Đã đặt mật khẩu mới; mọi phiên đăng nhập của tài khoản đó đã kết thúc.",
           "agency-saved": "Đã lưu thông tin cơ quan."}


def _page(request: Request, exc: KBError | None = None, form: dict[str, str] | None = None,
          issued: dict[str, str] | None = None) -> Response:
    with get_kbase(request).session() as session:
        accounts = users.list_users(session)
        lab_names = labs.accreditations(session)
    ctx = auth.context(request, accounts=accounts, lab_names=lab_names, form=form or {}, issued=issued,
                       min_length=users.MIN_PASSWORD_LENGTH, notice=NOTICES.get(request.query_params.get("ok", "")))
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


@router.post("/admin/users/{user_id}/password")
def user_password_submit(
    request: Request, user_id: Annotated[int, Path(ge=1, le=MAX_ID)], user: AdminUser,
    password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """A password the admin chose (then back to the list), or, when empty, a temporary one shown on this
    answer only: it is never stored in clear, never put in an address, and the page is not kept (no-store)."""

    def done(result: tuple[User, str | None]) -> Response:
        target, temporary = result
        if temporary is None:
            return RedirectResponse("/admin/users?ok=password-reset", status_code=303)
        return _page(request, issued={"username": target.username, "password": temporary})

    return submit(request, lambda session: users.reset_password(session, user_id, password, actor=user),
                  done=done, failed=lambda exc: _page(request, exc))


# --- Agencies -------------------------------------------------------------------------------------------

#: The form's labels, in the order of the model's fields.
AGENCY_LABELS = {"name": "Tên cơ quan", "unit": "Đơn vị tiếp nhận (phòng, chi cục)", "address": "Địa chỉ",
                 "phone": "Điện thoại", "email": "Thư điện tử", "website": "Trang web (http:// hoặc https://)",
                 "source": "Nguồn của các thông tin trên (địa chỉ trang, văn bản)",
                 "verified_at": "Ngày kiểm tra gần nhất (YYYY-MM-DD)"}
AgencyKey = Annotated[str, Path(max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
Text = Annotated[str, Form(max_length=2000)]


def _agencies_page(request: Request, exc: KBError | None = None, form: dict[str, str] | None = None) -> Response:
    with get_kbase(request).session() as session:
        agencies = contacts.list_agencies(session)
    ctx = auth.context(request, agencies=agencies, form=form or {}, labels=AGENCY_LABELS,
                       notice=NOTICES.get(request.query_params.get("ok", "")))
    return render_form(request, "admin/agencies.html", ctx, exc)


def _agency_page(request: Request, key: str, form: dict[str, str] | None = None, exc: KBError | None = None) -> Response:
    with get_kbase(request).session() as session:
        agency = _require_agency(session, key)
    if form is None:
        form = {f: "" if getattr(agency, f) is None else str(getattr(agency, f)) for f in contacts.AGENCY_FIELDS}
    ctx = auth.context(request, agency=agency, form=form, labels=AGENCY_LABELS,
                       notice=NOTICES.get(request.query_params.get("ok", "")))
    return render_form(request, "admin/agency.html", ctx, exc)


def _require_agency(session: Session, key: str) -> Agency:
    agency = contacts.get_agency(session, key)
    if agency is None:
        raise NotFound(f"Không có cơ quan {key!r}")
    return agency


@router.get("/admin/agencies")
def agencies_page(request: Request, user: AdminUser) -> Response:
    return _agencies_page(request)


@router.post("/admin/agencies")
def agency_create_submit(request: Request, user: AdminUser,
                         key: Annotated[str, Form(max_length=40)] = "",
                         name: Annotated[str, Form(max_length=300)] = "") -> Response:
    def create(session: Session) -> str:
        k, fields = contacts.parse_agency({"key": key, "name": name})
        if contacts.get_agency(session, k) is not None:
            raise Conflict(f"đã có cơ quan với mã {k!r}")
        contacts.upsert_agency(session, k, fields, actor=user.username)
        return k

    return submit(request, create,
                  done=lambda k: RedirectResponse(f"/admin/agencies/{k}", status_code=303),
                  failed=lambda exc: _agencies_page(request, exc, {"key": key, "name": name}))


@router.get("/admin/agencies/{key}")
def agency_page(request: Request, key: AgencyKey, user: AdminUser) -> Response:
    return _agency_page(request, key)


@router.post("/admin/agencies/{key}")
def agency_edit_submit(
    request: Request, key: AgencyKey, user: AdminUser,
    version: Annotated[str, Form(max_length=12)] = "",
    name: Annotated[str, Form(max_length=300)] = "",
    unit: Text = "", address: Text = "", phone: Annotated[str, Form(max_length=100)] = "",
    email: Annotated[str, Form(max_length=300)] = "", website: Annotated[str, Form(max_length=500)] = "",
    source: Text = "", verified_at: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    form = {"name": name, "unit": unit, "address": address, "phone": phone, "email": email, "website": website,
            "source": source, "verified_at": verified_at}

    def save(session: Session) -> None:
        _require_agency(session, key)
        _, fields = contacts.parse_agency({"key": key, **form})  # an empty field clears it
        contacts.upsert_agency(session, key, fields, actor=user.username, expected_version=form_version(version))

    return submit(request, save,
                  done=lambda _: RedirectResponse("/admin/agencies?ok=agency-saved", status_code=303),
                  failed=lambda exc: _agency_page(request, key, form, exc))
