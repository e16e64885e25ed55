"""The curators' hand on notices of change before they go out (``/curate/notices``) and its JSON twin
(``/api/notices``): hold, edit, release at once or cancel a pending or held notice, each versioned and
audited by ``kb.noticeboard.decide``. Below the queue: the last notices released and the outbox's counts
(never an address)."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from kb import noticeboard, notices, subscriptions
from kb.errors import KBError
from kb.models import Notice, NoticeStatus
from kb.text import is_digits
from kb.versioning import StaleEdit
from web import auth
from web.auth import CuratorUser
from web.deps import get_kbase
from web.forms import render_form, submit
from web.routes.curate._common import TAGS, Id, ctx, form_version
from web.routes.curate.api import ERRORS

router = APIRouter(tags=TAGS)

#: The message after each action, naming the notice.
DONE_VI = {"hold": "Đã giữ lại thông báo «{}».", "edit": "Đã sửa thông báo «{}».",
           "release": "Đã phát hành thông báo «{}».", "cancel": "Đã hủy thông báo «{}»."}
FIELD_LABELS_VI = {"title": "Tiêu đề", "sentence": "Nội dung", "status": "Trạng thái",
                   "decided_by": "Người quyết định", "version": "Phiên bản"}
COUNT_LABELS_VI = {"confirmed": "Đang theo dõi (đã xác nhận)", "pending": "Chờ xác nhận địa chỉ",
                   "unsubscribed": "Đã hủy theo dõi", "bounced": "Địa chỉ bị từ chối",
                   "mails_waiting": "Thư đang chờ gửi"}


def _hold(request: Request) -> timedelta:
    return timedelta(seconds=request.app.state.settings.notice_hold_seconds)


def _duration_vi(span: timedelta) -> str:
    s = int(span.total_seconds())
    return f"{s} giây" if s < 120 else f"{s // 60} phút" if s < 7200 else f"{s // 3600} giờ {s % 3600 // 60:02d} phút"


def goes_out(n: Notice, hold: timedelta) -> datetime | None:
    """When a pending notice is released by the delivery loop; a held one waits for a curator (None)."""
    return n.release_at + hold if n.status == NoticeStatus.pending else None


def _row(session: Session, n: Notice, hold: timedelta) -> dict[str, Any]:
    names, total = noticeboard.subject_names(session, noticeboard.subjects(session, n))
    return {"n": n, "kind": notices.KIND_LABELS_VI.get(n.kind, n.kind), "subjects": names,
            "more": total - len(names), "goes_out": goes_out(n, hold)}


def _page_context(request: Request, **extra: Any) -> dict[str, Any]:
    hold = _hold(request)
    with get_kbase(request).session() as session:
        queue = [_row(session, n, hold) for n in noticeboard.unreleased(session)]
        done = [{"n": n, "kind": notices.KIND_LABELS_VI.get(n.kind, n.kind)} for n in noticeboard.released(session, limit=50)]
        counts = subscriptions.counts(session)
        message = None
        action, nid = request.query_params.get("ok", ""), request.query_params.get("id", "")
        if action in DONE_VI and is_digits(nid):
            n = session.get(Notice, int(nid))
            message = DONE_VI[action].format(n.title) if n is not None else None
    c = ctx(request, queue=queue, released=done, counts=[(COUNT_LABELS_VI.get(k, k), v) for k, v in counts.items()],
            hold_text=_duration_vi(hold), typed={},
            status_labels_notice=noticeboard.STATUS_LABELS_VI, subject_kinds=subscriptions.KIND_LABELS_VI)
    c["notice"] = message  # the layout's message line
    c.update(extra)
    return c


@router.get("/curate/notices", include_in_schema=False)
def notices_page(request: Request, user: CuratorUser) -> Response:
    return auth.render_private(request, "curate/notices.html", _page_context(request))


def _conflict_view(exc: StaleEdit) -> SimpleNamespace:
    """The conflict box in Vietnamese: field names and statuses as curators read them."""
    def say(field: str, value: Any) -> Any:
        return noticeboard.STATUS_LABELS_VI.get(value, value) if field == "status" else value

    changed = {FIELD_LABELS_VI.get(k, k): {"yours": say(k, v["yours"]), "current": say(k, v["current"])}
               for k, v in exc.changed.items()}
    return SimpleNamespace(message=exc.message, changed=changed, current=exc.current)


@router.post("/curate/notices/{notice_id}", include_in_schema=False)
async def notice_submit(request: Request, notice_id: Id, user: CuratorUser) -> Response:
    form = await request.form(max_files=0, max_fields=10)
    action = str(form.get("action") or "")[:20]
    title, sentence = str(form.get("title") or "")[:2000], str(form.get("sentence") or "")[:10000]
    edit = action == "edit"

    def work(session: Session) -> Notice:
        return noticeboard.decide(session, notice_id, action, user.username, form_version(str(form.get("version") or "")[:20]),
                              title=title if edit else None, sentence=sentence if edit else None)

    def failed(exc: KBError) -> Response:
        if isinstance(exc, StaleEdit):  # the page shows what is stored now, and what differed
            return render_form(request, "curate/notices.html", _page_context(request, conflict=_conflict_view(exc)),
                               status_code=409)
        typed = {notice_id: {"title": title, "sentence": sentence}} if edit else {}
        page = _page_context(request)
        page["typed"] = typed
        return render_form(request, "curate/notices.html", page, exc)

    def done(n: Notice) -> Response:
        return RedirectResponse(f"/curate/notices?ok={action}&id={n.id}", status_code=303)

    return await run_in_threadpool(submit, request, work, done=done, failed=failed)


# --- JSON ------------------------------------------------------------------------------------------------


def notice_json(session: Session, n: Notice, hold: timedelta, with_subjects: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": n.id, "kind": n.kind, "kind_label": notices.KIND_LABELS_VI.get(n.kind, n.kind), "title": n.title,
        "sentence": n.sentence, "link": n.link, "status": n.status.value,
        "status_label": noticeboard.STATUS_LABELS_VI[n.status.value], "version": n.version,
        "release_at": n.release_at.isoformat(), "goes_out_at": (g.isoformat() if (g := goes_out(n, hold)) else None),
        "released_at": n.released_at.isoformat() if n.released_at else None, "decided_by": n.decided_by,
    }
    if with_subjects:
        names, total = noticeboard.subject_names(session, noticeboard.subjects(session, n))
        out["subjects"] = [{"kind": s.kind.value, "name": s.name, "url": s.url} for s in names]
        out["subjects_total"] = total
    return out


@router.get("/api/notices", responses=ERRORS, summary="Thông báo thay đổi theo trạng thái (cán bộ biên tập)")
def api_notices(
    request: Request, user: CuratorUser,
    status: Annotated[Literal["pending", "held", "released"] | None,
                      Query(description="pending, held hoặc released; trống: mọi thông báo chưa phát hành")] = None,
) -> dict[str, Any]:
    """Thông báo chờ gửi hoặc đang giữ lại (cũ trước), hoặc 50 thông báo đã phát hành gần nhất (mới trước);
    mỗi thông báo kèm ``version`` để gửi lại khi quyết định."""
    hold = _hold(request)
    with get_kbase(request).session() as session:
        if status == "released":
            rows = [notice_json(session, n, hold, with_subjects=False) for n in noticeboard.released(session, limit=50)]
        else:
            rows = [notice_json(session, n, hold) for n in noticeboard.unreleased(session)
                    if status is None or n.status.value == status]
    return {"notices": rows}


class NoticeDecision(BaseModel):
    action: Literal["hold", "edit", "release", "cancel"] = Field(description="Giữ lại, sửa, phát hành ngay hoặc hủy")
    version: int = Field(ge=1, description="Phiên bản đã đọc; lệch → 409")
    title: str | None = Field(default=None, max_length=2000, description="Tiêu đề mới (khi sửa)")
    sentence: str | None = Field(default=None, max_length=10000, description="Nội dung mới (khi sửa)")


@router.post("/api/notices/{notice_id}", responses=ERRORS, summary="Giữ lại, sửa, phát hành ngay hoặc hủy một thông báo")
def api_notice_decide(request: Request, notice_id: Id, body: NoticeDecision, user: CuratorUser) -> Response:
    try:
        with get_kbase(request).session() as session:
            n = noticeboard.decide(session, notice_id, body.action, user.username, body.version,
                               title=body.title, sentence=body.sentence)
            data = notice_json(session, n, _hold(request), with_subjects=False)
    except StaleEdit as exc:
        return JSONResponse(exc.to_json(), status_code=409)
    return JSONResponse(data)
