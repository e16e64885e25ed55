"""Risk lists: import time of the four shared lists and look-up latency of ``requirements_on``.

    .venv/bin/python bench/regulatory.py [--runs 5] [--lookups 2000] [--database-url URL]

Each run imports the four lists of ``../shared/regulatory/risk_lists`` (1,795 rows, through
``ingest.importers.import_risk_list``, the path ``kb import risk-list`` takes) into a fresh knowledge base
and reports the median of the runs. The look-ups then ask for made-up products' codes (8-digit codes
from the lists, their 4- and 6-digit headings, codes on no list; one to three codes a product) on dates
before and after the lists' start, first one at a time, then from 16 threads with a session each (the
product page's share of a request at 16 concurrent clients): p50 / p95 in milliseconds. SQLite by default;
``--database-url`` (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``) benchmarks PostgreSQL in
a throw-away schema.
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from ingest.importers import import_risk_list  # noqa: E402
from kb.config import Settings  # noqa: E402
from kb.core import KnowledgeBase  # noqa: E402
from kb.read.regulatory import requirements_on  # noqa: E402

LISTS = ROOT.parent / "shared" / "regulatory" / "risk_lists"
SHARED = {
    "36-2026-tt-bkhcn.csv": ("36/2026/TT-BKHCN", date(2026, 7, 1)),
    "33-2026-tt-bct.csv": ("33/2026/TT-BCT", date(2026, 7, 1)),
    "28-2026-tt-bct.csv": ("28/2026/TT-BCT", date(2026, 7, 17)),
    "49-2026-tt-bxd.csv": ("49/2026/TT-BXD", date(2026, 7, 1)),
}
DATES = [date(2026, 6, 30), date(2026, 7, 1), date(2026, 7, 20), date(2027, 1, 1)]


def _kbase(tmp: Path, url: str | None) -> tuple[KnowledgeBase, str | None]:
    schema = None
    if url:
        schema = f"kbbench_{uuid.uuid4().hex[:10]}"
        with create_engine(url, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    kbase = KnowledgeBase(Settings(data_dir=tmp, database_url=url, secret_key="bench"))
    kbase.init()
    return kbase, schema


def _drop(url: str | None, schema: str | None) -> None:
    if url and schema:
        with create_engine(url, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def import_all(kbase: KnowledgeBase) -> float:
    started = time.perf_counter()
    for name, (code, start) in SHARED.items():
        report = import_risk_list(kbase, LISTS / name, document=code, effective_from=start, actor="bench")
        assert not report.errors, report.errors
    return time.perf_counter() - started


def products(n: int, seed: int = 12) -> list[tuple[list[str], date]]:
    rng = random.Random(seed)
    codes = []
    for name in SHARED:
        with (LISTS / name).open(encoding="utf-8-sig") as fh:
            codes += [r["ma_hs"].replace(".", "") for r in csv.DictReader(fh)]
    pool = [c for c in codes if len(c) == 8] + [c[:6] for c in codes[::7]] + [c[:4] for c in codes[::31]]
    pool += [f"{rng.randrange(1, 98):02d}{rng.randrange(0, 10**6):06d}" for _ in range(len(pool) // 4)]
    return [(rng.sample(pool, rng.choice((1, 1, 2, 3))), rng.choice(DATES)) for _ in range(n)]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p * (len(values) - 1))))]


def lookups(kbase: KnowledgeBase, work: list[tuple[list[str], date]], threads: int) -> list[float]:
    def one(item: tuple[list[str], date]) -> float:
        started = time.perf_counter()
        with kbase.session() as s:
            requirements_on(s, item[0], item[1])
        return (time.perf_counter() - started) * 1000

    if threads == 1:
        return [one(w) for w in work]
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, work))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--lookups", type=int, default=2000)
    ap.add_argument("--database-url")
    args = ap.parse_args()
    if not all((LISTS / n).is_file() for n in SHARED):
        print(f"regulatory: skipped, shared risk lists not found at {LISTS}")
        return
    db = "PostgreSQL" if args.database_url else "SQLite"
    times = []
    kbase = None
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            kb_run, schema = _kbase(Path(tmp) / f"run{run}", args.database_url)
            times.append(import_all(kb_run))
            if run == args.runs - 1:
                kbase, keep = kb_run, schema
            else:
                kb_run.dispose()
                _drop(args.database_url, schema)
        print(f"risk-list import, four shared lists (1,795 rows), {db}: median {statistics.median(times):.2f} s "
              f"(runs: {', '.join(f'{t:.2f}' for t in times)}; goal ≤ 5 s)")
        assert kbase is not None
        work = products(args.lookups)
        lookups(kbase, work[:100], 1)  # warm the connection pool
        for threads in (1, 16):
            started = time.perf_counter()
            ms = lookups(kbase, work, threads)
            rate = len(work) / (time.perf_counter() - started)
            print(f"requirements_on, {db}, {threads:>2} thread(s), {len(work)} products: "
                  f"p50 {pct(ms, 0.5):.1f} ms, p95 {pct(ms, 0.95):.1f} ms, {rate:.0f} look-ups/s")
        kbase.dispose()
        _drop(args.database_url, keep)


if __name__ == "__main__":
    main()
