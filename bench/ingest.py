"""Ingest speed against bare pypdfium2 text extraction of the same PDFs, in one run.

    .venv/bin/python bench/ingest.py [PDF_FOLDER] [--workers N]

PDF_FOLDER defaults to ``../shared/corpus/pdf`` next to the repository. The ingest goes into a fresh
temporary data dir (database, index, stored files). Printed: pages/s of both, their time ratio (goal:
ingest ≤ 3× bare extraction), the ingest's phases, and peak memory of this process and of the
largest worker (``RUSAGE_CHILDREN``: worker processes are per file, so it does not grow with the batch).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import pypdfium2 as pdfium  # noqa: E402

import ingest.pipeline as pipeline  # noqa: E402
from kb.config import Settings  # noqa: E402
from kb.core import KnowledgeBase  # noqa: E402


def _maxrss_mb(who: int) -> float:
    # Linux reports kilobytes (macOS bytes; this bench is for the Linux dev box).
    return resource.getrusage(who).ru_maxrss / 1024


def bare_extraction(files: list[Path]) -> tuple[int, float]:
    """Text of every page with pypdfium2 and nothing else, one process: the floor for any ingest."""
    pages = 0
    started = time.perf_counter()
    for f in files:
        try:
            doc = pdfium.PdfDocument(str(f))
        except pdfium.PdfiumError:
            continue
        try:
            for i in range(len(doc)):
                page = doc[i]
                textpage = page.get_textpage()
                textpage.get_text_range()
                textpage.close()
                page.close()
                pages += 1
        finally:
            doc.close()
    return pages, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default=str(REPO.parent / "shared" / "corpus" / "pdf"))
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: one per CPU)")
    args = parser.parse_args(argv)
    folder = Path(args.folder)
    if not folder.is_dir():
        print(f"bench/ingest.py: không thấy thư mục PDF {folder}", file=sys.stderr)
        return 2
    files = [p for p, problem in pipeline.expand_paths([folder]) if problem is None]
    size_mb = sum(f.stat().st_size for f in files) / 1048576
    for f in files:  # same page-cache state for both measurements
        f.read_bytes()

    # Phase timings: storing and the search update run in this process, parsing in the workers.
    phases: Counter[str] = Counter()

    def timed(name, fn):
        def wrapper(*a, **kw):
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                phases[name] += time.perf_counter() - t
        return wrapper

    pipeline._store = timed("store (parent, DB)", pipeline._store)
    pipeline._update_search = timed("search index update", pipeline._update_search)

    with tempfile.TemporaryDirectory(prefix="kb-bench-") as tmp:
        kbase = KnowledgeBase(Settings(data_dir=Path(tmp) / "var", database_url=None))
        kbase.init()
        workers = args.workers or kbase.settings.ingest_workers or None
        started = time.perf_counter()
        results = pipeline.ingest_paths(kbase, [folder], workers=workers)
        ingest_s = time.perf_counter() - started
        kbase.dispose()
    parent_mb = _maxrss_mb(resource.RUSAGE_SELF)
    worker_mb = _maxrss_mb(resource.RUSAGE_CHILDREN)

    statuses = Counter(r["status"] for r in results)
    ingest_pages = sum(r["pages"] or 0 for r in results)
    bare_pages, bare_s = bare_extraction(files)

    import os

    print(f"files: {len(files)} ({size_mb:.1f} MB), statuses: {dict(statuses)}")
    print(f"CPUs: {os.cpu_count()}, workers: {workers or os.cpu_count()}")
    print(f"bare pypdfium2 text : {bare_pages:5d} pages in {bare_s:6.2f} s = {bare_pages / bare_s:7.1f} pages/s (1 process)")
    print(f"kb ingest           : {ingest_pages:5d} pages in {ingest_s:6.2f} s = {ingest_pages / ingest_s:7.1f} pages/s")
    for name, secs in phases.items():
        print(f"  of which {name:<22}: {secs:6.2f} s")
    ratio = ingest_s / bare_s if bare_s else float("inf")
    print(f"ratio ingest / bare : {ratio:.2f}× (goal ≤ 3×) {'OK' if ratio <= 3 else 'OVER'}")
    print(f"peak memory         : parent {parent_mb:.0f} MB, largest worker {worker_mb:.0f} MB")
    failed = [r for r in results if r["status"] == "failed"]
    for r in failed:
        print(f"  failed: {Path(r['file']).name}: {r['error']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
