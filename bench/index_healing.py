"""Index healing: after each kind of damage, how searches answer (status, right answer, latency) until the
index is rebuilt, through the whole app (``/api/search`` in process, page cache included).

    .venv/bin/python bench/index_healing.py [--standards 5000] [--products 20000] [--limit 60]

Damages: segment bytes overwritten, index directory deleted, index path replaced by a file, a generation
stamped for another schema. For each: searches are asked in a loop (a code query and a product word query,
each checked against the answer it must give) until the index answers again; reported are the 5xx count,
wrong answers, the slow path's p50/p95, and seconds from the damage to the rebuilt index. Goal: correct
answers within 10 s of the damage, no 500.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402

from kb import search  # noqa: E402
from kb.config import Settings  # noqa: E402
from kb.core import KnowledgeBase  # noqa: E402
from kb.models import Product  # noqa: E402
from tests.support.index_damage import DAMAGES  # noqa: E402
from web.app import create_app  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_search", ROOT / "bench" / "search.py")
assert _spec and _spec.loader
bench_search = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_search)

WORDS = ["Bánh", "Gạo", "Mật ong", "Nước mắm", "Chè", "Rượu", "Gốm", "Tranh", "Đồ gỗ", "Mì", "Miến", "Tương"]
PLACES = ["Đình Bảng", "Phù Lãng", "Đông Hồ", "Đồng Kỵ", "Từ Sơn", "Thuận Thành", "Quế Võ", "Yên Phong"]


def products(kbase: KnowledgeBase, n: int, seed: int = 3) -> None:
    rnd = random.Random(seed)
    with kbase.session() as s:
        for i in range(n):
            w, p = rnd.choice(WORDS), rnd.choice(PLACES)
            s.add(Product(name=f"{w} {p} số {i}", description=f"{w} làm thủ công tại {p}, Bắc Ninh.",
                          district=p, producer=f"Hộ sản xuất {i}"))
            if i % 2000 == 1999:
                s.flush()
        s.add(Product(name="Bánh phu thê Đình Bảng đặc biệt", description="Bánh cưới truyền thống."))


def right(q: str, body: dict) -> bool:
    hits = body.get("hits") or []
    if q == "tcvn 20001":
        return bool(hits) and hits[0].get("code", "").startswith("TCVN 20001:")
    return any(h["title"] == "Bánh phu thê Đình Bảng đặc biệt" for h in hits[:10])


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--standards", type=int, default=5000)
    ap.add_argument("--products", type=int, default=20000)
    ap.add_argument("--limit", type=float, default=60.0, help="seconds to wait for a rebuild per damage")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        kbase = KnowledgeBase(Settings(data_dir=Path(tmp) / "var", secret_key="bench"))
        kbase.init()
        bench_search.generate(kbase, args.standards)
        products(kbase, args.products)
        stats = search.reindex(kbase)
        print(f"{stats['standard']} standards, {stats['product']} products; full index build {stats['seconds']:.1f} s")
        root = Path(kbase.settings.index_dir)
        client = TestClient(create_app(kbase=kbase))
        queries = ["tcvn 20001", "banh phu the dinh bang"]
        for q in queries:
            body = client.get("/api/search", params={"q": q}).json()
            assert right(q, body) and not body["degraded"], (q, body["hits"][:2])
        for name, damage in DAMAGES.items():
            damage(root)
            t0 = time.perf_counter()
            errors = wrong = asked = 0
            slow: list[float] = []
            healed = None
            i = 0
            while time.perf_counter() - t0 < args.limit:
                q = queries[i % 2]
                i += 1
                t = time.perf_counter()
                r = client.get("/api/search", params={"q": q, "n": i})  # a new address: never the page cache
                ms = (time.perf_counter() - t) * 1000
                asked += 1
                if r.status_code >= 500:
                    errors += 1
                    continue
                body = r.json()
                wrong += not right(q, body)
                if body["degraded"]:
                    slow.append(ms)
                elif healed is None and search.rebuilding(kbase) is None and slow:
                    healed = time.perf_counter() - t0
                    break
            print(f"{name}: {asked} searches, {errors} 5xx, {wrong} wrong; slow path {len(slow)} answers "
                  f"p50 {pct(slow, 50):.0f} ms p95 {pct(slow, 95):.0f} ms; index answering again after "
                  f"{healed:.1f} s" if healed is not None else f"{name}: not rebuilt within {args.limit:.0f} s "
                  f"({asked} searches, {errors} 5xx, {wrong} wrong)")
            if slow:
                print(f"    slow path median {statistics.median(slow):.0f} ms")
        kbase.dispose()


if __name__ == "__main__":
    main()
