"""The curator workspace (``/curate``) and the curation JSON API (``/api/mappings``, revert).

Every route here needs a curator or an admin (``CuratorUser``); every change goes through ``kb.curation``,
which locks optimistically and writes the audit log.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Form, Path, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlmodel import col, func, select
from starlette.concurrency import run_in_threadpool

from kb import audit, mappings, products, rules, standards, versioning
from kb.errors import BadInput, KBError, NotFound
from kb.models import (
    MAPPING_TYPE_LABELS_VI,
    STATUS_LABELS_VI,
    AuditEvent,
    CategoryRule,
    Document,
    IngestFile,
    IngestRun,
    Mapping,
    MappingStatus,
    Product,
    ProductKind,
    Standard,
)
from kb.versioning import StaleEdit
from web import auth, uploads
from web.auth import CuratorUser
from web.deps import MAX_ID, get_kbase

router = APIRouter(tags=["Biên tập"])

Id = Annotated[int, Path(ge=1, le=MAX_ID)]

NOTICES = {
    "approved": "Đã duyệt ánh xạ.",
    "rejected": "Đã từ chối ánh xạ.",
    "suggested": "Đã đưa ánh xạ về hàng đề xuất.",
    "created": "Đã tạo ánh xạ.",
    "saved": "Đã lưu.",
    "rule": "Đã tạo quy tắc và các đề xuất.",
    "rule-deleted": "Đã xóa quy tắc.",
    "repointed": "Đã chuyển ánh xạ sang tiêu chuẩn thay thế.",
    "reverted": "Đã hoàn tác.",
    "reviewed": "Đã duyệt dữ liệu trích xuất.",
    "uploaded": "Đã nhận tệp; đang xử lý.",
}


def ctx(request: Request, **extra: Any) -> dict[str, Any]:
    return auth.context(request, notice=NOTICES.get(request.query_params.get("ok", "")),
                        type_labels=MAPPING_TYPE_LABELS_VI, status_labels=STATUS_LABELS_VI,
                        error=None, conflict=None, **extra)


def back(url: str, notice: str) -> RedirectResponse:
    sep = "&" if "?" in url else "?"
    return RedirectResponse(f"{url}{sep}ok={notice}", status_code=303)


def mapping_json(m: Mapping, product: Product | None = None, std: Standard | None = None) -> dict[str, Any]:
    out = {k: audit.jsonable(v) for k, v in m.model_dump().items()}
    if product is not None:
        out["product"] = product.name
    if std is not None:
        out["standard"] = std.code
    return out


# --- JSON API -------------------------------------------------------------------------------------


class MappingIn(BaseModel):
    product: str | int = Field(description="Tên hoặc mã số sản phẩm")
    standard: str = Field(max_length=200, description="Ký hiệu tiêu chuẩn, cách viết nào cũng được")
    type: str = Field(default="voluntary", max_length=40)
    rationale: str | None = Field(default=None, max_length=5000)
    legal_basis: str | None = Field(default=None, max_length=5000)


class MappingPatch(BaseModel):
    status: str | None = Field(default=None, max_length=20)
    note: str | None = Field(default=None, max_length=2000, description="Lý do (bắt buộc khi từ chối)")
    type: str | None = Field(default=None, max_length=40)
    rationale: str | None = Field(default=None, max_length=5000)
    legal_basis: str | None = Field(default=None, max_length=5000)
    version: int | None = Field(default=None, ge=1, description="Phiên bản đã đọc; lệch → 409")


@router.post("/api/mappings", status_code=201, summary="Tạo ánh xạ sản phẩm ↔ tiêu chuẩn (đã duyệt)")
def api_mapping_create(request: Request, body: MappingIn, user: CuratorUser) -> Response:
    with get_kbase(request).session() as session:
        m, created = mappings.create_mapping(session, body.product, body.standard, body.type, body.rationale,
                                             body.legal_basis, user.username)
        data = mapping_json(m, session.get(Product, m.product_id), session.get(Standard, m.standard_id))
    return JSONResponse(data, status_code=201 if created else 200)


@router.patch("/api/mappings/{mapping_id}", summary="Duyệt / từ chối / sửa ánh xạ")
def api_mapping_patch(request: Request, mapping_id: Id, body: MappingPatch, user: CuratorUser) -> Response:
    try:
        with get_kbase(request).session() as session:
            fields = body.model_dump(include={"type", "rationale", "legal_basis"}, exclude_unset=True)
            version = body.version
            if fields:
                m = mappings.update_mapping(session, mapping_id, fields, version, user.username)
                version = None if version is None else m.version
            if body.status is not None:
                m = mappings.decide_mapping(session, mapping_id, body.status, user.username, note=body.note,
                                            expected_version=version)
            elif not fields:
                raise BadInput("không có gì để sửa (status, type, rationale, legal_basis)")
            data = mapping_json(m, session.get(Product, m.product_id), session.get(Standard, m.standard_id))
    except StaleEdit as exc:
        return JSONResponse(exc.to_json(), status_code=409)
    return JSONResponse(data)


@router.post("/api/audit/{event_id}/revert", summary="Hoàn tác một thay đổi trong nhật ký")
def api_revert(request: Request, event_id: Id, user: CuratorUser) -> dict[str, Any]:
    with get_kbase(request).session() as session:
        versioning.revert_event(session, event_id, user.username)
    return {"reverted": event_id}


# --- Dashboard ------------------------------------------------------------------------------------


@router.get("/curate", include_in_schema=False)
def dashboard(request: Request, user: CuratorUser) -> Response:
    with get_kbase(request).session() as session:
        counts = {
            "suggested": session.exec(select(func.count()).select_from(Mapping)
                                      .where(Mapping.status == MappingStatus.suggested)).one(),
            "review": len(standards.review_queue(session, limit=10_000)),
            "impact": len(mappings.impact(session)),
        }
        recent = audit.audit_events(session, limit=10)
    return auth.render_private(request, "curate/index.html", ctx(request, counts=counts, recent=recent))


# --- Suggestions and mappings ---------------------------------------------------------------------


@router.get("/curate/suggestions", include_in_schema=False)
def suggestions(request: Request, user: CuratorUser) -> Response:
    with get_kbase(request).session() as session:
        rows = mappings.mapping_rows(session, MappingStatus.suggested)
    return auth.render_private(request, "curate/suggestions.html", ctx(request, rows=rows))


@router.post("/curate/mappings/{mapping_id}/decide", include_in_schema=False)
def decide_submit(
    request: Request, mapping_id: Id, user: CuratorUser,
    status: Annotated[str, Form(max_length=20)],
    version: Annotated[int, Form(ge=1)],
    note: Annotated[str, Form(max_length=2000)] = "",
    back_to: Annotated[str, Form(max_length=300)] = "/curate/suggestions",
) -> Response:
    try:
        with get_kbase(request).session() as session:
            m = mappings.decide_mapping(session, mapping_id, status, user.username, note=note, expected_version=version)
            decided = m.status.value
    except KBError as exc:
        return _mapping_page(request, mapping_id, status=exc.status, exc=exc)
    return back(auth.safe_next(back_to, "/curate/suggestions"), decided)


@router.get("/curate/mappings", include_in_schema=False)
def mappings_page(
    request: Request, user: CuratorUser,
    status: Annotated[str, Query(max_length=20)] = "approved",
) -> Response:
    wanted = None if status == "all" else MappingStatus(status) if status in MappingStatus._value2member_map_ else None
    with get_kbase(request).session() as session:
        rows = mappings.mapping_rows(session, wanted, limit=500)
    return auth.render_private(request, "curate/mappings.html", ctx(request, rows=rows, status=status, form={}))


@router.post("/curate/mappings", include_in_schema=False)
def mapping_create_submit(
    request: Request, user: CuratorUser,
    product: Annotated[str, Form(max_length=300)] = "",
    standard: Annotated[str, Form(max_length=200)] = "",
    type: Annotated[str, Form(max_length=40)] = "voluntary",
    rationale: Annotated[str, Form(max_length=5000)] = "",
    legal_basis: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    form = {"product": product, "standard": standard, "type": type, "rationale": rationale, "legal_basis": legal_basis}
    try:
        with get_kbase(request).session() as session:
            m, _ = mappings.create_mapping(session, product, standard, type, rationale, legal_basis, user.username)
            mapping_id = m.id
    except KBError as exc:
        with get_kbase(request).session() as session:
            rows = mappings.mapping_rows(session, MappingStatus.approved, limit=500)
        c = ctx(request, rows=rows, status="approved", form=form)
        c["error"] = exc.message
        return auth.render_private(request, "curate/mappings.html", c, status_code=exc.status)
    return back(f"/curate/mappings/{mapping_id}", "created")



def _render_form(request: Request, template: str, c: dict, status: int, exc: KBError | None) -> Response:
    """A form page again: a stale edit shows what changed, any other error one message."""
    if isinstance(exc, StaleEdit):
        c["conflict"] = exc
    elif exc is not None:
        c["error"] = exc.message
    return auth.render_private(request, template, c, status_code=status)

def _mapping_page(request: Request, mapping_id: int, status: int = 200, exc: KBError | None = None) -> Response:
    with get_kbase(request).session() as session:
        m = mappings.require_mapping(session, mapping_id)
        c = ctx(request, m=m, product=session.get(Product, m.product_id), std=session.get(Standard, m.standard_id),
                history=audit.audit_events(session, entity="mapping", entity_id=m.id, limit=50))
    return _render_form(request, "curate/mapping.html", c, status, exc)


@router.get("/curate/mappings/{mapping_id}", include_in_schema=False)
def mapping_page(request: Request, mapping_id: Id, user: CuratorUser) -> Response:
    return _mapping_page(request, mapping_id)


@router.post("/curate/mappings/{mapping_id}", include_in_schema=False)
def mapping_edit_submit(
    request: Request, mapping_id: Id, user: CuratorUser,
    version: Annotated[int, Form(ge=1)],
    type: Annotated[str, Form(max_length=40)] = "",
    rationale: Annotated[str, Form(max_length=5000)] = "",
    legal_basis: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    try:
        with get_kbase(request).session() as session:
            mappings.update_mapping(session, mapping_id, {"type": type, "rationale": rationale,
                                                          "legal_basis": legal_basis}, version, user.username)
    except KBError as exc:
        return _mapping_page(request, mapping_id, status=exc.status, exc=exc)
    return back(f"/curate/mappings/{mapping_id}", "saved")


@router.post("/curate/import/mappings", include_in_schema=False)
async def mappings_import_submit(request: Request, user: CuratorUser) -> Response:
    """Bulk import in the ``kb import mappings`` format."""
    from ingest.importers import import_file

    kbase = get_kbase(request)
    limit = kbase.settings.max_file_mb * 1024 * 1024
    report = None
    error = None
    status = 200
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
        error, status = exc.message, exc.status

    def page() -> Response:
        with kbase.session() as session:
            rows = mappings.mapping_rows(session, MappingStatus.approved, limit=500)
        c = ctx(request, rows=rows, status="approved", form={}, report=report)
        c["error"] = error
        return auth.render_private(request, "curate/mappings.html", c, status_code=status)

    return await run_in_threadpool(page)


# --- Category rules -------------------------------------------------------------------------------


def _rules_page(request: Request, status: int = 200, error: str | None = None, form: dict | None = None) -> Response:
    with get_kbase(request).session() as session:
        rules = session.exec(select(CategoryRule).order_by(CategoryRule.category, CategoryRule.standard_code)).all()
        categories = sorted({c for c in session.exec(select(Product.category).distinct()).all() if c})
    c = ctx(request, rules=rules, categories=categories, form=form or {})
    c["error"] = error
    return auth.render_private(request, "curate/rules.html", c, status_code=status)


@router.get("/curate/rules", include_in_schema=False)
def rules_page(request: Request, user: CuratorUser) -> Response:
    return _rules_page(request)


@router.post("/curate/rules", include_in_schema=False)
def rule_create_submit(
    request: Request, user: CuratorUser,
    category: Annotated[str, Form(max_length=200)] = "",
    standard: Annotated[str, Form(max_length=200)] = "",
    type: Annotated[str, Form(max_length=40)] = "mandatory",
    rationale: Annotated[str, Form(max_length=5000)] = "",
    legal_basis: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    try:
        with get_kbase(request).session() as session:
            rules.add_rule(session, category, standard, type, rationale, legal_basis, user.username)
    except KBError as exc:
        form = {"category": category, "standard": standard, "type": type, "rationale": rationale,
                "legal_basis": legal_basis}
        return _rules_page(request, exc.status, exc.message, form)
    return back("/curate/rules", "rule")


@router.post("/curate/rules/{rule_id}/apply", include_in_schema=False)
def rule_apply_submit(request: Request, rule_id: Id, user: CuratorUser) -> Response:
    """Run a rule again, for products added to its category since it was made."""
    with get_kbase(request).session() as session:
        rule = session.get(CategoryRule, rule_id)
        if rule is None:
            raise NotFound(f"Không có quy tắc #{rule_id}")
        rules.apply_rule(session, rule, user.username)
    return back("/curate/rules", "rule")


@router.post("/curate/rules/{rule_id}/delete", include_in_schema=False)
def rule_delete_submit(request: Request, rule_id: Id, user: CuratorUser) -> Response:
    with get_kbase(request).session() as session:
        rules.delete_rule(session, rule_id, user.username)
    return back("/curate/rules", "rule-deleted")


# --- Products -------------------------------------------------------------------------------------

PRODUCT_FORM_FIELDS = ("name", "aliases", "category", "kind", "ocop_stars", "ocop_group", "ocop_year", "producer",
                       "district", "commune", "hs_code", "description", "source_url")


async def _product_form(request: Request) -> dict[str, str]:
    form = await request.form(max_files=0, max_fields=40)
    return {f: str(form.get(f) or "")[:5000] for f in PRODUCT_FORM_FIELDS}


@router.get("/curate/products", include_in_schema=False)
def products_page(request: Request, user: CuratorUser, q: Annotated[str, Query(max_length=200)] = "") -> Response:
    with get_kbase(request).session() as session:
        stmt = select(Product).order_by(Product.name).limit(500)
        if q:
            stmt = stmt.where(col(Product.name).icontains(q.strip()))
        items = session.exec(stmt).all()
    return auth.render_private(request, "curate/products.html", ctx(request, items=items, q=q, kinds=list(ProductKind)))


def _product_edit(request: Request, product: Product | None, form: dict, status: int = 200,
                  exc: KBError | None = None) -> Response:
    c = ctx(request, product=product, form=form, kinds=list(ProductKind))
    return _render_form(request, "curate/product.html", c, status, exc)


@router.get("/curate/products/new", include_in_schema=False)
def product_new_page(request: Request, user: CuratorUser) -> Response:
    return _product_edit(request, None, {"kind": "ocop"})


@router.post("/curate/products", include_in_schema=False)
async def product_create_submit(request: Request, user: CuratorUser) -> Response:
    form = await _product_form(request)

    def work() -> Response:
        try:
            with get_kbase(request).session() as session:
                p = products.create_product(session, {k: v for k, v in form.items() if v}, user.username)
                pid = p.id
        except KBError as exc:
            return _product_edit(request, None, form, exc.status, exc)
        return back(f"/curate/products/{pid}", "saved")

    return await run_in_threadpool(work)


@router.get("/curate/products/{product_id}", include_in_schema=False)
def product_edit_page(request: Request, product_id: Id, user: CuratorUser) -> Response:
    with get_kbase(request).session() as session:
        p = products.require_product(session, product_id)
    form = {f: _form_value(getattr(p, f)) for f in PRODUCT_FORM_FIELDS}
    return _product_edit(request, p, form)


def _form_value(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, list):
        return "; ".join(v)
    return str(getattr(v, "value", v))


@router.post("/curate/products/{product_id}", include_in_schema=False)
async def product_edit_submit(request: Request, product_id: Id, user: CuratorUser) -> Response:
    form = await _product_form(request)
    raw = await request.form()
    version = str(raw.get("version") or "")

    def work() -> Response:
        try:
            with get_kbase(request).session() as session:
                products.update_product(session, product_id, form, _form_version(version), user.username)
        except KBError as exc:
            with get_kbase(request).session() as session:
                p = products.require_product(session, product_id)
            return _product_edit(request, p, form, exc.status, exc)
        return back(f"/curate/products/{product_id}", "saved")

    return await run_in_threadpool(work)


# --- Review of ingested documents -----------------------------------------------------------------


@router.get("/curate/review", include_in_schema=False)
def review_page(request: Request, user: CuratorUser) -> Response:
    with get_kbase(request).session() as session:
        items = standards.review_queue(session)
    return auth.render_private(request, "curate/review.html", ctx(request, items=items))


def _form_version(text: str) -> int:
    """The record version a form was rendered from (optimistic locking); a form without one is refused."""
    if not text.isdigit():
        raise BadInput("thiếu phiên bản của biểu mẫu (version)")
    return int(text)


REVIEW_FIELDS = ("title_vi", "title_en", "status", "effective_date", "issuing_instrument", "drafted_by",
                 "proposed_by", "appraised_by", "published_by", "ics", "scope")


def _review_item(request: Request, standard_id: int, status: int = 200, exc: KBError | None = None,
                 form: dict | None = None) -> Response:
    with get_kbase(request).session() as session:
        std = session.get(Standard, standard_id)
        if std is None:
            raise NotFound(f"Không tìm thấy tiêu chuẩn #{standard_id}")
        doc = session.get(Document, std.document_id) if std.document_id else None
    c = ctx(request, std=std, doc=doc, fields=REVIEW_FIELDS, form=form or {})
    return _render_form(request, "curate/review_item.html", c, status, exc)


@router.get("/curate/review/{standard_id}", include_in_schema=False)
def review_item_page(request: Request, standard_id: Id, user: CuratorUser) -> Response:
    return _review_item(request, standard_id)


@router.post("/curate/review/{standard_id}", include_in_schema=False)
async def review_submit(request: Request, standard_id: Id, user: CuratorUser) -> Response:
    raw = await request.form(max_files=0, max_fields=40)
    form = {f: str(raw.get(f) or "")[:20000] for f in REVIEW_FIELDS if f in raw}
    version = str(raw.get("version") or "")

    def work() -> Response:
        try:
            with get_kbase(request).session() as session:
                standards.review_standard(session, standard_id, form, _form_version(version), user.username)
        except KBError as exc:
            return _review_item(request, standard_id, exc.status, exc, form)
        return back("/curate/review", "reviewed")

    return await run_in_threadpool(work)


# --- Impact of replaced / withdrawn standards -----------------------------------------------------


@router.get("/curate/impact", include_in_schema=False)
def impact_page(request: Request, user: CuratorUser) -> Response:
    with get_kbase(request).session() as session:
        items = mappings.impact(session)
    return auth.render_private(request, "curate/impact.html", ctx(request, items=items))


@router.post("/curate/impact/{standard_id}/repoint", include_in_schema=False)
def repoint_submit(request: Request, standard_id: Id, user: CuratorUser,
                   to: Annotated[str, Form(max_length=200)]) -> Response:
    with get_kbase(request).session() as session:
        old = session.get(Standard, standard_id)
        if old is None:
            raise NotFound(f"Không tìm thấy tiêu chuẩn #{standard_id}")
        new = standards.get_standard(session, to)
        if new is None:
            raise BadInput(f"tiêu chuẩn thay thế {to!r} chưa có trong cơ sở dữ liệu")
        mappings.repoint_mappings(session, old, new, user.username)
    return back("/curate/impact", "repointed")


# --- Audit log ------------------------------------------------------------------------------------

PAGE_SIZE = 50


@router.get("/curate/audit", include_in_schema=False)
def audit_page(
    request: Request, user: CuratorUser,
    entity: Annotated[str, Query(max_length=40)] = "",
    actor: Annotated[str, Query(max_length=80)] = "",
    action: Annotated[str, Query(max_length=40)] = "",
    entity_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    days: Annotated[int | None, Query(ge=1, le=3650)] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    with get_kbase(request).session() as session:
        events = audit.audit_events(session, entity=entity or None, actor=actor or None, action=action or None,
                                       entity_id=entity_id, days=days, limit=PAGE_SIZE + 1,
                                       offset=(page - 1) * PAGE_SIZE)
        entities = sorted(e for e in session.exec(select(AuditEvent.entity).distinct()).all() if e)
        actions = sorted(a for a in session.exec(select(AuditEvent.action).distinct()).all() if a)
    more = len(events) > PAGE_SIZE
    events = events[:PAGE_SIZE]
    filters = {"entity": entity, "actor": actor, "action": action, "entity_id": entity_id or "", "days": days or ""}
    return auth.render_private(request, "curate/audit.html", ctx(
        request, events=events, revertable={e.id for e in events if audit.revertable(e)}, filters=filters,
        entities=entities, actions=actions, page=page, more=more))


@router.post("/curate/audit/{event_id}/revert", include_in_schema=False)
def revert_submit(request: Request, event_id: Id, user: CuratorUser) -> Response:
    with get_kbase(request).session() as session:
        versioning.revert_event(session, event_id, user.username)
    return back("/curate/audit", "reverted")


# --- Upload of PDFs and catalogues ----------------------------------------------------------------

UPLOAD_KINDS = ("pdf", "standards", "products", "labs", "lab-scope", "mappings")


def _process_upload(kbase, stored: uploads.StoredUpload, kind: str, actor: str) -> None:
    """Runs after the response, in a worker thread: a PDF through the ingest pipeline, a table through the
    importer. Progress and result land in IngestRun / IngestFile and the audit log."""
    try:
        if stored.kind == "pdf":
            from ingest.pipeline import ingest_paths

            ingest_paths(kbase, [stored.path], actor=actor, workers=1)
        else:
            from ingest.importers import import_file

            try:
                report = import_file(kbase, kind, stored.path, actor=actor)
            except KBError as exc:  # nobody waits on the request any more: the outcome goes to the log page
                after = {"file": stored.original_name, "error": exc.message}
                summary = f"Nhập {kind} từ {stored.original_name} thất bại: {exc.message}"
            else:
                after = report.to_json() | {"file": stored.original_name}
                summary = (f"Nhập {kind} từ {stored.original_name}: {report.created} mới, "
                           f"{report.updated} cập nhật, {len(report.errors)} lỗi")
            with kbase.session() as session:
                audit.record(session, actor=actor, action="import", entity="upload", entity_id=None,
                             after=after, summary=summary)
    finally:
        stored.path.unlink(missing_ok=True)


@router.get("/curate/upload", include_in_schema=False)
def upload_page(request: Request, user: CuratorUser) -> Response:
    with get_kbase(request).session() as session:
        runs = session.exec(select(IngestRun).order_by(col(IngestRun.id).desc()).limit(20)).all()
        imports = audit.audit_events(session, entity="upload", limit=20)
    return auth.render_private(request, "curate/upload.html", ctx(request, runs=runs, imports=imports, kinds=UPLOAD_KINDS))


@router.post("/curate/upload", include_in_schema=False)
async def upload_submit(request: Request, user: CuratorUser, background: BackgroundTasks) -> Response:
    kbase = get_kbase(request)
    limit = kbase.settings.max_file_mb * 1024 * 1024
    try:
        async with uploads.read_form(request, limit) as form:
            kind = str(form.get("kind") or "pdf")
            if kind not in UPLOAD_KINDS:
                raise BadInput(f"loại tệp {kind!r} không hợp lệ")
            allowed = {"pdf"} if kind == "pdf" else {"csv", "xlsx"}
            stored = await run_in_threadpool(uploads.save_upload, form.get("file"), kbase.settings.uploads_dir,
                                             allowed, limit)
    except KBError as exc:
        error = exc

        def page() -> Response:
            with kbase.session() as session:
                runs = session.exec(select(IngestRun).order_by(col(IngestRun.id).desc()).limit(20)).all()
                imports = audit.audit_events(session, entity="upload", limit=20)
            c = ctx(request, runs=runs, imports=imports, kinds=UPLOAD_KINDS)
            c["error"] = error.message
            return auth.render_private(request, "curate/upload.html", c, status_code=error.status)

        return await run_in_threadpool(page)
    background.add_task(_process_upload, kbase, stored, kind, user.username)
    return back("/curate/upload", "uploaded")


@router.get("/curate/runs/{run_id}", include_in_schema=False)
def run_page(request: Request, run_id: Id, user: CuratorUser) -> Response:
    with get_kbase(request).session() as session:
        run = session.get(IngestRun, run_id)
        if run is None:
            raise NotFound(f"Không có lượt nạp #{run_id}")
        files = session.exec(select(IngestFile).where(IngestFile.run_id == run_id).order_by(IngestFile.id)).all()
    return auth.render_private(request, "curate/run.html", ctx(request, run=run, files=files))
