"""What the page cache's data version costs a request: counting the tables' rows, and the trusted version.

    .venv/bin/python bench/data_version.py [--products 110000] [--calls 200]
                                           [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

For SQLite (a fresh data directory) and for PostgreSQL (a fresh schema of ``--database-url``, dropped
afterwards; skipped when no server answers), a knowledge base is created and ``--products`` generated
products are written straight into it (one INSERT … SELECT; bench rows, never shipped). Then, medians of
``--calls`` calls each:

- ``fingerprint``: one read of the data version (``kb.fingerprint.fingerprint`` of the page cache's 18 tables),
  what every anonymous GET paid before the page cache trusted a version it read;
- ``cache version``: ``web.cache.PageCache._version`` while this process writes nothing (the trusted version);
- ``after a write``: the same right after a one-row write through this process (read again at once).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import create_engine, text  # noqa: E402

from kb.config import Settings  # noqa: E402
from kb.core import KnowledgeBase  # noqa: E402
from kb.fingerprint import PAGES, fingerprint  # noqa: E402
from web.cache import PageCache  # noqa: E402

GENERATE = ("INSERT INTO product (name, aliases, kind, is_sample, version, created_at, updated_at) "
            "SELECT 'Sản phẩm thử ' || g, '[]', 'other', {false}, 1, {now}, {now} FROM {series}")


def _ms(fn, calls: int) -> float:
    times = []
    for _ in range(calls):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def measure(kbase: KnowledgeBase, products: int, calls: int, postgres: bool) -> dict[str, float]:
    kbase.init()
    series = "generate_series(1, :n) g" if postgres else \
        "(WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < :n) SELECT g FROM s)"
    sql = GENERATE.format(false="false" if postgres else "0", now="now()" if postgres else "CURRENT_TIMESTAMP",
                          series=series)
    with kbase.engine.begin() as conn:
        conn.execute(text(sql), {"n": products})
        conn.execute(text("ANALYZE"))

    def read() -> None:
        with kbase.session() as session:
            fingerprint(session, PAGES)

    cache = PageCache(lambda *a: None, kbase)  # type: ignore[arg-type]
    cache._version()
    out = {"fingerprint": _ms(read, calls), "cache version": _ms(cache._version, calls)}

    def after_write() -> None:
        with kbase.engine.begin() as conn:
            conn.execute(text("UPDATE product SET version = version + 1 WHERE id = 1"))
        t = time.perf_counter()
        cache._version()
        after.append((time.perf_counter() - t) * 1000)

    after: list[float] = []
    for _ in range(max(5, calls // 10)):
        after_write()
    out["after a write"] = statistics.median(after)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--products", type=int, default=110_000)
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = ap.parse_args(argv)
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        kbase = KnowledgeBase(Settings(data_dir=Path(tmp) / "sqlite"))
        try:
            results["SQLite"] = measure(kbase, args.products, args.calls, postgres=False)
        finally:
            kbase.dispose()
        schema = f"kb_bench_version_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.database_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        except Exception as exc:  # noqa: BLE001 - no server: the SQLite figures alone
            print(f"PostgreSQL skipped: {type(exc).__name__}: {str(exc).splitlines()[0]}")
        else:
            sep = "&" if "?" in args.database_url else "?"
            url = f"{args.database_url}{sep}options=-csearch_path%3D{schema}"
            kbase = KnowledgeBase(Settings(data_dir=Path(tmp) / "pg", database_url=url))
            try:
                results["PostgreSQL"] = measure(kbase, args.products, args.calls, postgres=True)
            finally:
                kbase.dispose()
                with admin.connect() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    print(f"data version per request, {args.products} products, medians of {args.calls} calls:")
    for db, r in results.items():
        print(f"  {db}: fingerprint {r['fingerprint']:.2f} ms; cache version {r['cache version'] * 1000:.1f} µs "
              f"while nothing is written; {r['after a write']:.2f} ms right after a write")
    return 0


if __name__ == "__main__":
    sys.exit(main())
