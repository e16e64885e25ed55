"""Ingest a batch of PDFs: read and extract in worker processes, store in the parent, one file at a time.

Why this shape:

- Each file is read in its own sandboxed worker process (``ingest.workers``), which returns a typed
  ``IngestResult`` (``kb.records``); reading one file is ``ingest.dispatch.process_file``.
- Only the parent writes the database, through ``kb.documents``, one transaction per file, so killing
  the batch loses nothing already reported and never leaves half a record. The next run skips every
  file already stored (by SHA-256, checked before any parsing).
- The search index is told once per batch: a whoosh commit per file would cost more than the parsing.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ingest import diacritics
from ingest import ocr as ocr_mod
from ingest.workers import Job, build_may_fork, one_line, run_pool
from kb import documents
from kb.core import KnowledgeBase
from kb.errors import IngestError
from kb.models import IngestStatus
from kb.records import IngestResult

# --- Finding the files ----------------------------------------------------------------------------


def expand_paths(paths: Iterable[Path | str]) -> list[tuple[Path, str | None]]:
    """Files to ingest, folders walked recursively for ``*.pdf`` in any letter case.

    Returns ``(path, problem)``; a path that does not exist comes back with its problem instead of
    stopping the batch.
    """
    out: list[tuple[Path, str | None]] = []
    seen: set[Path] = set()
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = []
            for root, dirs, files in os.walk(p):  # symlinked folders are not followed (no loops)
                dirs.sort()
                found.extend(Path(root) / f for f in files if f.lower().endswith(".pdf"))
            items = [(f, None) for f in sorted(found)]
        elif p.exists():
            items = [(p, None)]
        else:
            items = [(p, "không tìm thấy tệp hoặc thư mục")]
        for f, problem in items:
            key = f.resolve() if problem is None else f
            if key not in seen:
                seen.add(key)
                out.append((f, problem))
    return out


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def ingest_paths(kbase: KnowledgeBase, paths: list[Path], *, ocr: bool = False, actor: str = "cli",
                 progress: Callable[[dict], None] | None = None, workers: int | None = None,
                 run_id: int | None = None, names: dict[str, str] | None = None) -> list[dict]:
    """Ingest files and folders; one result dict per PDF (keys ``kb.records.OUTPUT_FIELDS``), in input order.

    ``run_id``: a run opened already (``documents.start_run`` by an upload, ``start_rerun``), else one is
    opened here. ``names``: what to call a file on the run page when its path is not its name (an upload
    is stored under its hash).
    """
    settings = kbase.settings
    files = expand_paths(paths)
    results: list[dict[str, Any] | None] = [None] * len(files)
    counts = {s.value: 0 for s in IngestStatus}
    counts["pages"] = 0
    plan = [(str(p), (names or {}).get(str(p)) or p.name) for p, _ in files]
    if run_id is None:
        run_id = documents.start_run(kbase, actor, plan, ocr=ocr)
    else:
        documents.plan_run(kbase, run_id, plan)
        documents.beat(kbase, run_id, reading=[])
    rid: int = run_id  # for the closures below
    shown = dict(plan)

    def finish(index: int, result: IngestResult) -> None:
        out = result.to_json()
        results[index] = out
        counts[out["status"]] = counts.get(out["status"], 0) + 1
        counts["pages"] += out.get("pages") or 0
        if progress:
            progress(out)

    def fail(index: int, path: Path, sha: str | None, message: str, seconds: float = 0.0) -> None:
        documents.record_failure(kbase, rid, path, sha, message, seconds)
        finish(index, IngestResult(path=path, status="failed", error=message))

    batch_changes: dict[str, set[int]] = {}
    by_sha: dict[str, int] = {}
    max_bytes = settings.max_file_mb * 1024 * 1024

    def jobs() -> Iterable[Job]:
        """Files that need reading; the others (missing, too big, unchanged) are settled on the way.

        Biggest first, so the batch does not end waiting on one large file while the other workers idle.
        """
        for index in sorted(range(len(files)), key=lambda i: -_size(files[i][0])):
            path, problem = files[index]
            if problem:
                fail(index, path, None, problem)
                continue
            try:
                size = path.stat().st_size
                if size > max_bytes:
                    raise IngestError(f"tệp quá lớn ({size / 1048576:.1f} MB > {settings.max_file_mb} MB)")
                sha = sha256_of(path)
            except IngestError as exc:
                fail(index, path, None, exc.message)
                continue
            except OSError as exc:
                fail(index, path, None, f"không đọc được tệp: {exc.strerror or exc}")
                continue
            if sha in by_sha:  # the same content twice in one batch
                first = shown.get(str(files[by_sha[sha]][0]), "")
                documents.record_failure(kbase, rid, path, sha, f"cùng nội dung với {first} trong lượt này",
                                         status=IngestStatus.unchanged)
                finish(index, IngestResult(path=path, status="unchanged"))
                continue
            by_sha[sha] = index
            stored, reuse_id = documents.already_stored(kbase, rid, path, sha, ocr=ocr)
            if stored is not None:
                if stored.status == "needs_ocr":
                    stored.error = ocr_mod.needs_ocr_message()
                finish(index, stored)
                continue
            yield Job(index=index, path=path, sha256=sha, reuse_document_id=reuse_id)

    n = workers or settings.ingest_workers or os.cpu_count() or 1
    interrupted = cut_short = False
    try:
        def handle(job: Job, outcome: IngestResult | str) -> None:
            seconds = round(time.monotonic() - job.started, 3)
            if isinstance(outcome, str):
                fail(job.index, job.path, job.sha256, outcome, seconds)
                return
            outcome.sha256 = job.sha256
            try:
                changed = documents.store_ingested(kbase, outcome, run_id=rid, actor=actor,
                                                   reuse_document_id=job.reuse_document_id, seconds=seconds)
            except Exception as exc:  # noqa: BLE001 - rolled back; the batch goes on
                fail(job.index, job.path, job.sha256, f"lỗi khi lưu: {one_line(exc)}", seconds)
                return
            for k, v in changed.items():
                batch_changes.setdefault(k, set()).update(v)
            finish(job.index, outcome)

        # OCR'd text gets its marks repaired against the knowledge base's words (read here: workers have no DB).
        vocabulary = diacritics.kb_vocabulary(kbase) if ocr else None
        run_pool(jobs(), max(1, n), float(settings.ingest_timeout), ocr, handle, vocabulary=vocabulary,
                 started=lambda running: documents.beat(kbase, rid, reading=[str(j.path) for j in running]),
                 tick=lambda: documents.beat(kbase, rid), tick_seconds=documents.HEARTBEAT_SECONDS)
    except BaseException as exc:
        interrupted = not isinstance(exc, Exception)  # Ctrl-C: stop now, the index catches up later
        cut_short = True  # the files not reached are listed as unfinished, for a re-run
        raise
    finally:
        if not interrupted:
            documents.beat(kbase, rid, reading=[])
            # ``procs``: a first index build may fork as the parse workers did; they are done by now.
            documents.update_search(kbase, batch_changes, procs=max(1, n) if build_may_fork() else 1)
        documents.finish_run(kbase, rid, counts, interrupted=cut_short)
    return [r for r in results if r is not None]
