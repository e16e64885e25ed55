"""Upload of PDFs and catalogues, processed in the background; the ingest runs, live, and their re-runs.

A PDF upload opens its ingest run in the request (the file listed under the name the curator gave it)
and lands the curator on that run's page, which refreshes itself while the run works: a ``<meta
refresh>`` inside ``<noscript>`` without JavaScript, ``/static/run.js`` polling
``GET /api/ingest-runs/{id}`` with it. Opening the page (or the JSON) also notices a run whose process
died, and a curator can re-run what such a run did not finish.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from sqlmodel import col, select
from starlette.concurrency import run_in_threadpool

from kb import audit, documents
from kb.core import KnowledgeBase
from kb.errors import BadInput, KBError, NotFound
from kb.models import Document, IngestRun, ProposalStatus, ProposedChange, Standard, utcnow
from web import auth, uploads
from web.auth import CuratorUser
from web.deps import get_kbase
from web.forms import render_form
from web.jobs import KIND_LABELS as KIND_LABELS_JOBS
from web.jobs import REFRESH_SECONDS as JOB_REFRESH_SECONDS
from web.jobs import job_view
from web.routes.curate._common import TAGS, Id, ctx
from web.routes.curate.api import ERRORS
from web.schemas import ApiError

router = APIRouter(tags=TAGS)

UPLOAD_KINDS = ("pdf", "standards", "products", "labs", "lab-scope", "mappings")

RUN_STATES = {"running": "đang xử lý", "done": "xong", "interrupted": "bị gián đoạn"}
FILE_STATES = {
    "waiting": "đang chờ",
    "reading": "đang đọc",
    "ingested": "xong — đã nạp",
    "unchanged": "xong — đã có sẵn, không đổi",
    "needs_ocr": "cần OCR (bản quét chưa có lớp chữ)",
    "failed": "lỗi",
    "unfinished": "chưa xong (lượt bị gián đoạn)",
}
KIND_LABELS = {"standard": "tiêu chuẩn", "regulation": "quy chuẩn", "lab_scope": "năng lực phòng thí nghiệm",
               "catalogue": "danh mục", "other": "tài liệu khác"}
#: How often the page asks again while the run works (seconds); the JavaScript polls a little faster.
REFRESH_SECONDS = 3


# --- Running the work ------------------------------------------------------------------------------


def _drop_uploads(kbase: KnowledgeBase, paths: list[str]) -> None:
    """Uploaded copies are kept until their run finishes (an interrupted run is re-run from them)."""
    root = kbase.settings.uploads_dir.resolve()
    for p in paths:
        path = Path(p)
        if path.resolve().parent == root:
            path.unlink(missing_ok=True)


def ingest_run(kbase: KnowledgeBase, run_id: int, paths: list[str], ocr: bool, actor: str) -> None:
    """Runs after the response, in a worker thread: the run's PDFs through the ingest pipeline."""
    from ingest.pipeline import ingest_paths

    ingest_paths(kbase, [Path(p) for p in paths], actor=actor, workers=1, ocr=ocr, run_id=run_id)
    _drop_uploads(kbase, paths)


# --- What a run page shows -------------------------------------------------------------------------


def _elapsed_vi(seconds: float) -> str:
    s = int(seconds)
    if s < 60:
        return f"{s} giây"
    if s < 3600:
        return f"{s // 60} phút {s % 60:02d} giây"
    return f"{s // 3600} giờ {s % 3600 // 60:02d} phút"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def run_view(kbase: KnowledgeBase, run_id: int) -> dict[str, Any]:
    """A run as its page and its JSON show it: state, counts, elapsed time, each file by its name."""
    documents.mark_interrupted(kbase, run_id)
    with kbase.session() as session:
        run = session.get(IngestRun, run_id)
        if run is None:
            raise NotFound(f"Không có lượt nạp #{run_id}")
        done, left = documents.run_files(session, run)
        doc_ids = {f.document_id for f in done if f.document_id}
        standards = {s.document_id: s for s in session.exec(
            select(Standard).where(col(Standard.document_id).in_(doc_ids)).order_by(col(Standard.id)))} \
            if doc_ids else {}
        waiting_review = {p.document_id: p for p in session.exec(
            select(ProposedChange).where(col(ProposedChange.document_id).in_(doc_ids),
                                         ProposedChange.status == ProposalStatus.pending))} if doc_ids else {}
        docs = {d.id: d for d in session.exec(select(Document).where(col(Document.id).in_(doc_ids)))} \
            if doc_ids else {}
        state = "done" if run.finished_at else "interrupted" if run.interrupted_at else "running"
        names = {p["path"]: p["name"] for p in run.planned or []}
        reading = set(run.reading or []) if state == "running" else set()
        outcome = {f.path: f for f in done}
        order = [p["path"] for p in run.planned or []] + [f.path for f in done if f.path not in names]
        files = []
        for path in order:
            row: dict[str, Any] = {"name": names.get(path) or path.rsplit("/", 1)[-1], "message": None,
                                   "pages": None, "produced": None, "link": None}
            f = outcome.get(path)
            if f is None:
                row["state"] = ("reading" if path in reading else "waiting") if state == "running" else "unfinished"
            else:
                row.update(state=f.status.value, message=f.message, pages=f.pages)
                doc = docs.get(f.document_id) if f.document_id else None
                std = standards.get(f.document_id) if f.document_id else None
                proposal = waiting_review.get(f.document_id) if f.document_id else None
                if proposal is not None:
                    row["produced"] = f"đề xuất thay đổi cho {proposal.target}"
                    row["link"] = f"/curate/proposals/{proposal.id}"
                elif std is not None:
                    row["produced"], row["link"] = std.code, f"/curate/review/{std.id}"
                elif doc is not None:
                    row["produced"] = KIND_LABELS.get(doc.kind, doc.kind) + (f": {doc.title}" if doc.title else "")
            row["state_label"] = FILE_STATES[row["state"]]
            files.append(row)
        states = [r["state"] for r in files]
        end = run.finished_at or run.interrupted_at or utcnow()
        elapsed = max(0.0, (end - run.started_at).total_seconds())
        reruns = documents.reruns_of(session, run_id)
        return {
            "id": run.id, "state": state, "state_label": RUN_STATES[state], "actor": run.actor,
            "started_at": _iso(run.started_at), "finished_at": _iso(run.finished_at),
            "interrupted_at": _iso(run.interrupted_at),
            "elapsed_seconds": round(elapsed, 1), "elapsed_label": _elapsed_vi(elapsed),
            "counts": {"total": len(files), "done": len(done) - states.count("failed"),
                       "failed": states.count("failed"), "reading": states.count("reading"),
                       "waiting": states.count("waiting"), "unfinished": states.count("unfinished")},
            "files": files, "rerun_of": run.rerun_of, "reruns": reruns,
            "can_rerun": state == "interrupted" and not reruns and bool(left),
        }


# --- Pages -----------------------------------------------------------------------------------------


def _upload_page(request: Request, exc: KBError | None = None) -> Response:
    kbase = get_kbase(request)
    documents.mark_interrupted(kbase)
    with kbase.session() as session:
        runs = audit.ingest_runs(session, limit=20)
        imports = audit.audit_events(session, entity="upload", limit=20)
    context = ctx(request, runs=runs, imports=imports, kinds=UPLOAD_KINDS, job_kinds=KIND_LABELS_JOBS)
    return render_form(request, "curate/upload.html", context, exc)


@router.get("/curate/upload", include_in_schema=False)
def upload_page(request: Request, user: CuratorUser) -> Response:
    return _upload_page(request)


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
        return await run_in_threadpool(_upload_page, request, exc)
    if stored.kind != "pdf":  # a catalogue: a background job, written in short batches (ingest.jobs)
        from ingest import jobs
        from ingest.sheets import check_upload

        try:  # a spreadsheet bomb is refused now, with its reason, rather than in the background
            await run_in_threadpool(check_upload, stored.path, kbase.settings, stored.original_name)
        except KBError as exc:
            stored.path.unlink(missing_ok=True)
            return await run_in_threadpool(_upload_page, request, exc)
        job_id = await run_in_threadpool(jobs.start_job, kbase, user.username, kind, stored.path, stored.original_name)
        background.add_task(jobs.run_job, kbase, job_id, stored.path, user.username)
        return RedirectResponse(f"/curate/jobs/{job_id}", status_code=303)
    run_id = await run_in_threadpool(documents.start_run, kbase, user.username,
                                     [(str(stored.path), stored.original_name)])
    background.add_task(ingest_run, kbase, run_id, [str(stored.path)], False, user.username)
    return RedirectResponse(f"/curate/runs/{run_id}", status_code=303)


@router.get("/curate/jobs/{run_id}", include_in_schema=False)
def job_page(request: Request, run_id: Id, user: CuratorUser) -> Response:
    """A catalogue (or a lab's scope) upload job, live, with its stop button."""
    from ingest.jobs import BATCH_ROWS

    job = job_view(get_kbase(request), run_id)
    return auth.render_private(request, "jobs/job.html", ctx(
        request, job=job, refresh_seconds=JOB_REFRESH_SECONDS, batch_rows=BATCH_ROWS,
        cancel_url=f"/curate/jobs/{run_id}/cancel", back_url="/curate/upload", back_label="Về trang tải tệp"))


@router.post("/curate/jobs/{run_id}/cancel", include_in_schema=False)
def job_cancel(request: Request, run_id: Id, user: CuratorUser) -> Response:
    from ingest.jobs import request_cancel

    kbase = get_kbase(request)
    job_view(kbase, run_id)  # NotFound for a PDF run or no run
    request_cancel(kbase, run_id)
    return RedirectResponse(f"/curate/jobs/{run_id}", status_code=303)


@router.get("/curate/runs/{run_id}", include_in_schema=False)
def run_page(request: Request, run_id: Id, user: CuratorUser) -> Response:
    kbase = get_kbase(request)
    with kbase.session() as session:
        run = session.get(IngestRun, run_id)
        if run is not None and run.kind is not None:  # a spreadsheet job has its own page
            return RedirectResponse(f"/curate/jobs/{run_id}", status_code=303)
    view = run_view(kbase, run_id)
    return auth.render_private(request, "curate/run.html",
                               ctx(request, run=view, refresh_seconds=REFRESH_SECONDS))


@router.post("/curate/runs/{run_id}/rerun", include_in_schema=False)
def run_rerun(request: Request, run_id: Id, user: CuratorUser, background: BackgroundTasks) -> Response:
    kbase = get_kbase(request)
    try:
        new_id, paths, ocr = documents.start_rerun(kbase, run_id, user.username)
    except KBError as exc:
        return render_form(request, "curate/run.html",
                           ctx(request, run=run_view(kbase, run_id), refresh_seconds=REFRESH_SECONDS), exc)
    background.add_task(ingest_run, kbase, new_id, paths, ocr, user.username)
    return RedirectResponse(f"/curate/runs/{new_id}", status_code=303)


# --- JSON ------------------------------------------------------------------------------------------


class IngestRunFileOut(BaseModel):
    name: str
    state: str
    state_label: str
    message: str | None
    pages: int | None
    produced: str | None
    link: str | None


class IngestRunCounts(BaseModel):
    total: int
    done: int
    failed: int
    reading: int
    waiting: int
    unfinished: int


class IngestRunOut(BaseModel):
    """A run's live status: ``state`` running / done / interrupted; files in the order they are read."""

    id: int
    state: str
    state_label: str
    actor: str
    started_at: str | None
    finished_at: str | None
    interrupted_at: str | None
    elapsed_seconds: float
    elapsed_label: str
    counts: IngestRunCounts
    files: list[IngestRunFileOut]
    rerun_of: int | None
    reruns: list[int]
    can_rerun: bool


@router.get("/api/ingest-runs/{run_id}", response_model=IngestRunOut, summary="Tình trạng một lượt nạp PDF",
            responses=ERRORS | {404: {"model": ApiError, "description": "Không có lượt nạp này"}})
def run_status(request: Request, run_id: Id, user: CuratorUser, response: Response) -> Any:
    response.headers["Cache-Control"] = "no-store"  # live, and private to curators
    return run_view(get_kbase(request), run_id)
