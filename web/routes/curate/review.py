"""Review of ingested documents: the proposed changes they would make (a diff to accept or reject, least
sure first), the queue of unverified extractions and the approve-with-corrections form."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from ingest.pdf import render_page_png
from kb import page_cache, proposals, review_queue, standards
from kb.errors import BadInput, KBError, NotFound
from kb.models import Document
from kb.standards import CONFIDENCE_LEVELS, REVIEW_FIELDS
from kb.text import is_digits
from kb.versioning import StaleEdit
from web import auth
from web.auth import CuratorUser
from web.deps import get_kbase
from web.forms import render_form, submit
from web.routes.curate._common import TAGS, Id, back, ctx, form_version

router = APIRouter(tags=TAGS, include_in_schema=False)

#: Fields shown in a wide text box (long titles and clauses).
WIDE_FIELDS = ("title_vi", "title_en", "scope", "issuing_instrument")
#: Blank rows under the criteria table, to add rows without JavaScript.
BLANK_CRITERIA = 3


REVIEW = "/curate/review"
#: Documents per page of the queue, proposals shown at most.
PAGE_SIZE, PROPOSALS_SHOWN = 50, 100
FilterText = Annotated[str, Query(max_length=200)]


def _review_url(given: dict[str, str], **extra: object) -> str:
    """The queue with these filters (form, pager, back_to): only what is set, in a stable order."""
    params = {**given, **{k: str(v) for k, v in extra.items() if v not in (None, "")}}
    return REVIEW + (f"?{urlencode(params)}" if params else "")


def _confirmed_notice(request: Request, session: Session, user_name: str) -> str | None:
    """After a bulk confirmation: what changed, read back from the audit events ``from``..``to`` (this
    curator's), and the documents left alone because someone saved them first."""
    q = request.query_params
    text = None
    if is_digits(q.get("from", "")) and is_digits(q.get("to", "")) and max(len(q["from"]), len(q["to"])) < 10:
        text = review_queue.describe_confirmed(review_queue.confirmed_in(session, int(q["from"]), int(q["to"]),
                                                                         user_name))
    stale = [int(x) for x in q.get("stale", "").split(",")[:20] if is_digits(x) and len(x) < 10]
    if stale:
        codes = review_queue.codes_of(session, stale)
        more = f"Giữ nguyên {len(stale)} tài liệu vì đã có người sửa sau khi trang xác nhận được mở" \
               + (f": {', '.join(codes)}." if codes else ".")
        text = f"{text} {more}" if text else more
    if q.get("ok") == "none-sure" and not text:
        text = "Không có trường chắc chắn nào để xác nhận; không có gì thay đổi."
    return text


@router.get(REVIEW)
def review_page(
    request: Request, user: CuratorUser,
    text: FilterText = "", doc_type: FilterText = "", source: FilterText = "", level: FilterText = "",
    pending: FilterText = "", page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    form = {"text": text, "doc_type": doc_type, "source": source, "level": level, "pending": pending}
    error: KBError | None = None
    rows: list[review_queue.QueueRow] = []
    shown: list = []
    matched = total = p_matched = p_total = 0
    given: dict[str, str] = {}
    with get_kbase(request).session() as session:
        try:
            f = review_queue.parse_filter(**form)
        except KBError as exc:
            error, f = exc, None
        if f is not None:
            given = f.given
            rows, matched, total = review_queue.queue_page(session, f, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
            shown, p_matched, p_total = review_queue.proposals_page(session, f, limit=PROPOSALS_SHOWN)
        c = ctx(request, items=rows, matched=matched, total=total, proposals=shown, p_matched=p_matched,
                p_total=p_total, reason_vi=auth.reason_vi, form=form, given=given, page=page,
                pages=max(1, -(-matched // PAGE_SIZE)), review_url=_review_url,
                queue_here=_review_url(given, page=page if page > 1 else None), types=review_queue.doc_types(session),
                fields=REVIEW_FIELDS, levels=review_queue.LEVELS, max_bulk=review_queue.MAX_BULK,
                sure_from=CONFIDENCE_LEVELS[0])
        notice = _confirmed_notice(request, session, user.username)
        if notice:
            c["notice"] = notice
    return render_form(request, "curate/review.html", c, error)


def _confirm_page(request: Request, ids: list[int], scope: str, filters: dict[str, str], back_to: str,
                  exc: KBError | None = None) -> Response:
    """The one confirmation of a bulk action: how many fields of how many documents, which, and the button."""
    rows: list[review_queue.QueueRow] = []
    matched = None
    with get_kbase(request).session() as session:
        try:
            if scope == "all":
                every = review_queue.matched_ids(session, review_queue.parse_filter(**filters))
                matched = len(every)
                rows = review_queue.rows_by_ids(session, every[:review_queue.MAX_BULK])
            elif len(set(ids)) > review_queue.MAX_BULK:
                raise BadInput(f"mỗi lần xác nhận tối đa {review_queue.MAX_BULK} tài liệu; hãy lọc hẹp hơn")
            else:
                rows = review_queue.rows_by_ids(session, ids)
            if not rows and exc is None:
                exc = BadInput("Chưa chọn tài liệu nào." if not ids and scope != "all"
                               else "Không còn tài liệu nào chờ duyệt trong những mục đã chọn.")
        except KBError as refused:
            exc = refused
    sure = [r for r in rows if r.sure]
    c = ctx(request, sure=sure, unsure=[r for r in rows if not r.sure], n_fields=sum(len(r.sure) for r in sure),
            matched=matched, back_to=auth.safe_next(back_to, REVIEW), max_bulk=review_queue.MAX_BULK,
            sure_from=CONFIDENCE_LEVELS[0])
    return render_form(request, "curate/review_confirm.html", c, exc)


@router.get(REVIEW + "/bulk")
def review_bulk_confirm(
    request: Request, user: CuratorUser,
    ids: Annotated[list[int], Query(max_length=review_queue.MAX_BULK * 2)] = [],  # noqa: B006 - FastAPI copies it
    scope: Annotated[Literal["", "ids", "all"], Query()] = "",
    text: FilterText = "", doc_type: FilterText = "", source: FilterText = "", level: FilterText = "",
    pending: FilterText = "", back_to: Annotated[str, Query(max_length=2000)] = "",
) -> Response:
    """The bulk buttons land here (with or without JavaScript): what will be confirmed, then one POST."""
    filters = {"text": text, "doc_type": doc_type, "source": source, "level": level, "pending": pending}
    return _confirm_page(request, ids, scope, filters,
                         back_to or _review_url({k: v for k, v in filters.items() if v}))


def _parse_items(items: list[str]) -> dict[int, int]:
    """``id:version`` pairs from the confirmation form."""
    versions: dict[int, int] = {}
    for item in items:
        sid, _, version = item.partition(":")
        if not (is_digits(sid) and is_digits(version)) or len(sid) > 10 or len(version) > 10:
            raise BadInput(f"mục không hợp lệ: {item[:30]!r}")
        versions[int(sid)] = int(version)
    return versions


@router.post(REVIEW + "/bulk")
def review_bulk_submit(
    request: Request, user: CuratorUser,
    items: Annotated[list[str], Form(max_length=review_queue.MAX_BULK * 2)] = [],  # noqa: B006 - FastAPI copies it
    back_to: Annotated[str, Form(max_length=2000)] = REVIEW,
) -> Response:
    back_to = auth.safe_next(back_to, REVIEW)

    def failed(exc: KBError) -> Response:
        try:
            ids = list(_parse_items(items))
        except KBError:
            ids = []
        return _confirm_page(request, ids, "", {}, back_to, exc)

    return submit(request, lambda session: review_queue.confirm_sure(session, _parse_items(items), user.username),
                  done=lambda out: _after_confirm(back_to, out), failed=failed)


def _after_confirm(back_to: str, out: list[review_queue.BulkOutcome]) -> RedirectResponse:
    """Back to the queue; its notice reads the audit events ``from``..``to`` and names the stale documents."""
    events = [o.event_id for o in out if o.event_id is not None]
    stale = [str(o.id) for o in out if o.result == "conflict"]
    url = urlsplit(back_to)
    params = [(k, v) for k, v in parse_qsl(url.query) if k not in ("ok", "from", "to", "stale", "page")]
    if events:
        params += [("ok", "confirmed"), ("from", str(min(events))), ("to", str(max(events)))]
    elif not stale:
        params += [("ok", "none-sure")]
    if stale:
        params += [("stale", ",".join(stale[:20]))]
    return RedirectResponse(f"{url.path}?{urlencode(params)}" if params else url.path, status_code=303)


def _review_item(request: Request, standard_id: int, exc: KBError | None = None,
                 form: dict[str, str] | None = None, criteria: list[dict[str, str]] | None = None) -> Response:
    with get_kbase(request).session() as session:
        std, doc = standards.review_item(session, standard_id)
        rows = standards.review_rows(session, std)
        changes = [(p, _described(proposals.review_rows(session, p)[2]))
                   for p in standards.pending_proposals(session, std)]
        if criteria is None:  # as stored, and blank rows to add (a form sent back keeps what was typed)
            criteria = [{"id": str(c.id), **{f: getattr(c, f) or "" for f in standards.CRITERION_FIELDS},
                         "method_code": c.method_code or "", "page": c.page or ""}
                        for c in standards.criteria_of(session, std)]
            criteria += [{"id": "", **dict.fromkeys(standards.CRITERION_FIELDS, "")} for _ in range(BLANK_CRITERIA)]
    for r in rows:
        r["method_vi"] = auth.method_vi(r["method"]) if r["in_provenance"] else ""
    bad_field = exc.field if isinstance(exc, standards.BadCode) else None
    if bad_field:  # the message atop the page names the field, which may be far below on a phone
        exc = BadInput(f"{auth.LABELS_VI['fields'][bad_field]}: {exc.message}")
    return render_form(request, "curate/review_item.html",
                       ctx(request, std=std, doc=doc, rows=rows, wide=WIDE_FIELDS, form=form or {},
                           criteria=criteria, equivalence_relations=standards.EQUIVALENCE_RELATIONS,
                           equivalence_relation=standards.equivalence_relation(std),
                           bad_field=bad_field,
                           changes=changes, reason_vi=auth.reason_vi, page=_shown_page(request, doc, rows)), exc)


def _described(diff: list[dict]) -> list[dict]:
    """A diff whose sources read in Vietnamese."""
    return [{**d, "method_vi": auth.method_vi(d.get("method")) if d.get("method") or d.get("page") else ""}
            for d in diff]


def _shown_page(request: Request, doc: Document | None, rows: list[dict]) -> dict | None:
    """The page beside the form: the one asked for (``?page=``), else that of the first field to check.
    Links lead to the pages fields were read from, and to the neighbours."""
    if doc is None or not doc.stored_path or doc.pages < 1:
        return None
    asked = request.query_params.get("page", "")
    firsts = [r["page"] for r in rows if r["page"] and r["in_provenance"] and not r["verified"]]
    n = int(asked) if is_digits(asked) and 1 <= int(asked) <= doc.pages else (firsts or [1])[0]
    sources = sorted({r["page"] for r in rows if r["page"] and 1 <= r["page"] <= doc.pages})
    return {"n": n, "count": doc.pages, "sources": sources,
            "prev": n - 1 if n > 1 else None, "next": n + 1 if n < doc.pages else None,
            "src": f"/curate/documents/{doc.id}/pages/{{}}.png"}


@router.get("/curate/review/{standard_id}")
def review_item_page(request: Request, standard_id: Id, user: CuratorUser) -> Response:
    return _review_item(request, standard_id)


def _criteria_form(raw: FormData) -> list[dict[str, str]] | None:
    """The criteria table as the form sent it back (rows ``crit-N-*``), None when the form had none."""
    count = str(raw.get("criteria_rows") or "")
    if not is_digits(count):
        return None
    n = min(int(count), standards.MAX_CRITERIA + BLANK_CRITERIA + 1)  # one too many is refused by the service
    return [{k: str(raw.get(f"crit-{i}-{k}") or "")[:4000] for k in ("id", *standards.CRITERION_FIELDS, "delete")}
            for i in range(n)]


@router.post("/curate/review/{standard_id}")
async def review_submit(request: Request, standard_id: Id, user: CuratorUser) -> Response:
    raw = await request.form(max_files=0, max_fields=100 + 6 * (standards.MAX_CRITERIA + BLANK_CRITERIA + 1))
    form = {f: str(raw.get(f) or "")[:20000] for f in standards.COLUMN_FIELDS if f in raw}
    relations = {f: str(raw.get(f) or "")[:20000] for f in (*standards.RELATION_FIELDS, "equivalence_relation")
                 if f in raw}
    criteria = _criteria_form(raw)
    # The form ticks fields one by one; a client that does not (older forms, scripts) confirms them all.
    confirmed = [str(v)[:60] for v in raw.getlist("confirm")] if raw.get("per_field") else None
    version = str(raw.get("version") or "")
    return await run_in_threadpool(
        submit, request,
        lambda session: standards.review_standard(session, standard_id, standards.parse_corrections(form),
                                                  form_version(version), user.username, confirmed,
                                                  relations=relations, criteria=criteria),
        done=lambda _: back("/curate/review", "reviewed"),
        failed=lambda exc: _review_item(request, standard_id, exc, {**form, **relations}, criteria),
    )


# --- The PDF page beside the form: rendered on the server, cached on disk -------------------------------

#: Width of a rendered page in pixels: legible beside the form, a phone scales it down.
PAGE_WIDTH = 900
#: No rendered page is larger than this (a very tall page is drawn narrower): bounds memory and disk.
PAGE_MAX_PIXELS = 900 * 2400
PageNo = Annotated[int, PathParam(ge=1, le=100_000)]


def page_image(data_dir: Path, doc: Document, page_no: int, width: int = PAGE_WIDTH, *,
               cache_mb: float = 200) -> Path:
    """The cached PNG of a document's page, rendered when missing. Keyed by the file's sha256 (not the id),
    so a re-ingested file reuses it and another file never does."""
    missing = NotFound(f"Tài liệu #{doc.id} không có trang {page_no}")
    if page_no > max(doc.pages, 1) or not doc.stored_path:
        raise missing
    root = data_dir.resolve()
    source = (root / doc.stored_path).resolve()
    if not source.is_relative_to(root) or not source.is_file():  # a stored path never leaves the data dir
        raise NotFound(f"Không còn tệp gốc của tài liệu #{doc.id}")
    cache = root / "page-images" / f"{doc.sha256}-{page_no}-{width}.png"
    if cache.is_file():
        return cache
    png = render_page_png(source, page_no, width, PAGE_MAX_PIXELS)
    if png is None:
        raise missing
    cache.parent.mkdir(parents=True, exist_ok=True)
    # Written aside and renamed: two curators opening the same page never see half a file.
    fd, tmp = tempfile.mkstemp(dir=cache.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as f:
        f.write(png)
    os.replace(tmp, cache)
    page_cache.prune(root, cache_mb)
    return cache


@router.get("/curate/documents/{doc_id}/pages/{page_no}.png")
def document_page(request: Request, doc_id: Id, page_no: PageNo, user: CuratorUser) -> Response:
    with get_kbase(request).session() as session:
        doc = session.get(Document, doc_id)
        if doc is None:
            raise NotFound(f"Không có tài liệu #{doc_id}")
        settings = request.app.state.settings
        path = page_image(settings.data_dir, doc, page_no, cache_mb=settings.page_cache_mb)
    # Private like every curator page: unpublished documents stay off shared caches.
    return FileResponse(path, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


# --- Proposed changes: what an ingested document would change, shown as a diff ---------------------------

def _proposal_page(request: Request, proposal_id: int, exc: KBError | None = None) -> Response:
    with get_kbase(request).session() as session:
        p = proposals.require(session, proposal_id)
        rec, doc, diff = proposals.review_rows(session, p)
    version = rec.version if rec is not None else 0
    if isinstance(exc, StaleEdit):
        version = exc.current.get("version", version)
    diff = _described(diff)
    return render_form(request, "curate/proposal.html",
                       ctx(request, p=p, rec=rec, doc=doc, diff=diff, version=version, reason_vi=auth.reason_vi,
                           page=_shown_page(request, doc, [{**d, "in_provenance": True} for d in diff])), exc)


@router.get("/curate/proposals/{proposal_id}")
def proposal_page(request: Request, proposal_id: Id, user: CuratorUser) -> Response:
    return _proposal_page(request, proposal_id)


@router.post("/curate/proposals/{proposal_id}/accept")
async def proposal_accept(request: Request, proposal_id: Id, user: CuratorUser) -> Response:
    raw = await request.form(max_files=0, max_fields=200)
    fields = [str(v)[:60] for v in raw.getlist("field")]
    version = str(raw.get("version") or "")
    return await run_in_threadpool(
        submit, request,
        lambda session: proposals.accept(session, proposal_id, fields, form_version(version), user.username),
        done=lambda _: back("/curate/review", "proposal-accepted"),
        failed=lambda exc: _proposal_page(request, proposal_id, exc),
    )


@router.post("/curate/proposals/{proposal_id}/reject")
async def proposal_reject(request: Request, proposal_id: Id, user: CuratorUser) -> Response:
    return await run_in_threadpool(
        submit, request,
        lambda session: proposals.reject(session, proposal_id, user.username),
        done=lambda _: back("/curate/review", "proposal-rejected"),
        failed=lambda exc: _proposal_page(request, proposal_id, exc),
    )
