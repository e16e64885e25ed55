"""Search speed: index build time and in-process p50/p95 over mixed queries, optionally HTTP under load.

    .venv/bin/python bench/search.py [--records 20000] [--queries 400] [--corpus] [--http http://127.0.0.1:8000]

The knowledge base is built in a temporary directory: the demo data (``ingest.demo.load_demo``), optionally
the shared corpus PDFs (``--corpus``, through ``ingest.pipeline`` when present), and N generated standard
records with realistic Vietnamese/English titles and scopes. ``--http`` measures ``GET /api/search`` with
16 concurrent clients against a running ``kb serve`` (loaded with whatever data that server has).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kb import codes, search  # noqa: E402
from kb.config import Settings  # noqa: E402
from kb.core import KnowledgeBase  # noqa: E402
from kb.models import Standard, StandardRelation, StandardStatus  # noqa: E402

SUBJECTS = [
    ("Bê tông", "Concrete"), ("Hỗn hợp bê tông", "Fresh concrete"), ("Vữa xây dựng", "Mortar"),
    ("Cốt liệu cho bê tông và vữa", "Aggregates"), ("Xi măng", "Cement"), ("Thép cốt bê tông", "Reinforcing steel"),
    ("Gạch đất sét nung", "Clay bricks"), ("Đất xây dựng", "Soils"), ("Nhựa đường", "Bitumen"),
    ("Sơn và vecni", "Paints and varnishes"), ("Gỗ", "Timber"), ("Kính xây dựng", "Glass"),
    ("Thực phẩm", "Foodstuffs"), ("Nước mắm", "Fish sauce"), ("Gạo", "Rice"), ("Chè", "Tea"),
    ("Cà phê", "Coffee"), ("Mật ong", "Honey"), ("Rau quả", "Fruits and vegetables"), ("Thịt và sản phẩm thịt", "Meat"),
    ("Sữa và sản phẩm sữa", "Milk products"), ("Đồ uống", "Beverages"), ("Thức ăn chăn nuôi", "Animal feed"),
    ("Phân bón", "Fertilizers"), ("Nước", "Water"), ("Không khí", "Air"), ("Chất lượng đất", "Soil quality"),
    ("Vi sinh vật trong chuỗi thực phẩm", "Microbiology of the food chain"), ("Ống nhựa", "Plastic pipes"),
    ("Dây điện", "Electric cables"), ("Thiết bị điện", "Electrical equipment"), ("Máy nông nghiệp", "Agricultural machinery"),
]
ASPECTS = [
    ("Phương pháp xác định độ ẩm", "Determination of moisture content"),
    ("Phương pháp xác định hàm lượng tro", "Determination of ash"),
    ("Phương pháp xác định cường độ chịu nén", "Test method for compressive strength"),
    ("Phương pháp xác định khối lượng riêng", "Determination of density"),
    ("Xác định hàm lượng chì bằng quang phổ hấp thụ nguyên tử", "Determination of lead by AAS"),
    ("Xác định hàm lượng cadimi", "Determination of cadmium"),
    ("Định lượng coliform", "Enumeration of coliforms"),
    ("Yêu cầu kỹ thuật", "Specifications"), ("Lấy mẫu", "Sampling"), ("Thuật ngữ và định nghĩa", "Vocabulary"),
    ("Ghi nhãn", "Labelling"), ("Bao gói, vận chuyển và bảo quản", "Packaging, transport and storage"),
    ("Xác định độ bền uốn", "Determination of flexural strength"), ("Xác định độ pH", "Determination of pH"),
    ("Xác định hàm lượng nitơ tổng số", "Determination of total nitrogen"), ("Thi công và nghiệm thu", "Construction and acceptance"),
]
QUERIES = [
    # codes in many spellings, replaced codes, equivalents
    "tcvn3118", "3118-2022", "TCVN 3118 : 2022", "qcvn 8 1 2011", "ISO 1461", "TCVN 3118:1993", "TCVN 5107:2003",
    "tcvn 7087", "iso 4833-1", "QCVN 16", "TCVN 20123", "tcvn 21500:2015",
    # unaccented / accented / typos / English / products
    "cuong do chiu nen be tong", "bê tông", "mắm", "nuoc mam", "xac dinh ham luong chi", "vi sinh vật thực phẩm",
    "ma kem nhung nong", "ghi nhan thuc pham bao goi san", "xi mang pooc lang", "do am", "thep cot be tong",
    "cuong do chiu nne", "xi mnag", "be tnog", "compressive strength", "determination of lead", "fish sauce",
    "hot dip galvanized", "my gao", "rượu nếp", "vải thiều lục ngạn", "VILAS 1074", "phòng thí nghiệm",
    "kiểm nghiệm thực phẩm", "a", "phương pháp", "yêu cầu kỹ thuật",
]


def generate(kbase: KnowledgeBase, n: int, seed: int = 1) -> float:
    """N generated standards (some replaced by a newer edition, some adopting an ISO code)."""
    rnd = random.Random(seed)
    t0 = time.perf_counter()
    with kbase.session() as s:
        for i in range(n):
            (sv, se), (av, ae) = rnd.choice(SUBJECTS), rnd.choice(ASPECTS)
            year = rnd.choice([1993, 2005, 2008, 2012, 2015, 2018, 2020, 2022, 2024])
            d = codes.parse(f"TCVN {20000 + i}:{year}")
            status = rnd.choice([StandardStatus.in_force] * 5 + [StandardStatus.replaced, StandardStatus.unknown])
            s.add(Standard(
                code=d.format(), code_key=d.key, series_key=d.series_key, doc_type="TCVN", number=d.number,
                year=year, title_vi=f"{sv} - {av}", title_en=f"{se} - {ae}", status=status,
                ics=rnd.choice(["91.100.30", "67.050", "13.060", "65.080", None]),
                scope=f"Tiêu chuẩn này quy định {av.lower()} đối với {sv.lower()}.", provenance={}, extra={},
            ))
            if i % 7 == 0:
                s.add(StandardRelation(from_code=d.format(), from_key=d.key, relation="replaces",
                                       to_code=f"TCVN {20000 + i}:1985", to_key=f"tcvn{20000 + i}:1985"))
            if i % 11 == 0:
                iso = codes.parse(f"ISO {30000 + i}:{year}")
                s.add(StandardRelation(from_code=d.format(), from_key=d.key, relation="equivalent",
                                       to_code=iso.format(), to_key=iso.key, qualifier="IDT"))
            if i % 2000 == 1999:
                s.flush()
    return time.perf_counter() - t0


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def in_process(kbase: KnowledgeBase, queries: list[str], rounds: int) -> dict:
    search.RESULT_MEMO = 0  # measure the engine, not the memo of repeated questions
    search.search(kbase, "warm up")  # opens the searcher
    cold = []
    for q in queries:  # first time each: term bitsets and lengths are read from the index
        t = time.perf_counter()
        search.search(kbase, q)
        cold.append((time.perf_counter() - t) * 1000)
    times: dict[str, list[float]] = {q: [] for q in queries}
    for _ in range(rounds):
        for q in queries:
            t = time.perf_counter()
            search.search(kbase, q)
            times[q].append((time.perf_counter() - t) * 1000)
    flat = [x for v in times.values() for x in v]
    slowest = sorted(((statistics.median(v), q) for q, v in times.items()), reverse=True)[:6]
    return {"n": len(flat), "p50": pct(flat, 50), "p95": pct(flat, 95), "max": max(flat), "slowest": slowest,
            "cold_p50": pct(cold, 50), "cold_p95": pct(cold, 95)}


async def http_load(url: str, queries: list[str], total: int, concurrency: int) -> dict:
    import httpx

    lat: list[float] = []
    errors = 0
    it = iter(range(total))

    async def worker(client):
        nonlocal errors
        for i in it:
            q = queries[i % len(queries)]
            t = time.perf_counter()
            r = await client.get("/api/search", params={"q": q, "limit": 10})
            lat.append((time.perf_counter() - t) * 1000)
            errors += r.status_code != 200

    async with httpx.AsyncClient(base_url=url.rstrip("/"), timeout=30) as client:
        await client.get("/api/search", params={"q": "bê tông"})
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    return {"n": len(lat), "p50": pct(lat, 50), "p95": pct(lat, 95), "errors": errors, "rps": len(lat) / wall}


def build_and_measure(args) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp) / "var"
        kbase = KnowledgeBase(Settings(data_dir=data_dir))
        kbase.init()
        try:
            from ingest.demo import load_demo

            load_demo(kbase)
        except ImportError as exc:
            print(f"demo data not loaded: {exc}")
        if args.corpus:
            from ingest.pipeline import ingest_paths

            pdfs = sorted((ROOT.parent / "shared" / "corpus" / "pdf").rglob("*.pdf"))
            t = time.perf_counter()
            ingest_paths(kbase, pdfs, actor="bench")
            print(f"corpus: {len(pdfs)} PDFs ingested in {time.perf_counter() - t:.1f} s")
        gen = generate(kbase, args.records)
        print(f"generated {args.records} standard records in {gen:.1f} s")
        stats = search.reindex(kbase)
        print(f"index build: {stats['seconds']:.1f} s for {stats['standard']} standards, "
              f"{stats['product']} products, {stats['lab']} labs")
        res = in_process(kbase, QUERIES, args.rounds)
        print(f"in-process: {res['n']} searches over {len(QUERIES)} mixed queries: "
              f"p50 {res['p50']:.1f} ms, p95 {res['p95']:.1f} ms, max {res['max']:.1f} ms")
        print(f"in-process, first time each query (cold term cache): p50 {res['cold_p50']:.1f} ms, "
              f"p95 {res['cold_p95']:.1f} ms")
        for ms, q in res["slowest"]:
            print(f"    slowest median {ms:6.1f} ms  {q!r}")
        kbase.dispose()


_WRK_LUA = """
local queries = {%s}
local words = {%s}
local unique = %s
local i = 0
request = function()
  i = i + 1
  local q
  if unique then  -- mostly questions never asked before: no cache can answer them
    local r = math.random(10)
    if r == 1 then q = "tcvn+" .. math.random(20000, 40000)
    else q = words[math.random(#words)] .. "+" .. words[math.random(#words)] .. "+" .. math.random(100) end
  else q = queries[(i %% #queries) + 1] end
  return wrk.format("GET", "/api/search?limit=10&q=" .. q)
end
done = function(summary, latency, requests)
  io.write(string.format("WRK p50=%%.1f p95=%%.1f p99=%%.1f rps=%%.0f errors=%%d\\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6),
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
"""


def wrk_load(url: str, queries: list[str], seconds: int, concurrency: int, unique: bool = False) -> str:
    """``wrk`` (Debian package) drives the load from C, so the client does not eat the server's CPU."""
    import shutil
    import subprocess
    from urllib.parse import quote

    if not shutil.which("wrk"):
        return "wrk not installed (apt-get install wrk); use --http without --wrk"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        words = sorted({w for v, e in SUBJECTS + ASPECTS for w in (v + " " + e).lower().split() if w.isalpha()})
        fh.write(_WRK_LUA % (", ".join(f'"{quote(q)}"' for q in queries),
                             ", ".join(f'"{quote(w)}"' for w in words), "true" if unique else "false"))
    out = subprocess.run(["wrk", "-t2", f"-c{concurrency}", f"-d{seconds}s", "-s", fh.name, url.rstrip("/")],
                         capture_output=True, text=True, timeout=seconds + 60)
    Path(fh.name).unlink()
    line = next((x for x in out.stdout.splitlines() if x.startswith("WRK ")), out.stdout[-500:] + out.stderr[-500:])
    return line


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--corpus", action="store_true", help="also ingest ../shared/corpus/pdf")
    ap.add_argument("--data-dir", type=Path, help="build the knowledge base here and keep it (serve it with "
                    "KB_DATA_DIR=... kb serve, then measure with --http --http-only); default: a temporary directory")
    ap.add_argument("--http", metavar="URL", help="measure GET /api/search on a running `kb serve`")
    ap.add_argument("--http-only", action="store_true", help="skip the build and the in-process part")
    ap.add_argument("--http-requests", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--wrk", type=int, metavar="SECONDS", help="drive --http with wrk for SECONDS instead of httpx")
    args = ap.parse_args(argv)
    if not args.http_only:
        build_and_measure(args)
    if args.http and args.wrk:
        print(f"wrk {args.http}/api/search, {args.concurrency} connections, {args.wrk} s: "
              f"{wrk_load(args.http, QUERIES, args.wrk, args.concurrency)} (latencies in ms; 39 mixed queries "
              f"repeated)")
        print(f"wrk, unique queries (random words + a number, random codes): "
              f"{wrk_load(args.http, QUERIES, args.wrk, args.concurrency, unique=True)}")
    elif args.http:
        r = asyncio.run(http_load(args.http, QUERIES, args.http_requests, args.concurrency))
        print(f"HTTP {args.http}/api/search, {args.concurrency} concurrent: {r['n']} requests, "
              f"p50 {r['p50']:.1f} ms, p95 {r['p95']:.1f} ms, {r['rps']:.0f} req/s, {r['errors']} errors")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
