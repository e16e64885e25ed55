"""The suggestion queue with thousands of suggestions: median time to serve each view of /curate/suggestions.

    .venv/bin/python bench/suggestion_queue.py [--suggestions 5000] [--runs 15] [--postgres postgresql+psycopg://…/test]

A fresh knowledge base (SQLite in a temporary dir; PostgreSQL in a fresh schema when ``--postgres`` is given)
gets 1,000 test products, 500 test standards and ``--suggestions`` suggestions (one standard suggested for 15
products, as the issue saw, the rest spread), then a signed-in curator asks each view ``--runs`` times in
process (FastAPI's test client: routing, queries and the template, no network). Prints the median and the max.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from kb import codes, standards, users  # noqa: E402
from kb.config import Settings  # noqa: E402
from kb.core import KnowledgeBase  # noqa: E402
from kb.models import Mapping, MappingSource, MappingStatus, MappingType, Product, Role, Standard  # noqa: E402
from web.app import create_app  # noqa: E402

PASSWORD = "mat-khau-rat-dai-1"
VIEWS = {
    "queue, page 1": "/curate/suggestions",
    "queue, page 50": "/curate/suggestions?page=50",
    "grouped by standard": "/curate/suggestions?by=standard",
    "grouped by product": "/curate/suggestions?by=product",
    "one standard (15)": "/curate/suggestions?standard=TCVN+4884-1",
    "product name typed": "/curate/suggestions?product=san+pham+thu+12",
    "min score + type": "/curate/suggestions?min_score=0.8&type=test_method",
    "confirm 500 (select all)": "/curate/suggestions/confirm?status=approved&scope=all",
    "api list, 100": "/api/mappings?status=suggested",
}


def fill(kbase: KnowledgeBase, n: int) -> None:
    rnd = random.Random(13)
    with kbase.session() as s:
        stds = []
        for i in range(500):
            code = "TCVN 4884-1:2015" if i == 0 else f"TCVN {30000 + i}:2020"
            stds.append(Standard(**standards.identity_fields(codes.parse(code)), title_vi=f"Tiêu chuẩn thử {i}"))
        prods = [Product(name=f"Sản phẩm thử {i:04d}", producer="Cơ sở thử") for i in range(1000)]
        s.add_all(stds + prods)
        s.flush()
        pairs = {(prods[i].id, stds[0].id) for i in range(15)}
        while len(pairs) < n:
            pairs.add((rnd.choice(prods).id, rnd.choice(stds[1:]).id))
        s.add_all(Mapping(product_id=p, standard_id=st, type=rnd.choice(list(MappingType)), source=MappingSource.auto,
                          status=MappingStatus.suggested, score=round(rnd.uniform(0.3, 1.0), 2),
                          reasons=["phạm vi của tiêu chuẩn nêu sản phẩm", "từ khóa trùng tên sản phẩm"])
                  for p, st in pairs)
        users.add_user(s, "curator", PASSWORD, Role.curator)


def measure(kbase: KnowledgeBase, runs: int, views: dict[str, str] = VIEWS) -> dict[str, tuple[float, float]]:
    out = {}
    with TestClient(create_app(kbase=kbase)) as c:
        assert c.post("/api/auth/login", json={"username": "curator", "password": PASSWORD}).status_code == 200
        for name, url in views.items():
            times = []
            for _ in range(runs + 1):
                t = time.perf_counter()
                r = c.get(url)
                times.append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200, (url, r.status_code, r.text[:300])
            out[name] = (statistics.median(times[1:]), max(times[1:]))  # the first request warms the templates
    return out


def run(fill_kb, n: int, runs: int, postgres: str | None, what: str, views: dict[str, str]) -> None:
    """Fill a fresh SQLite knowledge base (and a fresh PostgreSQL schema when ``postgres`` is given) with
    ``fill_kb(kbase, n)``, then print the median and max time of each view."""
    with tempfile.TemporaryDirectory() as tmp:
        targets = [("SQLite", Settings(data_dir=Path(tmp) / "var", database_url=None, secret_key="bench"), None)]
        if postgres:
            schema = f"kbbench_{uuid.uuid4().hex[:10]}"
            admin = create_engine(postgres, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            sep = "&" if "?" in postgres else "?"
            url = f"{postgres}{sep}options=-csearch_path%3D{schema}"
            targets.append(("PostgreSQL", Settings(data_dir=Path(tmp) / "pg", database_url=url, secret_key="bench"),
                            (admin, schema)))
        for label, settings, cleanup in targets:
            kbase = KnowledgeBase(settings)
            kbase.init()
            try:
                fill_kb(kbase, n)
                print(f"\n{label}: {n} {what}, median / max of {runs} requests (ms)")
                for name, (median, worst) in measure(kbase, runs, views).items():
                    print(f"  {name:28s} {median:7.1f} {worst:7.1f}")
            finally:
                kbase.dispose()
                if cleanup:
                    admin, schema = cleanup
                    with admin.connect() as conn:
                        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                    admin.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--suggestions", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--postgres", default=None)
    args = ap.parse_args()
    run(fill, args.suggestions, args.runs, args.postgres, "suggestions", VIEWS)


if __name__ == "__main__":
    main()
