"""Suggestions and mappings: the suggestion queue, decisions, the mapping editor and bulk import."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from kb import audit, mappings
from kb import groups as kb_groups
from kb.errors import BadInput, KBError
from kb.models import MappingStatus
from kb.text import is_digits
from web import auth, uploads
from web.auth import CuratorUser
from web.deps import get_kbase
from web.forms import render_form, submit
from web.routes.curate._common import TAGS, Id, back, ctx
from web.routes.curate.audit import describe as audit_lines

router = APIRouter(tags=TAGS, include_in_schema=False)


#: Cards per page without grouping; groups per page and cards shown per group when grouped.
PAGE_SIZE, GROUPS_PER_PAGE, PER_GROUP = 50, 20, 15
QUEUE = "/curate/suggestions"
FilterText = Annotated[str, Query(max_length=200)]


def _queue_url(given: dict[str, str], by: str = "", **extra: object) -> str:
    """The queue with these filters (links, pager, back_to): only what is set, in a stable order."""
    params = {**given, **({"by": by} if by else {}), **{k: str(v) for k, v in extra.items() if v not in (None, "")}}
    return QUEUE + (f"?{urlencode(params)}" if params else "")


def _decision_notice(request: Request, session: Session, user_name: str) -> str | None:
    """The notice after a decision names what changed: read back from the audit events the redirect points
    to (this curator's approvals and rejections only), and the ids left alone because someone was first."""
    q = request.query_params
    text = None
    if is_digits(q.get("from", "")) and is_digits(q.get("to", "")) and max(len(q["from"]), len(q["to"])) < 10:
        text = mappings.describe_decisions(mappings.decided_events(session, int(q["from"]), int(q["to"]), user_name))
    stale = [int(x) for x in q.get("stale", "").split(",")[:20] if is_digits(x) and len(x) < 10]
    if stale:
        rows = mappings.rows_by_ids(session, stale)
        named = "; ".join(f"{r['product'].name} → {r['standard'].code} "
                          f"({auth.LABELS_VI['mapping_status'][r['mapping'].status.value].lower()}"
                          f"{', ' + r['mapping'].decided_by if r['mapping'].decided_by else ''})" for r in rows)
        kept = int(q["kept"]) if is_digits(q.get("kept", "")) and len(q["kept"]) < 5 else len(stale)
        more = f"Giữ nguyên {max(kept, len(rows))} ánh xạ vì đã có người quyết định trước: {named}" \
               + ("." if kept <= len(rows) else f" và {kept - len(rows)} ánh xạ khác.")
        text = f"{text} {more}" if text else more
    return text


@router.get(QUEUE)
def suggestions(
    request: Request, user: CuratorUser,
    product: FilterText = "", group: FilterText = "", standard: FilterText = "", type: FilterText = "",
    min_score: FilterText = "", source: FilterText = "",
    by: Annotated[Literal["", "standard", "product"], Query()] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    error: KBError | None = None
    given: dict[str, str] = {}
    rows: list[dict] = []
    groups_: list[dict] = []
    total = n_groups = 0
    with get_kbase(request).session() as session:
        try:
            f = mappings.parse_queue_filter(session, product=product, group=group, standard=standard, type=type,
                                            min_score=min_score, source=source)
        except KBError as exc:
            error, f = exc, None
        if f is not None:
            given = f.given
            total = mappings.queue_count(session, f)
            if by:
                groups_, n_groups = mappings.queue_groups(session, f, by, limit=GROUPS_PER_PAGE,
                                                          offset=(page - 1) * GROUPS_PER_PAGE, per_group=PER_GROUP)
            else:
                rows = mappings.queue_rows(session, f, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        notice = _decision_notice(request, session, user.username)
        c = ctx(request, rows=rows, groups=groups_, total=total, given=given, by=by, page=page,
                pages=max(1, -(-(n_groups if by else total) // (GROUPS_PER_PAGE if by else PAGE_SIZE))),
                group_list=kb_groups.list_groups(session), source_labels=mappings.SOURCE_LABELS_VI,
                form={"product": product, "group": group, "standard": standard, "type": type,
                      "min_score": min_score, "source": source},
                queue_url=_queue_url, queue_here=_queue_url(given, by, page=page if page > 1 else None),
                max_bulk=mappings.MAX_BULK)
        if notice:
            c["notice"] = notice
    return render_form(request, "curate/suggestions.html", c, error)


def _confirm_page(request: Request, status: str, note: str, ids: list[int], scope: str, filters: dict[str, str],
                  back_to: str, exc: KBError | None = None) -> Response:
    """The one confirmation of a bulk decision: how many, which, and the button that applies them. A request
    it cannot confirm (no status, a bad filter, nothing left to decide) shows why, with the way back."""
    fresh: list[dict] = []
    decided: list[dict] = []
    matched = None
    with get_kbase(request).session() as session:
        try:
            wanted = mappings.parse_bulk_status(status).value
            if scope == "all":
                f = mappings.parse_queue_filter(session, **filters)
                matched = mappings.queue_count(session, f)
                ids = [mid for mid, _ in mappings.queue_ids(session, f)]
            elif len(set(ids)) > mappings.MAX_BULK:
                raise BadInput(f"mỗi lần quyết định tối đa {mappings.MAX_BULK} ánh xạ; hãy lọc hẹp hơn")
            rows = mappings.rows_by_ids(session, ids)
            fresh = [r for r in rows if r["mapping"].status == MappingStatus.suggested]
            decided = [r for r in rows if r["mapping"].status != MappingStatus.suggested]
            if not fresh and exc is None:
                exc = BadInput("Chưa chọn ánh xạ nào" if not ids else "Các ánh xạ đã chọn đều đã được quyết định.")
        except KBError as refused:
            wanted, exc = "", refused
        c = ctx(request, status=wanted, verb={"approved": "Duyệt", "rejected": "Từ chối"}.get(wanted, ""),
                note=note, fresh=fresh, decided=decided, matched=matched,
                back_to=auth.safe_next(back_to, QUEUE), max_bulk=mappings.MAX_BULK)
    return render_form(request, "curate/suggestions_confirm.html", c, exc)


@router.get(QUEUE + "/confirm")
def suggestions_confirm(
    request: Request, user: CuratorUser,
    status: Annotated[str, Query(max_length=20)] = "",
    note: Annotated[str, Query(max_length=2000)] = "",
    ids: Annotated[list[int], Query(max_length=mappings.MAX_BULK * 2)] = [],  # noqa: B006 - FastAPI copies it
    scope: Annotated[Literal["", "ids", "all"], Query()] = "",
    product: FilterText = "", group: FilterText = "", standard: FilterText = "", type: FilterText = "",
    min_score: FilterText = "", source: FilterText = "",
    by: Annotated[Literal["", "standard", "product"], Query()] = "",
    back_to: Annotated[str, Query(max_length=2000)] = "",
) -> Response:
    """Without JavaScript the bulk buttons land here: the list of what will change, then one POST."""
    filters = {"product": product, "group": group, "standard": standard, "type": type, "min_score": min_score,
               "source": source}
    if not back_to:
        # a group's buttons narrow the filter to the group: the curator goes back to the whole view
        back_to = _queue_url({k: v for k, v in filters.items() if v}, by)
    return _confirm_page(request, status, note, ids, scope, filters, back_to)


def _parse_items(items: list[str]) -> tuple[list[int], dict[int, int]]:
    """``id:version`` pairs from the confirmation form."""
    ids, versions = [], {}
    for item in items:
        mid, _, version = item.partition(":")
        if not (is_digits(mid) and is_digits(version)) or len(mid) > 10 or len(version) > 10:
            raise BadInput(f"mục không hợp lệ: {item[:30]!r}")
        ids.append(int(mid))
        versions[int(mid)] = int(version)
    return ids, versions


@router.post(QUEUE + "/bulk")
def suggestions_bulk(
    request: Request, user: CuratorUser,
    status: Annotated[str, Form(max_length=20)],
    items: Annotated[list[str], Form(max_length=mappings.MAX_BULK * 2)] = [],  # noqa: B006 - FastAPI copies it
    note: Annotated[str, Form(max_length=2000)] = "",
    back_to: Annotated[str, Form(max_length=2000)] = QUEUE,
) -> Response:
    back_to = auth.safe_next(back_to, QUEUE)

    def work(session: Session) -> list[mappings.BulkOutcome]:
        ids, versions = _parse_items(items)
        return mappings.bulk_decide(session, ids, status, user.username, note=note, versions=versions)

    def failed(exc: KBError) -> Response:
        try:
            ids = _parse_items(items)[0]
        except KBError:
            ids = []
        return _confirm_page(request, status if status in ("approved", "rejected") else "approved", note, ids, "",
                             {}, back_to, exc)

    return submit(request, work, done=lambda out: _after_decision(back_to, status, out), failed=failed)


def _after_decision(back_to: str, status: str, out: list[mappings.BulkOutcome]) -> RedirectResponse:
    """Back to the queue; the notice there reads the audit events ``from``..``to`` and the ids left alone."""
    events = [o.event_id for o in out if o.event_id is not None]
    stale = [str(o.id) for o in out if o.result == "conflict"]
    url = urlsplit(back_to)
    params = [(k, v) for k, v in parse_qsl(url.query) if k not in ("ok", "from", "to", "stale", "kept")]
    if events:
        params += [("ok", status), ("from", str(min(events))), ("to", str(max(events)))]
    if stale:  # the first 20 are named, all are counted
        params += [("stale", ",".join(stale[:20])), ("kept", str(len(stale)))]
    return RedirectResponse(f"{url.path}?{urlencode(params)}" if params else url.path, status_code=303)


@router.post("/curate/mappings/{mapping_id}/decide")
def decide_submit(
    request: Request, mapping_id: Id, user: CuratorUser,
    status: Annotated[str, Form(max_length=20)],
    version: Annotated[int, Form(ge=1)],
    note: Annotated[str, Form(max_length=2000)] = "",
    back_to: Annotated[str, Form(max_length=2000)] = QUEUE,
) -> Response:
    def work(session: Session) -> list[mappings.BulkOutcome]:
        m = mappings.decide_mapping(session, mapping_id, status, user.username, note=note, expected_version=version)
        session.flush()
        return [mappings.BulkOutcome(mapping_id, "ok", m.status.value, m.version,
                                     mappings.last_event_id(session, mapping_id))]

    return submit(
        request, work,
        done=lambda out: _after_decision(auth.safe_next(back_to, QUEUE), out[0].status or status, out),
        failed=lambda exc: _mapping_page(request, mapping_id, exc),
    )


def _mappings_list(request: Request, form: dict[str, str], exc: KBError | None = None, **extra: object) -> Response:
    with get_kbase(request).session() as session:
        rows = mappings.mapping_rows(session, MappingStatus.approved, limit=500)
    return render_form(request, "curate/mappings.html", ctx(request, rows=rows, status="approved", form=form, **extra),
                       exc)


@router.get("/curate/mappings")
def mappings_page(
    request: Request, user: CuratorUser,
    status: Annotated[str, Query(max_length=20)] = "approved",
) -> Response:
    wanted = None if status == "all" else MappingStatus(status) if status in MappingStatus._value2member_map_ else None
    with get_kbase(request).session() as session:
        rows = mappings.mapping_rows(session, wanted, limit=500)
    return auth.render_private(request, "curate/mappings.html", ctx(request, rows=rows, status=status, form={}))


@router.post("/curate/mappings")
def mapping_create_submit(
    request: Request, user: CuratorUser,
    product: Annotated[str, Form(max_length=300)] = "",
    standard: Annotated[str, Form(max_length=200)] = "",
    type: Annotated[str, Form(max_length=40)] = "voluntary",
    rationale: Annotated[str, Form(max_length=5000)] = "",
    legal_basis: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    form = {"product": product, "standard": standard, "type": type, "rationale": rationale, "legal_basis": legal_basis}
    return submit(
        request,
        lambda session: mappings.create_mapping(session, product, standard, type, rationale, legal_basis,
                                                user.username)[0].id,
        done=lambda mapping_id: back(f"/curate/mappings/{mapping_id}", "created"),
        failed=lambda exc: _mappings_list(request, form, exc),
    )


def _mapping_page(request: Request, mapping_id: int, exc: KBError | None = None) -> Response:
    with get_kbase(request).session() as session:
        row = mappings.mapping_row(session, mappings.require_mapping(session, mapping_id))
        c = ctx(request, m=row["mapping"], product=row["product"], std=row["standard"],
                history=audit_lines(session, audit.audit_events(session, entity="mapping", entity_id=mapping_id, limit=50)))
    return render_form(request, "curate/mapping.html", c, exc)


@router.get("/curate/mappings/{mapping_id}")
def mapping_page(request: Request, mapping_id: Id, user: CuratorUser) -> Response:
    return _mapping_page(request, mapping_id)


@router.post("/curate/mappings/{mapping_id}")
def mapping_edit_submit(
    request: Request, mapping_id: Id, user: CuratorUser,
    version: Annotated[int, Form(ge=1)],
    type: Annotated[str, Form(max_length=40)] = "",
    rationale: Annotated[str, Form(max_length=5000)] = "",
    legal_basis: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    data = {"type": type, "rationale": rationale, "legal_basis": legal_basis}
    return submit(
        request,
        lambda session: mappings.update_mapping(session, mapping_id, mappings.parse_mapping_changes(data), version,
                                                user.username),
        done=lambda _: back(f"/curate/mappings/{mapping_id}", "saved"),
        failed=lambda exc: _mapping_page(request, mapping_id, exc),
    )


@router.post("/curate/import/mappings")
async def mappings_import_submit(request: Request, user: CuratorUser) -> Response:
    """Bulk import in the ``kb import mappings`` format."""
    from ingest.importers import import_file

    kbase = get_kbase(request)
    limit = kbase.settings.max_file_mb * 1024 * 1024
    report = None
    error = None
    try:
        async with uploads.read_form(request, limit) as form:
            stored = await run_in_threadpool(uploads.save_upload, form.get("file"),
                                             kbase.settings.uploads_dir / "import", {"csv", "xlsx"}, limit)
        try:
            report = (await run_in_threadpool(import_file, kbase, "mappings", stored.path, user.username)).to_json()
        finally:
            stored.path.unlink(missing_ok=True)
        report["file"] = stored.original_name
    except KBError as exc:
        error = exc
    return await run_in_threadpool(_mappings_list, request, {}, error, report=report)
