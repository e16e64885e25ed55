"""Accounts on the web: a signed session cookie, typed permission dependencies, and the private pages' helpers.

The cookie carries the user id and the account's ``session_version``; bumping that version (password or
role change, ``kb users disable``, logout) voids every cookie issued before. It is signed and timed with
itsdangerous, HttpOnly, SameSite=Lax, and Secure outside development. A route's signature states its
permission: ``CurrentUser``, ``CuratorUser``, ``AdminUser``, ``LabEditor`` (the lab's own users, curators
and admins, for routes with a ``lab_id`` path parameter). The routers import this module; it imports no
router (``web.app.create_app`` mounts them all).
"""

from __future__ import annotations

import re
import secrets
from typing import Annotated, Any

import anyio
from fastapi import Depends, Request
from fastapi.responses import Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlmodel import Session

from kb import legal
from kb import users as kb_users
from kb.config import Settings
from kb.errors import Forbidden, KBError, Unauthorized
from kb.models import Role, User
from web.deps import LabId, get_kbase, on_event_loop, render

SESSION_COOKIE = "kb_session"
_UNSET = object()
#: A working day; a curator who leaves a browser open logs in again tomorrow.
SESSION_MAX_AGE = 10 * 3600
_SALT = "kb.session.v1"
DEV_SECRET = Settings.model_fields["secret_key"].default


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=_SALT)


def _secure(settings: Settings) -> bool:
    return settings.env != "development"


def issue_session(response: Response, settings: Settings, user: User) -> None:
    """Set a fresh cookie (a new random nonce each login, so a planted cookie never survives a login)."""
    token = _serializer(settings).dumps({"uid": user.id, "sv": user.session_version, "n": secrets.token_urlsafe(8)})
    response.set_cookie(SESSION_COOKIE, token, max_age=SESSION_MAX_AGE, path="/", httponly=True,
                        samesite="lax", secure=_secure(settings))


def end_session(response: Response, settings: Settings) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=_secure(settings))


def session_user(request: Request, session: Session | None = None) -> User | None:
    """The account the request's cookie belongs to, if the cookie is genuine, fresh and still current
    (read through ``session`` when the caller already holds one)."""
    cached = getattr(request.state, "user", _UNSET)
    if cached is not _UNSET:
        return cached
    user = None
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        try:
            data = _serializer(request.app.state.settings).loads(token, max_age=SESSION_MAX_AGE)
            uid, sv = int(data["uid"]), int(data["sv"])
        except (BadSignature, KeyError, TypeError, ValueError):
            uid = sv = None
        if uid is not None and session is not None:
            user = kb_users.signed_in(session, uid, sv)
        elif uid is not None:
            with get_kbase(request).session() as own:
                user = kb_users.signed_in(own, uid, sv)
    request.state.user = user
    return user


def header_user(request: Request) -> User | None:
    """The account the page header names (template global). Only a session cookie names one, and the page
    cache passes every request with that cookie by, so a page it keeps never names anyone. Reads through
    the route's session (a second connection could deadlock a busy pool); on the event loop (error pages)
    only what :func:`load_user` read before."""
    cached = getattr(request.state, "user", _UNSET)
    if cached is not _UNSET:
        return cached
    if SESSION_COOKIE not in request.cookies:
        return None
    route_session = getattr(request.state, "session", None)
    if route_session is None and on_event_loop():
        return None
    return session_user(request, route_session)


async def load_user(request: Request) -> None:
    """For pages rendered outside a route (errors): read the account in a worker thread."""
    if SESSION_COOKIE in request.cookies and getattr(request.state, "user", _UNSET) is _UNSET:
        await anyio.to_thread.run_sync(session_user, request)


# --- Permission dependencies ----------------------------------------------------------------------


def optional_user(request: Request) -> User | None:
    return session_user(request)


#: Where an account given a temporary password chooses its own; the only page it may use until then.
PASSWORD_PAGE = "/account/password"
MUST_CHANGE_PASSWORD = ("Bạn đang dùng mật khẩu tạm thời do quản trị viên cấp. Hãy đặt mật khẩu của riêng bạn "
                        "ở trang Đổi mật khẩu trước khi tiếp tục làm việc.")


class PasswordChangeRequired(Forbidden):
    """403 for the API and forms; a browser asking for a page is sent to :data:`location` instead."""

    location = PASSWORD_PAGE


def signed_in_user(request: Request) -> User:
    """Any enabled account, even one that must replace a temporary password (its password page)."""
    user = session_user(request)
    if user is None:
        raise Unauthorized("Cần đăng nhập để thực hiện thao tác này.")
    return user


def current_user(user: Annotated[User, Depends(signed_in_user)]) -> User:
    if user.must_change_password:
        raise PasswordChangeRequired(MUST_CHANGE_PASSWORD)
    return user


def require_role(*roles: Role):
    def dependency(user: Annotated[User, Depends(current_user)]) -> User:
        if user.role not in roles:
            raise Forbidden("Tài khoản của bạn không có quyền thực hiện thao tác này.")
        return user

    dependency.roles = tuple(r.value for r in roles)  # read by the role-matrix test
    return dependency


def lab_editor(lab_id: LabId, user: Annotated[User, Depends(current_user)]) -> User:
    """The lab's own accounts, curators and admins; another lab's account gets 403."""
    if user.role in (Role.curator, Role.admin) or (user.role == Role.lab and user.lab_id == lab_id):
        return user
    raise Forbidden("Tài khoản này chỉ được sửa thông tin phòng thí nghiệm của chính mình.")


lab_editor.roles = ("lab:own", "curator", "admin")
current_user.roles = ("signed-in",)  # any enabled account
signed_in_user.roles = ("signed-in",)  # any enabled account (changing one's own password)

OptionalUser = Annotated[User | None, Depends(optional_user)]
CurrentUser = Annotated[User, Depends(current_user)]
SignedInUser = Annotated[User, Depends(signed_in_user)]
CuratorUser = Annotated[User, Depends(require_role(Role.curator, Role.admin))]
AdminUser = Annotated[User, Depends(require_role(Role.admin))]
LabEditor = Annotated[User, Depends(lab_editor)]


#: Where each role works, and the header's name for it.
WORKSPACE_LABELS = {Role.admin: "Khu vực quản trị", Role.curator: "Khu vực biên tập",
                    Role.lab: "Trang phòng thí nghiệm của tôi"}


def workspace(user: User | None) -> dict[str, str] | None:
    """The account's own workspace, for the header link, the 403 page and the landing after login. Admins
    work in the curator area, whose menu holds the account and agency pages."""
    if user is None:
        return None
    return {"href": home_for(user), "label": WORKSPACE_LABELS[user.role]}


def home_for(user: User) -> str:
    if user.role == Role.lab:
        return f"/lab/{user.lab_id}" if user.lab_id else "/lab"
    return "/curate"


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a path on this site: no scheme, no ``//host``, no backslash tricks."""
    t = (target or "").strip()
    if not t.startswith("/") or t.startswith("//") or "\\" in t or any(ord(c) < 32 for c in t):
        return default
    return t


#: Vietnamese names for the values the curator and lab pages show (templates: ``vi.fields[name]``).
LABELS_VI = {
    "fields": {
        "title_vi": "Tên tiếng Việt", "title_en": "Tên tiếng Anh", "status": "Trạng thái", "effective_date": "Ngày hiệu lực",
        "issuing_instrument": "Văn bản ban hành", "drafted_by": "Cơ quan biên soạn", "proposed_by": "Cơ quan đề nghị",
        "appraised_by": "Cơ quan thẩm định", "published_by": "Cơ quan công bố", "ics": "Mã ICS", "scope": "Phạm vi áp dụng",
        "material": "Sản phẩm, vật liệu", "test": "Phép thử", "range": "Phạm vi đo", "method": "Phương pháp",
        "accredited": "Được công nhận", "name": "Tên", "organization": "Tổ chức", "valid_from": "Hiệu lực từ",
        "valid_until": "Hiệu lực đến", "validity_verified": "Hiệu lực đã xác minh", "address": "Địa chỉ",
        "district": "Huyện", "phone": "Điện thoại",
        "email": "Thư điện tử", "website": "Trang web", "type": "Loại", "rationale": "Lý do áp dụng",
        "legal_basis": "Căn cứ pháp lý", "decision_note": "Lý do quyết định", "aliases": "Tên gọi khác",
        "category": "Nhóm sản phẩm", "kind": "Loại sản phẩm", "ocop_stars": "Số sao OCOP", "producer": "Chủ thể",
        "method_codes": "Mã phương pháp", "method_series": "Chuỗi mã phương pháp", "version": "Phiên bản",
        "edition": "Lần ban hành", "criteria": "Bảng chỉ tiêu", "scope_rows": "Phạm vi công nhận",
        "mandatory_reviewed_at": "Ngày rà soát quy chuẩn bắt buộc", "mandatory_reviewed_by": "Người rà soát",
        "mandatory_review_note": "Ghi chú rà soát",
        "title": "Tên", "summary": "Tóm tắt", "steps": "Các bước", "documents": "Giấy tờ cần chuẩn bị",
        "agency_key": "Nơi nộp hồ sơ", "fees": "Lệ phí", "duration": "Thời gian", "source": "Nguồn",
        "reviewed_by": "Người rà soát", "reviewed_at": "Ngày rà soát",
        "code": "Ký hiệu", "revision": "Lần soát xét", "submitted_by": "Cơ quan trình duyệt",
        "replaces": "Thay thế cho", "converted_from": "Chuyển đổi từ", "equivalence": "Mức tương đương",
        "normative_references": "Tài liệu viện dẫn", "sections": "Số mục", "annexes": "Số phụ lục",
    },
    #: How an extracted field was found (``Provenance.method``), by the start of the method: first match wins.
    "methods": {
        "cover/heading code line": "dòng ký hiệu trên bìa hoặc đầu văn bản",
        "foreword subject": "câu đầu lời nói đầu nêu ký hiệu", "running header": "tiêu đề lặp ở đầu trang",
        "cover block after designation": "khối bìa, sau ký hiệu", "repeated header box": "khung tên lặp ở đầu trang",
        "English lines after cover title": "các dòng tiếng Anh dưới tên trên bìa",
        "title under first body heading": "tên dưới đề mục đầu tiên của nội dung",
        "title under the first body heading": "tên dưới đề mục đầu tiên của nội dung",
        "first upper-case block": "khối chữ in hoa đầu tiên",
        "sentence case of title_vi": "tên tiếng Việt viết lại chữ thường",
        "designation family": "loại ký hiệu", "title genre": "thể loại trong tên", "title": "tên văn bản",
        "numbered designation rows": "các dòng ký hiệu đánh số", "body: ": "lời văn trong nội dung",
        "default": "mặc định", "cover '": "dòng ghi trên bìa",
        "foreword: approval chain": "lời nói đầu: cơ quan biên soạn, đề nghị, thẩm định, công bố",
        "foreword": "lời nói đầu",
        "statement naming the designation: approval chain": "câu nêu ký hiệu: cơ quan biên soạn, thẩm định, công bố",
        "statement naming the designation": "câu nêu ký hiệu văn bản",
        "clause 'Tài liệu viện dẫn'": "điều “Tài liệu viện dẫn”",
        "numbered headings in sequence": "các đề mục đánh số liên tiếp",
        "'Phụ lục X' headings": "các đề mục “Phụ lục”", "scope clause": "điều “Phạm vi áp dụng”",
        "first sentence of scope clause": "câu đầu điều “Phạm vi áp dụng”",
        "opening 'Tiêu chuẩn này' paragraph": "đoạn mở đầu “Tiêu chuẩn này…”", "'ICS' line": "dòng “ICS”",
        "catalogue": "danh mục tiêu chuẩn", "curator": "biên tập viên nhập",
        "bảng (": "các dòng của bảng trong tài liệu",
    },
    "confidence": {"sure": "chắc chắn", "fair": "khá chắc", "check": "cần kiểm tra"},
    "mapping_status": {"suggested": "Đề xuất", "approved": "Đã duyệt", "rejected": "Bị từ chối"},
    "actions": {"create": "Tạo", "update": "Sửa", "delete": "Xóa", "approve": "Duyệt", "approved": "Duyệt",
                "rejected": "Từ chối", "revert": "Hoàn tác", "verify": "Xác minh", "import": "Nhập", "ingest": "Nạp",
                "review": "Rà soát"},
}

#: A legal document's fields, where they differ from other records' ("title" is the document's name): the
#: legal form and the audit log.
LEGAL_FIELD_LABELS_VI = {
    "code": "Số hiệu", "kind": "Loại văn bản", "title": "Tên văn bản", "issuer": "Cơ quan ban hành",
    "issued": "Ngày ban hành", "effective_from": "Có hiệu lực từ", "effective_until": "Hiệu lực đến hết ngày",
    "status": "Tình trạng ghi nhận", "source_url": "Địa chỉ nguồn", "note": "Ghi chú",
    **{r: label.capitalize() for r, label in legal.RELATION_LABELS_VI.items()},
}


def method_vi(method: str | None) -> str:
    """A provenance method in Vietnamese (``ocr; <rule>`` says it was read from OCR'd text)."""
    if not method:
        return "không ghi cách tìm"
    ocr = method.startswith("ocr")
    rule = method.removeprefix("ocr").removeprefix(";").lstrip()
    text = next((vi for prefix, vi in LABELS_VI["methods"].items() if rule.startswith(prefix)),
                "cách tìm khác" if rule else "")
    return ", ".join(x for x in ["đọc từ ảnh quét (OCR)" if ocr else "", text] if x)


def reason_vi(text: str | None) -> str:
    """A stored reason ("sửa trường đã có: title_vi, edition") with field keys named in Vietnamese."""
    names = LABELS_VI["fields"]
    return re.sub(r"\b[a-z][a-z_]*\b", lambda m: names.get(m.group(0), m.group(0)).lower(), text or "")


# --- Wiring (used by web.app.create_app) ----------------------------------------------------------


def check_secret(settings: Settings) -> None:
    """Outside development the cookies must not be signed with the published default key."""
    if _secure(settings) and settings.secret_key == DEV_SECRET:
        raise KBError("KB_SECRET_KEY phải được đặt (chuỗi ngẫu nhiên dài) khi KB_ENV không phải development")


def render_private(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> Response:
    """A signed-in page: never stored by the browser or a proxy (shared computers at the department)."""
    response = render(request, template, context, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response


def context(request: Request, **extra: Any) -> dict[str, Any]:
    """Template context shared by the auth, curator and lab pages."""
    return {"user": session_user(request), **extra}
