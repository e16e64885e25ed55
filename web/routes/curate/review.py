"""Review of ingested documents: the proposed changes they would make (a diff to accept or reject, least
sure first), the queue of unverified extractions and the approve-with-corrections form."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from kb import proposals, standards
from kb.errors import KBError
from kb.versioning import StaleEdit
from web import auth
from web.auth import CuratorUser
from web.deps import get_kbase
from web.forms import render_form, submit
from web.routes.curate._common import TAGS, Id, back, ctx, form_version

router = APIRouter(tags=TAGS, include_in_schema=False)

#: Fields shown in a wide text box (long titles and clauses).
WIDE_FIELDS = ("title_vi", "title_en", "scope", "issuing_instrument")


@router.get("/curate/review")
def review_page(request: Request, user: CuratorUser) -> Response:
    with get_kbase(request).session() as session:
        items = [(s, standards.unconfirmed_fields(s)) for s in standards.review_queue(session)]
        pending = proposals.pending(session)
    return auth.render_private(request, "curate/review.html",
                               ctx(request, items=items, proposals=pending))


def _review_item(request: Request, standard_id: int, exc: KBError | None = None,
                 form: dict[str, str] | None = None) -> Response:
    with get_kbase(request).session() as session:
        std, doc = standards.review_item(session, standard_id)
        rows = standards.review_rows(session, std)
    for r in rows:
        r["method_vi"] = auth.method_vi(r["method"]) if r["in_provenance"] else ""
    return render_form(request, "curate/review_item.html",
                       ctx(request, std=std, doc=doc, rows=rows, wide=WIDE_FIELDS, form=form or {}), exc)


@router.get("/curate/review/{standard_id}")
def review_item_page(request: Request, standard_id: Id, user: CuratorUser) -> Response:
    return _review_item(request, standard_id)


@router.post("/curate/review/{standard_id}")
async def review_submit(request: Request, standard_id: Id, user: CuratorUser) -> Response:
    raw = await request.form(max_files=0, max_fields=80)
    form = {f: str(raw.get(f) or "")[:20000] for f in standards.CORRECTABLE_FIELDS if f in raw}
    # The form ticks fields one by one; a client that does not (older forms, scripts) confirms them all.
    confirmed = [str(v)[:60] for v in raw.getlist("confirm")] if raw.get("per_field") else None
    version = str(raw.get("version") or "")
    return await run_in_threadpool(
        submit, request,
        lambda session: standards.review_standard(session, standard_id, standards.parse_corrections(form),
                                                  form_version(version), user.username, confirmed),
        done=lambda _: back("/curate/review", "reviewed"),
        failed=lambda exc: _review_item(request, standard_id, exc, form),
    )


# --- Proposed changes: what an ingested document would change, shown as a diff ---------------------------

def _proposal_page(request: Request, proposal_id: int, exc: KBError | None = None) -> Response:
    with get_kbase(request).session() as session:
        p = proposals.require(session, proposal_id)
        rec, doc, diff = proposals.review_rows(session, p)
    version = rec.version if rec is not None else 0
    if isinstance(exc, StaleEdit):
        version = exc.current.get("version", version)
    return render_form(request, "curate/proposal.html",
                       ctx(request, p=p, rec=rec, doc=doc, diff=diff, version=version), exc)


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
