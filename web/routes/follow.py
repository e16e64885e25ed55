"""Following a record by e-mail, without an account: the "Theo dõi" form on public pages, its JSON twin,
and the confirm and unsubscribe links the mails carry (``kb.subscriptions``).

Every answer to a subscription request is the same, whether the address is new, waiting, already
following or over its hourly limit: nobody learns from the site whether an address follows anything.
The unsubscribe link works with a GET (a person clicking) and a POST (RFC 8058 one-click, sent by the
reader's mail provider, not from our pages: the CSRF check leaves that path alone, the signed token is
its only authority).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from kb import subscriptions
from kb.errors import BadInput, KBError
from kb.mailer import mail_domain
from web.deps import get_kbase, render
from web.ratelimit import SlidingWindowLimiter

router = APIRouter()

#: Subscription requests one client may make in an hour (the per-address limit is in kb.subscriptions).
REQUESTS_PER_HOUR = 30
SENT = ("Nếu địa chỉ hợp lệ, một thư xác nhận sẽ đến trong ít phút. Bạn chỉ nhận thông báo sau khi bấm "
        "liên kết trong thư đó.")
Token = Annotated[str, Path(max_length=400, description="Liên kết đã ký trong thư")]


class TooMany(KBError):
    status = 429

    def __init__(self, retry_after: int):
        super().__init__("Bạn đã gửi quá nhiều yêu cầu theo dõi; hãy thử lại sau ít phút.")
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


def new_limiter() -> SlidingWindowLimiter:
    """The per-client limit on subscription requests, one per app (``web.app.create_app``)."""
    return SlidingWindowLimiter(REQUESTS_PER_HOUR, 3600.0)


def _count_request(request: Request) -> None:
    key = f"ip:{request.client.host if request.client else '?'}"
    lim: SlidingWindowLimiter = request.app.state.follow_limiter
    if lim.blocked(key):
        raise TooMany(lim.retry_after(key))
    lim.hit(key)


def _subscribe(request: Request, email: Any, kind: Any, key: Any, digest: Any) -> subscriptions.Target:
    """Check and queue; the same outcome to the caller whatever the address's state."""
    address = subscriptions.parse_email(email)
    wanted = subscriptions.parse_digest(digest)
    kbase = get_kbase(request)
    with kbase.session() as session:
        tgt = subscriptions.target(session, kind, key)
        subscriptions.subscribe(session, address, tgt, wanted, mail_domain(kbase.settings.mail_from))
    return tgt


# --- The form on public pages -------------------------------------------------------------------------


@router.post("/subscriptions", response_class=HTMLResponse, include_in_schema=False)
async def follow_submit(request: Request) -> Response:
    _count_request(request)
    raw = await request.form(max_files=0, max_fields=10)
    form = {k: str(raw.get(k) or "")[:400] for k in ("email", "kind", "key", "digest")}
    try:
        tgt = await run_in_threadpool(_subscribe, request, form["email"], form["kind"], form["key"], form["digest"])
    except BadInput as exc:  # the form again, with what was typed and why it was refused
        return render(request, "follow/form.html", {"form": form, "error": exc.message,
                                                     "kind_label": subscriptions.KIND_LABELS_VI.get(form["kind"], "")},
                      status_code=400)
    return RedirectResponse(f"/subscriptions/sent?kind={tgt.kind.value}&key={tgt.key}", status_code=303)


@router.get("/subscriptions/sent", response_class=HTMLResponse, include_in_schema=False)
def follow_sent(request: Request, kind: str = "", key: str = "") -> Response:
    back = None
    if kind and key:
        with get_kbase(request).session() as session:
            try:  # an unknown kind or key is a page without a way back, not an error
                back = subscriptions.target(session, kind, key[:120])
            except KBError:
                back = None
    return render(request, "follow/done.html", {"title": "Hãy kiểm tra hộp thư", "message": SENT, "back": back})


@router.get("/subscriptions/confirm/{token}", response_class=HTMLResponse, include_in_schema=False)
def follow_confirm(request: Request, token: Token) -> Response:
    settings = get_kbase(request).settings
    with get_kbase(request).session() as session:
        sub = subscriptions.confirm(session, subscriptions.by_token(session, settings.secret_key, token, "confirm"))
        back = subscriptions.followed(session, sub)
    return render(request, "follow/done.html", {
        "title": "Đã xác nhận theo dõi",
        "message": f"Từ nay bạn sẽ nhận thư ({subscriptions.DIGEST_LABELS_VI[sub.digest.value]}) khi "
                   f"{subscriptions.KIND_LABELS_VI[sub.target_kind.value]} {sub.target_label} có thay đổi. "
                   "Mỗi thư đều có liên kết hủy theo dõi.",
        "back": back})


def _unsubscribe(request: Request, token: str) -> Response:
    settings = get_kbase(request).settings
    with get_kbase(request).session() as session:
        sub = subscriptions.unsubscribe(session, subscriptions.by_token(session, settings.secret_key, token,
                                                                        "unsubscribe"))
        back = subscriptions.followed(session, sub)
    return render(request, "follow/done.html", {
        "title": "Đã hủy theo dõi",
        "message": f"Bạn sẽ không nhận thêm thư nào về {subscriptions.KIND_LABELS_VI[sub.target_kind.value]} "
                   f"{sub.target_label}.",
        "back": back, "again": back is not None})


@router.get("/subscriptions/unsubscribe/{token}", response_class=HTMLResponse, include_in_schema=False)
def unfollow_link(request: Request, token: Token) -> Response:
    return _unsubscribe(request, token)


@router.post("/subscriptions/unsubscribe/{token}", response_class=HTMLResponse, include_in_schema=False)
def unfollow_one_click(request: Request, token: Token) -> Response:
    return _unsubscribe(request, token)


# --- JSON ---------------------------------------------------------------------------------------------


class SubscriptionRequest(BaseModel):
    """Give ``email`` and exactly one of the records to follow."""

    email: str = Field(max_length=320, description="Địa chỉ thư điện tử")
    product_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="Mã số sản phẩm")
    group: str | None = Field(default=None, max_length=120, description="Nhóm sản phẩm: mã số hoặc tên rút gọn")
    standard: str | None = Field(default=None, max_length=120, description="Ký hiệu tiêu chuẩn, quy chuẩn")
    legal_document: str | None = Field(default=None, max_length=120, description="Số hiệu văn bản pháp luật")
    hs_code: str | None = Field(default=None, max_length=20, description="Mã HS (2, 4, 6 hoặc 8 chữ số)")
    digest: str = Field(default="immediate", max_length=20, description="immediate, daily hoặc weekly")


class Accepted(BaseModel):
    detail: str


@router.post("/api/subscriptions", status_code=202, response_model=Accepted, tags=["API"],
             summary="Theo dõi một bản ghi qua thư điện tử",
             responses={400: {"description": "Dữ liệu không hợp lệ"}, 404: {"description": "Không có bản ghi"},
                        429: {"description": "Quá nhiều yêu cầu"}})
async def api_subscribe(request: Request, body: SubscriptionRequest) -> dict[str, str]:
    """Gửi thư xác nhận (xác nhận hai bước); không gửi gì khác cho đến khi người nhận bấm liên kết trong thư.
    Câu trả lời luôn như nhau, dù địa chỉ đã theo dõi hay chưa."""
    _count_request(request)
    given = [(k, v) for k, v in (("product", body.product_id), ("group", body.group), ("standard", body.standard),
                                 ("legal_document", body.legal_document), ("hs_code", body.hs_code)) if v is not None]
    if len(given) != 1:
        raise BadInput("Cần đúng một trong: product_id, group, standard, legal_document, hs_code")
    kind, key = given[0]
    await run_in_threadpool(_subscribe, request, body.email, kind, key, body.digest)
    return {"detail": SENT}
