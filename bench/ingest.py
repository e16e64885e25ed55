"""Ingest speed against bare pypdfium2 text extraction of the same PDFs, in one run.

    .venv/bin/python bench/ingest.py [PDF_FOLDER] [--workers N] [--repeat N]

PDF_FOLDER defaults to ``../shared/corpus/pdf`` next to the repository. Each ingest goes into a fresh
temporary data dir (database, index, stored files). Printed: pages/s of both, their time ratio (goal:
ingest ≤ 3× bare extraction), the ingest's phases, CPU seconds (steadier than wall time on a busy
machine), and peak memory of this process and of the largest worker (``RUSAGE_CHILDREN``: workers
are per file, so it does not grow with the batch). With ``--repeat`` the best run of each counts.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import pypdfium2 as pdfium  # noqa: E402

import ingest.pipeline as pipeline  # noqa: E402
from kb import documents  # noqa: E402
from kb.config import Settings  # noqa: E402
from kb.core import KnowledgeBase  # noqa: E402


def _maxrss_mb(who: int) -> float:
    # Linux reports kilobytes (macOS bytes; this bench is for the Linux dev box).
    return resource.getrusage(who).ru_maxrss / 1024


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def bare_extraction(files: list[Path]) -> tuple[int, float, float]:
    """Text of every page with pypdfium2 and nothing else, one process: the floor for any ingest."""
    pages = 0
    cpu0, started = _cpu(), time.perf_counter()
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
    return pages, time.perf_counter() - started, _cpu() - cpu0


def one_ingest(folder: Path, workers: int | None, phases: Counter) -> tuple[list[dict], float, float]:
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as tmp:
        kbase = KnowledgeBase(Settings(data_dir=Path(tmp) / "var", database_url=None))
        kbase.init()
        cpu0, started = _cpu(), time.perf_counter()
        results = pipeline.ingest_paths(kbase, [folder], workers=workers)
        wall, cpu = time.perf_counter() - started, _cpu() - cpu0
        kbase.dispose()
    return results, wall, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default=str(REPO.parent / "shared" / "corpus" / "pdf"))
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: one per CPU)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement; the best counts")
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

    documents.store_ingested = timed("store (parent, DB)", documents.store_ingested)
    documents.update_search = timed("search index update", documents.update_search)

    runs = []
    bare = []
    for _ in range(max(1, args.repeat)):  # interleaved, so load spikes hit both
        phases.clear()
        results, wall, cpu = one_ingest(folder, args.workers, phases)
        runs.append((wall, cpu, dict(phases), results))
        bare.append(bare_extraction(files))
    parent_mb = _maxrss_mb(resource.RUSAGE_SELF)
    worker_mb = _maxrss_mb(resource.RUSAGE_CHILDREN)

    wall, cpu, best_phases, results = min(runs, key=lambda r: r[0])
    bare_pages, bare_s, bare_cpu = min(bare, key=lambda b: b[1])
    statuses = Counter(r["status"] for r in results)
    pages = sum(r["pages"] or 0 for r in results)
    workers = args.workers or int(os.environ.get("KB_INGEST_WORKERS", "0") or 0) or os.cpu_count()

    print(f"files: {len(files)} ({size_mb:.1f} MB), statuses: {dict(statuses)}")
    print(f"CPUs: {os.cpu_count()}, workers: {workers}, load average: {os.getloadavg()[0]:.1f}, "
          f"best of {len(runs)} (median ingest {statistics.median(r[0] for r in runs):.2f} s)")
    print(f"bare pypdfium2 text : {bare_pages:5d} pages in {bare_s:6.2f} s = {bare_pages / bare_s:7.1f} pages/s "
          f"(1 process, CPU {bare_cpu:.2f} s)")
    print(f"kb ingest           : {pages:5d} pages in {wall:6.2f} s = {pages / wall:7.1f} pages/s "
          f"(CPU {cpu:.2f} s in all processes)")
    for name, secs in best_phases.items():
        print(f"  of which {name:<22}: {secs:6.2f} s")
    ratio = wall / bare_s
    print(f"ratio ingest / bare : {ratio:.2f}× wall (goal ≤ 3×) {'OK' if ratio <= 3 else 'OVER'}, "
          f"{cpu / bare_cpu:.2f}× CPU")
    index_s = best_phases.get("search index update", 0.0)
    if index_s:
        print(f"  without the search index update: {wall - index_s:.2f} s = {(wall - index_s) / bare_s:.2f}× bare")
    print(f"peak memory         : parent {parent_mb:.0f} MB, largest worker {worker_mb:.0f} MB")
    for r in results:
        if r["status"] == "failed":
            print(f"  failed: {Path(r['file']).name}: {r['error']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
