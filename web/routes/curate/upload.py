"""Upload of PDFs and catalogues, processed in the background; the ingest runs and what each read."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from kb import audit
from kb.core import KnowledgeBase
from kb.errors import BadInput, KBError
from web import auth, uploads
from web.auth import CuratorUser
from web.deps import get_kbase
from web.forms import render_form
from web.routes.curate._common import TAGS, Id, back, ctx

router = APIRouter(tags=TAGS, include_in_schema=False)

UPLOAD_KINDS = ("pdf", "standards", "products", "labs", "lab-scope", "mappings")


def process_upload(kbase: KnowledgeBase, stored: uploads.StoredUpload, kind: str, actor: str) -> None:
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


def _upload_page(request: Request, exc: KBError | None = None) -> Response:
    with get_kbase(request).session() as session:
        runs = audit.ingest_runs(session, limit=20)
        imports = audit.audit_events(session, entity="upload", limit=20)
    return render_form(request, "curate/upload.html", ctx(request, runs=runs, imports=imports, kinds=UPLOAD_KINDS),
                       exc)


@router.get("/curate/upload")
def upload_page(request: Request, user: CuratorUser) -> Response:
    return _upload_page(request)


@router.post("/curate/upload")
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
        return await run_in_threadpool(_upload_page, request, exc)
    background.add_task(process_upload, kbase, stored, kind, user.username)
    return back("/curate/upload", "uploaded")


@router.get("/curate/runs/{run_id}")
def run_page(request: Request, run_id: Id, user: CuratorUser) -> Response:
    with get_kbase(request).session() as session:
        run, files = audit.ingest_run(session, run_id)
    return auth.render_private(request, "curate/run.html", ctx(request, run=run, files=files))
