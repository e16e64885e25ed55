"""Spreadsheet uploads as background jobs: read, check, write in batches, report progress, stop on request.

A job is an ``IngestRun`` with a ``kind`` (the importer's), opened by the upload request
(:func:`start_job`), which answers at once; :func:`run_job` then works in a background thread of the
server, like a PDF ingest run. Its heartbeat, the "interrupted" marking of a run whose process died and
the run's page come from the same machinery (``kb.documents``). ``counts`` holds the progress: ``phase``,
rows ``read`` and ``written``, what changed, the bad lines.

Why batches: one transaction per file held SQLite's single write lock (or PostgreSQL's row locks) for as
long as a million rows took, and every other writer failed with "database is locked". Each batch of
:data:`BATCH_ROWS` is its own short transaction; between two, other writers get their turn. The job checks
``cancel_requested_at`` at the start of every batch and stops there: what earlier batches committed stays.

A lab's scope file is read and checked whole before anything is written (the good rows are spooled to a
file next to the upload): a file with any bad line changes nothing, so a mistake never leaves half a
scope. A scope of up to :data:`BATCH_ROWS` rows is replaced in one transaction (``labs.replace_scope``);
a larger one batch by batch (``labs.replace_scope_part``), so only a cancel (or a crash) between
batches leaves it part new, part old — the job's page says how far it got.
"""

from __future__ import annotations

import copy
import json
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from ingest import importers
from kb import audit, bulk, documents, groups, labs
from kb.core import KnowledgeBase
from kb.db import is_lock_error
from kb.errors import BadInput, KBError
from kb.models import IngestRun, LabScopeCreate, utcnow

log = logging.getLogger("ingest.jobs")

#: Rows per transaction: small enough that another writer waits at most a moment (bench/upload_jobs.py).
BATCH_ROWS = 500
#: How often the reading phase records its progress (it writes nothing else).
PROGRESS_SECONDS = 1.0
#: Bad lines kept for the page (the count is always exact).
MAX_ERRORS = 200
#: Pause after each batch on SQLite, so that a writer waiting for the lock gets it (bench/upload_jobs.py).
SQLITE_PAUSE_SECONDS = 0.15
#: Tries of a batch that met a lock conflict.
LOCK_RETRIES = 3
#: Kinds the curator upload runs batch by batch through the importer's row handlers.
ROW_KINDS = ("standards", "products", "labs", "mappings")


class Cancelled(Exception):
    """The job was asked to stop; raised at the start of a batch, before it writes anything."""


def start_job(kbase: KnowledgeBase, actor: str, kind: str, path: Path, name: str, lab_id: int | None = None) -> int:
    """Open the job for an upload stored at ``path`` (shown as ``name``); its id."""
    run_id = documents.start_run(kbase, actor, [(str(path), name)])
    with kbase.session() as session:
        run = session.get(IngestRun, run_id)
        assert run is not None
        run.kind, run.lab_id = kind, lab_id
        run.counts = {"phase": "waiting", "read": 0, "written": 0}
        session.add(run)
    return run_id


def request_cancel(kbase: KnowledgeBase, run_id: int) -> bool:
    """Ask a running job to stop at its next batch; False when it is no longer running."""
    with kbase.session() as session:
        run = session.get(IngestRun, run_id)
        if run is None or run.finished_at is not None or run.interrupted_at is not None:
            return False
        if run.cancel_requested_at is None:
            run.cancel_requested_at = utcnow()
            session.add(run)
        return True


class Progress:
    """The job's counts, written to its run (with the heartbeat) in the batch's own transaction."""

    def __init__(self, kbase: KnowledgeBase, run_id: int) -> None:
        self.kbase, self.run_id = kbase, run_id
        self.counts: dict[str, Any] = {"phase": "reading", "read": 0, "written": 0, "total": None,
                                       "created": 0, "updated": 0, "unchanged": 0, "deleted": 0,
                                       "error_count": 0, "errors": []}
        self._last = 0.0

    def error(self, line: int, message: str) -> None:
        self.counts["error_count"] += 1
        if len(self.counts["errors"]) < MAX_ERRORS:
            self.counts["errors"].append({"line": line, "message": message})

    def add(self, outcome: dict[str, int]) -> None:
        for k in ("created", "updated", "unchanged", "deleted"):
            self.counts[k] += outcome.get(k, 0)

    def save(self, session: Session, *, check: bool = True) -> None:
        """Record the progress in ``session``'s transaction; with ``check``, Cancelled (before the batch
        writes anything) if someone asked the job to stop."""
        run = session.get(IngestRun, self.run_id)
        if run is None:
            raise Cancelled
        run.counts = json.loads(json.dumps(self.counts))  # a new value, so that the JSON column is written
        run.heartbeat_at = utcnow()
        session.add(run)
        self._last = time.monotonic()
        if check and run.cancel_requested_at is not None:
            raise Cancelled

    def tick(self) -> None:
        """While reading: record the progress about once a second (a tiny transaction of its own)."""
        if time.monotonic() - self._last >= PROGRESS_SECONDS:
            try:
                with self.kbase.session() as session:
                    self.save(session)
            except DBAPIError as exc:  # another writer held on: the next tick records it
                if not is_lock_error(exc):
                    raise
                self._last = time.monotonic()

    def batch(self, work: Callable[[Session], None]) -> None:
        """One batch's transaction: the stop check, ``work`` (which adds to the counts), the progress. A lock
        conflict (another writer held on past the busy timeout, a PostgreSQL deadlock) rolls the batch
        back, counts included, and tries it again."""
        for attempt in range(LOCK_RETRIES):
            saved = copy.deepcopy(self.counts)
            started = time.monotonic()
            try:
                with self.kbase.session() as session:
                    self.save(session)  # Cancelled here: this batch writes nothing
                    work(session)
                    self.save(session, check=False)
                if self.kbase.settings.db_url.startswith("sqlite"):
                    # SQLite has no queue for its write lock: a waiting writer polls (every 100 ms at most),
                    # and a job starting its next batch at once would win nearly every time.
                    time.sleep(max(SQLITE_PAUSE_SECONDS, (time.monotonic() - started) / 4))
                return
            except DBAPIError as exc:
                self.counts = saved
                if not is_lock_error(exc) or attempt == LOCK_RETRIES - 1:
                    raise
                log.warning("import job %s: batch retried after a lock conflict", self.run_id)


def run_job(kbase: KnowledgeBase, run_id: int, path: Path, actor: str) -> None:
    """Runs after the response, in a worker thread: the whole job, then its run closed with the outcome."""
    progress = Progress(kbase, run_id)
    cancelled = False
    with kbase.session() as session:
        run = session.get(IngestRun, run_id)
        kind, lab_id = (run.kind, run.lab_id) if run is not None else (None, None)
        # Messages name the file as it was uploaded, not as it is stored.
        name = ((run.planned or [{}])[0].get("name") if run is not None else None) or path.name
    try:
        if kind == "lab-scope" and lab_id is not None:
            _scope_job(kbase, progress, lab_id, path, actor, name)
        elif kind in ROW_KINDS:
            _rows_job(kbase, progress, kind, path, actor, name)
        elif kind is not None:
            _whole_file_job(kbase, progress, kind, path, actor)
        progress.counts["phase"] = "done"
    except Cancelled:
        cancelled = True
        progress.counts["phase"] = "cancelled"
    except KBError as exc:  # the file as a whole was refused (header, format, size): one line on the page
        progress.counts.update(phase="failed", message=exc.message)
    except Exception as exc:  # noqa: BLE001 - nobody waits on the request: the page must say it failed
        log.exception("import job %s failed", run_id)
        progress.counts.update(phase="failed", message=f"lỗi ngoài dự kiến: {type(exc).__name__}")
    finally:
        path.unlink(missing_ok=True)
        path.with_suffix(".rows").unlink(missing_ok=True)
        documents.finish_run(kbase, run_id, progress.counts, interrupted=cancelled)
    if lab_id is None and kind is not None:
        _log_catalogue(kbase, run_id, kind, progress.counts, actor)


#: What the audit log (and the curator's upload page) says of a finished catalogue job.
_PHASE_SUMMARY = {"done": "{created} mới, {updated} cập nhật, {error_count} lỗi",
                  "cancelled": "đã dừng theo yêu cầu sau {written} dòng ({created} mới, {updated} cập nhật)",
                  "failed": "thất bại: {message}"}


def _log_catalogue(kbase: KnowledgeBase, run_id: int, kind: str, counts: dict[str, Any], actor: str) -> None:
    with kbase.session() as session:
        run = session.get(IngestRun, run_id)
        name = (run.planned or [{}])[0].get("name", "") if run is not None else ""
        summary = _PHASE_SUMMARY.get(counts.get("phase", ""), "{phase}").format(**{"message": "", **counts})
        audit.record(session, actor=actor, action="import", entity="upload", entity_id=run_id,
                     after={"file": name, "job": run_id, **counts}, summary=f"Nhập {kind} từ {name}: {summary}")


def _batches(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# --- A lab's scope -------------------------------------------------------------------------------------


def _scope_job(kbase: KnowledgeBase, progress: Progress, lab_id: int, path: Path, actor: str, name: str) -> None:
    with kbase.session() as session:
        lab = labs.require_lab(session, lab_id)
        own = lab.accreditation

    def only_this_lab(acc: str) -> None:  # a lab account may not write another lab's scope
        if acc != own:
            raise BadInput(f"dòng ghi số công nhận {acc}, không phải {own}")

    # 1. Read and check every line; the good rows wait in a spool file (a million rows do not fit in memory
    #    as objects). Nothing is written to the scope yet.
    spool = path.with_suffix(".rows")
    _, rows = importers.read_rows(path, "lab-scope", kbase.settings, name)
    good = 0
    with spool.open("w", encoding="utf-8") as out:
        for line, rec in rows:
            progress.counts["read"] += 1
            try:
                _, row = importers.scope_record(rec, only_this_lab)
            except KBError as exc:
                progress.error(line, exc.message)
            else:
                out.write(row.model_dump_json() + "\n")
                good += 1
            progress.tick()
    progress.counts["total"] = good
    if progress.counts["error_count"]:
        progress.counts["applied"] = False
        return
    # 2. Write, batch by batch.
    progress.counts["phase"] = "writing"

    def spooled() -> Iterator[LabScopeCreate]:
        with spool.open(encoding="utf-8") as fh:
            for text in fh:
                yield LabScopeCreate.model_validate_json(text)

    def replace_all(session: Session) -> None:
        progress.add(labs.replace_scope(session, labs.require_lab(session, lab_id), list(spooled()), actor))
        progress.counts["written"] = good

    def replace_part(batch: list[LabScopeCreate]) -> Callable[[Session], None]:
        def work(session: Session) -> None:
            start = progress.counts["written"]
            progress.add(labs.replace_scope_part(session, labs.require_lab(session, lab_id), batch, start, actor))
            progress.counts["written"] = start + len(batch)
        return work

    def drop_rest(session: Session) -> None:  # the old rows past the new end, a batch at a time
        gone = labs.drop_scope_from(session, labs.require_lab(session, lab_id), good, actor, BATCH_ROWS)
        progress.add({"deleted": gone})
        progress.counts["dropped_last"] = gone

    if good <= BATCH_ROWS:  # the usual scope: replaced in one transaction, exactly as before
        progress.batch(replace_all)
    else:
        for batch in _batches(spooled(), BATCH_ROWS):
            progress.batch(replace_part(batch))
        progress.counts["phase"] = "cleaning"
        progress.counts["dropped_last"] = BATCH_ROWS
        while progress.counts.pop("dropped_last"):
            progress.batch(drop_rest)
    progress.counts["applied"] = True
    if any(progress.counts[k] for k in ("created", "updated", "deleted")):
        documents.update_search(kbase, {"lab": {lab_id}})


# --- Curator catalogues ---------------------------------------------------------------------------------


def _rows_job(kbase: KnowledgeBase, progress: Progress, kind: str, path: Path, actor: str, name: str) -> None:
    """Standards, products, labs, mappings: each row through the importer's handler, in batches."""
    _, rows = importers.read_rows(path, kind, kbase.settings, name)
    report = importers.ImportReport(kind=kind, file=path.name)
    progress.counts["phase"] = "writing"
    done_part: dict[str, importers.ImportReport] = {}
    for batch in _batches(rows, BATCH_ROWS):
        def work(session: Session, batch: list[tuple[int, dict[str, Any]]] = batch) -> None:
            part = importers.ImportReport(kind=kind, file=path.name)  # afresh when a batch is tried again
            importers.import_batch(session, kind, batch, actor, part)
            progress.counts["read"] += len(batch)
            for line, message in part.errors:
                progress.error(line, message)
            progress.counts["written"] += len(batch) - len(part.errors)
            progress.add(part.to_json())
            done_part["last"] = part

        progress.batch(work)
        bulk.analyze_grown(kbase.engine)  # as ``kb import`` does after each batch
        for entity, ids in done_part["last"].changed.items():  # committed: the search index is told
            report.changed.setdefault(entity, set()).update(ids)
    _finish_catalogue(kbase, kind, report, actor)


def _finish_catalogue(kbase: KnowledgeBase, kind: str, report: importers.ImportReport, actor: str) -> None:
    """What ``importers.import_file`` does after the rows: group membership, the search index."""
    with kbase.session() as session:
        if kind == "products" and report.changed.get("product"):
            groups.refresh_members(session, actor, product_ids=report.changed["product"])
    documents.update_search(kbase, report.changed)


def _whole_file_job(kbase: KnowledgeBase, progress: Progress, kind: str, path: Path, actor: str) -> None:
    """A curator's scope file (several labs at once): one transaction through the importer, as ``kb import``."""
    progress.counts["phase"] = "writing"
    with kbase.session() as session:
        progress.save(session)
    report = importers.import_file(kbase, kind, path, actor=actor)
    for line, message in report.errors:
        progress.error(line, message)
    progress.add(report.to_json())
    progress.counts["written"] = report.created + report.updated + report.unchanged
    progress.counts["read"] = progress.counts["written"] + len(report.errors)
