"""The curator's products: list, create, edit (name, category, OCOP data ...), their HS codes (stated,
suggested from the nomenclature, approved or rejected: ``kb.hscodes``), the risk-list items those codes meet
on a date with the curators' answers on whether each applies (``kb.risk_decisions``), and the review of
their mandatory regulations ("không có quy chuẩn bắt buộc", ``kb.reviews``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from kb import groups, hscodes, products, reviews, risk_decisions
from kb.errors import BadInput, Conflict, KBError
from kb.models import AuditEvent, MappingStatus, Product, ProductKind, RiskItemDecision, pk
from kb.read.regulatory import CONTROL_LABELS_VI, RISK_LABELS_VI, for_curator
from kb.versioning import StaleEdit
from web import auth
from web.auth import CuratorUser
from web.deps import get_kbase
from web.forms import render_form, submit
from web.routes.curate._common import TAGS, Id, back, ctx, form_version
from web.routes.products import OnDate

router = APIRouter(tags=TAGS, include_in_schema=False)

PRODUCT_FORM_FIELDS = ("name", "aliases", "category", "kind", "ocop_stars", "ocop_group", "ocop_year", "producer",
                       "district", "commune", "description", "source_url")


async def _product_form(request: Request) -> dict[str, str]:
    form = await request.form(max_files=0, max_fields=40)
    return {f: str(form.get(f) or "")[:5000] for f in PRODUCT_FORM_FIELDS}


def _form_value(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, list):
        return "; ".join(v)
    return str(getattr(v, "value", v))


def _grouped(session: Session, product: Product, actor: str) -> int:
    """A saved product joins (or leaves) the groups whose rules match it now."""
    groups.refresh_members(session, actor, product_ids=[pk(product)])
    return pk(product)


@router.get("/curate/products")
def products_page(request: Request, user: CuratorUser, q: Annotated[str, Query(max_length=200)] = "") -> Response:
    with get_kbase(request).session() as session:
        items = products.list_products(session, q)
    return auth.render_private(request, "curate/products.html", ctx(request, items=items, q=q, kinds=list(ProductKind)))


def _product_edit(request: Request, product: Product | None, form: dict[str, str],
                  exc: KBError | None = None, applies: list[str] | None = None, review_note: str = "",
                  hs_rows: list[dict[str, Any]] | None = None, hs_input: str = "",
                  risk: dict[str, Any] | None = None, notice: str | None = None) -> Response:
    context = ctx(request, product=product, form=form, kinds=list(ProductKind), applies=applies or [],
                  review_note=review_note, hs_rows=hs_rows or [], hs_input=hs_input, risk=risk,
                  control_labels=CONTROL_LABELS_VI, risk_labels=RISK_LABELS_VI)
    if notice:
        context["notice"] = notice
    return render_form(request, "curate/product.html", context, exc)


def _load(request: Request, product_id: int, on: date | None = None
          ) -> tuple[Product, list[str], list[dict[str, Any]], dict[str, Any]]:
    """The product, the mandatory requirements that apply to it (the review form depends on them), its
    HS codes and the risk-list items they meet on ``on`` (default today) with the curators' answers."""
    with get_kbase(request).session() as session:
        p = products.require_product(session, product_id)
        return (p, reviews.mandatory_codes(session, p), hscodes.code_rows(session, product_id),
                for_curator(session, p, on or date.today()))


@router.get("/curate/products/new")
def product_new_page(request: Request, user: CuratorUser) -> Response:
    return _product_edit(request, None, {"kind": "ocop"})


@router.post("/curate/products")
async def product_create_submit(request: Request, user: CuratorUser) -> Response:
    form = await _product_form(request)
    return await run_in_threadpool(
        submit, request,
        lambda session: _grouped(session, products.create_product(session, products.parse_product(form), user.username),
                                 user.username),
        done=lambda pid: back(f"/curate/products/{pid}", "saved"),
        failed=lambda exc: _product_edit(request, None, form, exc),
    )


@router.get("/curate/products/{product_id}")
def product_edit_page(request: Request, product_id: Id, user: CuratorUser, on: OnDate = None,
                      event: Annotated[int | None, Query(ge=1, le=2**62)] = None) -> Response:
    p, applies, hs_rows, risk = _load(request, product_id, on)
    return _product_edit(request, p, _stored_form(p), applies=applies, hs_rows=hs_rows, risk=risk,
                         notice=_risk_notice(request, product_id, event))


def _stored_form(p: Product) -> dict[str, str]:
    return {f: _form_value(getattr(p, f)) for f in PRODUCT_FORM_FIELDS}


def _product_failed(request: Request, product_id: int, form: dict[str, str] | None, exc: KBError,
                    review_note: str = "", hs_input: str = "", on: date | None = None) -> Response:
    p, applies, hs_rows, risk = _load(request, product_id, on)
    return _product_edit(request, p, _stored_form(p) if form is None else form, exc, applies, review_note,
                         hs_rows, hs_input, risk)


@router.post("/curate/products/{product_id}")
async def product_edit_submit(request: Request, product_id: Id, user: CuratorUser) -> Response:
    form = await _product_form(request)
    raw = await request.form()
    version = str(raw.get("version") or "")
    return await run_in_threadpool(
        submit, request,
        lambda session: _grouped(session, products.update_product(session, product_id, products.parse_product_changes(form),
                                                                  form_version(version), user.username), user.username),
        done=lambda _: back(f"/curate/products/{product_id}", "saved"),
        failed=lambda exc: _product_failed(request, product_id, form, exc),
    )


async def _review_form(request: Request) -> tuple[str, str]:
    form = await request.form(max_files=0, max_fields=10)
    return str(form.get("version") or ""), str(form.get("note") or "")[:5000]


@router.post("/curate/products/{product_id}/mandatory-review")
async def mandatory_review_submit(request: Request, product_id: Id, user: CuratorUser) -> Response:
    version, note = await _review_form(request)
    return await run_in_threadpool(
        submit, request,
        lambda session: reviews.record_mandatory_review(session, products.require_product(session, product_id),
                                                        user.username, note, form_version(version)),
        done=lambda _: back(f"/curate/products/{product_id}", "mandatory-reviewed"),
        failed=lambda exc: _product_failed(request, product_id, None, exc, review_note=note),
    )


@router.post("/curate/products/{product_id}/mandatory-review/clear")
async def mandatory_review_clear(request: Request, product_id: Id, user: CuratorUser) -> Response:
    version, _ = await _review_form(request)
    return await run_in_threadpool(
        submit, request,
        lambda session: reviews.clear_mandatory_review(session, products.require_product(session, product_id),
                                                       user.username, form_version(version)),
        done=lambda _: back(f"/curate/products/{product_id}", "mandatory-cleared"),
        failed=lambda exc: _product_failed(request, product_id, None, exc),
    )


# --- HS codes -----------------------------------------------------------------------------------------


_HS_ACTIONS = {"approve": "hs-approved", "reject": "hs-rejected", "remove": "hs-removed"}


def _hs_changed(session: Session, product: Product, actor: str) -> int:
    """Approved codes place products in HS groups: the automatic pass follows every change."""
    return _grouped(session, product, actor)


@router.post("/curate/products/{product_id}/hs-codes")
async def hs_codes_add(request: Request, product_id: Id, user: CuratorUser) -> Response:
    form = await request.form(max_files=0, max_fields=5)
    text = str(form.get("codes") or "")[:500]

    def work(session: Session) -> int:
        p = products.require_product(session, product_id)
        codes = hscodes.parse_codes(text, "mã HS")
        if not codes:
            raise BadInput("nhập ít nhất một mã HS (ví dụ 8516.60.10, 851660 hoặc 8516)")
        hscodes.add_codes(session, p, codes, user.username)
        return _hs_changed(session, p, user.username)

    return await run_in_threadpool(
        submit, request, work, done=lambda _: back(f"/curate/products/{product_id}", "hs-added"),
        failed=lambda exc: _product_failed(request, product_id, None, exc, hs_input=text))


@router.post("/curate/products/{product_id}/hs-codes/suggest")
async def hs_codes_suggest(request: Request, product_id: Id, user: CuratorUser) -> Response:
    return await run_in_threadpool(
        submit, request,
        lambda session: hscodes.suggest(session, products.require_product(session, product_id), user.username),
        done=lambda _: back(f"/curate/products/{product_id}", "hs-suggested"),
        failed=lambda exc: _product_failed(request, product_id, None, exc))


@router.post("/curate/products/{product_id}/hs-codes/decide")
async def hs_codes_decide(request: Request, product_id: Id, user: CuratorUser) -> Response:
    form = await request.form(max_files=0, max_fields=5)
    code, action = str(form.get("code") or "")[:20], str(form.get("action") or "")

    def work(session: Session) -> int:
        if action not in _HS_ACTIONS:
            raise BadInput("thao tác không hợp lệ (duyệt, loại hoặc xóa)")
        p = products.require_product(session, product_id)
        if action == "remove":
            hscodes.remove_code(session, p, code, user.username)
        else:
            status = MappingStatus.approved if action == "approve" else MappingStatus.rejected
            hscodes.decide(session, p, code, status, user.username)
        return _hs_changed(session, p, user.username)

    return await run_in_threadpool(
        submit, request, work, done=lambda _: back(f"/curate/products/{product_id}", _HS_ACTIONS[action]),
        failed=lambda exc: _product_failed(request, product_id, None, exc))


# --- Risk-list items: does each apply to the product? ---------------------------------------------------


_RISK_ACTIONS = ("apply", "exclude", "clear")


def _risk_notice(request: Request, product_id: int, event_id: int | None) -> str | None:
    """After an answer, the page names what changed: the summary of its audit event (this product's only)."""
    if event_id is None or request.query_params.get("ok") != "risk-decided":
        return None
    with get_kbase(request).session() as session:
        e = session.get(AuditEvent, event_id)
        if e is None or e.entity != risk_decisions.ENTITY:
            return None
        # a creation or a withdrawal logs the whole answer; a change only what changed: ask the answer itself
        owner = (e.after or {}).get("product_id") or (e.before or {}).get("product_id")
        if owner is None and e.entity_id is not None:
            d = session.get(RiskItemDecision, e.entity_id)
            owner = d.product_id if d is not None else None
        return f"Đã ghi: {e.summary}." if owner == product_id else None


def _on(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


@router.post("/curate/products/{product_id}/risk-items")
async def risk_item_submit(request: Request, product_id: Id, user: CuratorUser) -> Response:
    form = await request.form(max_files=0, max_fields=12)
    field = {f: str(form.get(f) or "")[:100] for f in ("document", "annex", "item", "hs_code", "action", "version", "on")}
    note = str(form.get("note") or "")[:5000]
    on = _on(field["on"])
    candidate = risk_decisions.Candidate(field["document"], field["annex"], field["item"], field["hs_code"])

    def work(session: Session) -> AuditEvent | None:
        p = products.require_product(session, product_id)
        action = field["action"]
        if action not in _RISK_ACTIONS:
            raise BadInput("thao tác không hợp lệ (áp dụng, không áp dụng hoặc bỏ xác nhận)")
        if action == "clear":
            return risk_decisions.clear(session, p, candidate, user.username, form_version(field["version"]))
        # no version: the page showed no answer for this item
        version = form_version(field["version"]) if field["version"] else None
        return risk_decisions.decide(session, p, candidate, action == "apply", note, user.username, version)

    def done(event: AuditEvent | None) -> Response:
        query = {"on": on.isoformat()} if on else {}
        query.update({"ok": "risk-decided", "event": str(event.id)} if event else {"ok": "risk-unchanged"})
        return RedirectResponse(f"/curate/products/{product_id}?{urlencode(query)}#risk-items", status_code=303)

    def failed(exc: KBError) -> Response:
        if isinstance(exc, StaleEdit):
            # Said in words: the page's conflict panel and its forms' versions belong to the product record.
            now = "áp dụng" if exc.current.get("applies") else "không áp dụng"
            exc = Conflict(f"Người khác vừa ghi câu trả lời cho mục này (nay: {now}, phiên bản "
                           f"{exc.current.get('version')}); bảng dưới đây cho thấy câu trả lời hiện tại.")
        return _product_failed(request, product_id, None, exc, on=on)

    return await run_in_threadpool(submit, request, work, done=done, failed=failed)
