"""Searches while a bulk import writes 100,000 products: p50/p95/max over HTTP, errors, and how soon after the
import the index has caught up.

    .venv/bin/python bench/search_during_import.py [--rows 100000] [--rate 2000] [--workers 1] [--runs 3]

A knowledge base of the demo data and 10,000 generated products (``bench/search_memory.py``'s generator) is
built and indexed once, then copied afresh for each run. A real ``uvicorn`` serves the copy; another process
writes ``--rows`` products in batches of 2,000 rows, a commit each, at ``--rate`` rows a second (the import
goal's pace; the importer itself is measured by ``bench/ingest.py``), straight into the database as a bulk
import does. Meanwhile ``wrk`` drives 16 connections of never-seen queries. The server's index catches up in
the background (its searches never wait for it). Goal: p95 ≤ 200 ms, no request over 2 s, no error.

``--writer kb-import`` runs the command itself instead, ``kb import products FILE`` of ``--rows`` generated rows
(``bench/bulk_import.py``'s), as fast as it goes: its batches, and the index it builds beside them in two
processes of lower priority, share the machine with the server (slowed down by the load, it needs a longer
``--load-seconds`` to be loaded all along).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.search_memory import Sampler, build_world, start_server, wrk  # noqa: E402

WRITER = """
import sys, time
from pathlib import Path
sys.path.insert(0, {repo!r})
from bench.search_memory import insert_products
from kb.config import Settings
from kb.core import KnowledgeBase
kbase = KnowledgeBase(Settings(data_dir=Path({data_dir!r})))
rows, rate, start, batch = {rows}, {rate}, {start}, 2000
t0 = time.perf_counter()
for b in range(start, start + rows, batch):
    insert_products(kbase, min(batch, start + rows - b), b, batch=batch)
    ahead = (b + batch - start) / rate - (time.perf_counter() - t0)
    if ahead > 0:
        time.sleep(ahead)  # an import's pace, not synchronisation
print(f"wrote {{rows}} rows in {{time.perf_counter() - t0:.1f}} s", flush=True)
"""


def _import_file(folder: Path, rows: int) -> tuple[Path, str]:
    """A products file of ``rows`` rows whose last product's name has a word of its own; and that word."""
    from bench.bulk_import import PRODUCT_HEADER, product_rows, write_csv

    last = f"kbbenchcuoi{rows}"
    table = product_rows(rows)
    table[-1][0] = f"Sản phẩm {last}"
    return write_csv(folder / "products.csv", PRODUCT_HEADER, table), last


def _writer(kind: str, data_dir: Path, rows: int, rate: float, folder: Path) -> tuple[subprocess.Popen, str]:
    """The process that writes the rows, and a query that finds the last of them once it is indexed."""
    if kind == "kb-import":
        path, last = _import_file(folder, rows)
        env = {**os.environ, "KB_DATA_DIR": str(data_dir)}
        env.pop("KB_DATABASE_URL", None)
        cmd = [str(Path(sys.executable).with_name("kb")), "import", "products", str(path)]
        return subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True), last
    code = WRITER.format(repo=str(REPO), data_dir=str(data_dir), rows=rows, rate=rate, start=10_000_000)
    writer = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    return writer, str(10_000_000 + rows - 1)  # in its producer's name: a near match (not in the title)


def one_run(base: Path, rows: int, rate: float, workers: int, clients: int, seed: int, wait: float = 900,
            writer_kind: str = "direct", load_s: float | None = None) -> dict:
    with tempfile.TemporaryDirectory(prefix="kb-bench-import-") as tmp:
        data_dir = Path(tmp) / "var"
        shutil.copytree(base, data_dir)
        proc, url, out = start_server(data_dir, workers)
        try:
            sampler = Sampler(proc.pid)
            sampler.start()
            writer, last = _writer(writer_kind, data_dir, rows, rate, Path(tmp))
            t0 = time.monotonic()
            res: dict = {}
            load = threading.Thread(target=lambda: res.update(wrk(url, load_s or rows / rate + 5, clients, seed)))
            load.start()
            written = writer.communicate()[0].strip()
            import_s = time.monotonic() - t0
            if writer.returncode != 0:
                raise SystemExit(f"the writer failed ({writer.returncode}): {written[-2000:]}")
            if writer_kind == "kb-import":
                written = f"kb import of {rows} rows in {import_s:.1f} s"
            load.join()
            # the last row written is searchable: the index has caught up
            caught = None
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                r = httpx.get(url + "/api/search", params={"q": last, "limit": 1}, timeout=60)
                body = r.json() if r.status_code == 200 else {}
                if (body.get("total") or body.get("near_total")) and not body.get("degraded"):
                    caught = time.monotonic() - t0 - import_s
                    break
                time.sleep(1)  # polling the server for the catch-up, with a deadline
            sampler.stop.set()
            sampler.join()
            res.update(import_s=import_s, caught_up_s=caught if caught is not None else float("nan"),
                       peak_mb=max(sampler.samples) / 2**20, written=written)
            return res
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--rate", type=float, default=2000, help="rows written per second")
    ap.add_argument("--workers", type=int, nargs="+", default=[1])
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--wait", type=float, default=900, help="seconds to wait for the index to catch up afterwards")
    ap.add_argument("--writer", choices=("direct", "kb-import"), default="direct",
                    help="rows written at --rate straight into the database, or by the kb import command")
    ap.add_argument("--load-seconds", type=float, default=None,
                    help="how long wrk loads the server (default: the writer's time at --rate, plus 5 s); an import "
                         "through kb import that the load slows down needs longer")
    args = ap.parse_args(argv)
    base = Path(tempfile.gettempdir()) / "kb-bench-search-memory-10000"
    build_world(base, 10_000)
    for workers in args.workers:
        runs = [one_run(base, args.rows, args.rate, workers, args.clients, seed, args.wait, args.writer,
                        args.load_seconds) for seed in range(args.runs)]
        for r in runs:
            print(f"  run: {r['written']}; search p50 {r['p50']:.0f} ms, p95 {r['p95']:.0f} ms, max {r['max']:.0f} ms, "
                  f"{r['n']:.0f} requests, {r['errors'] + r['non2xx']:.0f} errors; index caught up "
                  f"{r['caught_up_s']:.0f} s after the import; peak RSS {r['peak_mb']:.0f} MB", flush=True)
        med = {k: statistics.median(r[k] for r in runs) for k in ("p50", "p95", "max", "caught_up_s", "peak_mb")}
        worst = max(r["max"] for r in runs)
        errors = sum(r["errors"] + r["non2xx"] for r in runs)
        ok = med["p95"] <= 200 and worst <= 2000 and errors == 0
        print(f"{workers} worker(s), {args.rows} rows at {args.rate:.0f}/s, {args.clients} clients (median of "
              f"{args.runs}): search p50 {med['p50']:.0f} ms, p95 {med['p95']:.0f} ms, max {worst:.0f} ms, {errors} "
              f"errors; index caught up {med['caught_up_s']:.0f} s after the import; goal p95 ≤ 200 ms, none over "
              f"2 s, no error: {'met' if ok else 'NOT met'}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
