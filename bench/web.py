"""Web page speed: p50/p95 of the product, standard, lab and search pages, and of a product's JSON answer for a
date, at 16 concurrent clients.

    .venv/bin/python bench/web.py [--requests 800] [--clients 16] [--url http://127.0.0.1:8000]

Without ``--url`` the demo data (``ingest.demo.load_demo``) goes into a temporary data dir and a real
``uvicorn`` process serves it on a free port (one worker, as ``kb serve`` runs). Goal: p95 ≤ 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

#: Page kinds measured cold: every request asks a page not asked before.
COLD = {"api product on"}
QUERIES = ["banh phu the", "be tong", "gach", "tcvn 3118 be tong", "ruou", "mỳ gạo", "vilas", "kem nhung nong", "che", "thep"]


def start_server(data_dir: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "KB_DATA_DIR": str(data_dir)}
    env.pop("KB_DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "web.app:create_app", "--factory", "--port", str(port),
         "--log-level", "warning"],
        env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    ready = threading.Event()

    def watch() -> None:
        for line in proc.stdout:
            if "startup complete" in line or "running on" in line.lower():
                ready.set()
        ready.set()

    threading.Thread(target=watch, daemon=True).start()
    url = f"http://127.0.0.1:{port}"
    # --log-level warning hides the startup line: fall back to asking the server itself.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(url + "/api/browse", timeout=2).status_code == 200:
                return proc, url
        except httpx.TransportError:
            ready.wait(0.2)
    proc.kill()
    raise SystemExit("server did not start")


#: The days a product's answer is asked for: a year from the 2026 lists' start.
YEAR = [date(2026, 7, 1) + timedelta(days=d) for d in range(365)]


def period_starts(data_dir: Path) -> list[date]:
    """The first day of each period of :data:`YEAR` in which every answer is the same (kb.read.dated)."""
    from kb.config import Settings
    from kb.core import KnowledgeBase
    from kb.read.dated import period_bounds

    kbase = KnowledgeBase(Settings(data_dir=data_dir))
    with kbase.session() as s:
        bounds = period_bounds(s)
    kbase.dispose()
    return [YEAR[0], *(d for d in bounds if YEAR[0] < d <= YEAR[-1])]


def demo_kb() -> Path:
    from ingest.demo import load_demo
    from kb.config import Settings
    from kb.core import KnowledgeBase

    data_dir = Path(tempfile.mkdtemp(prefix="kb-bench-web-")) / "var"
    kbase = KnowledgeBase(Settings(data_dir=data_dir))
    kbase.init()
    load_demo(kbase)
    from kb import search

    search.reindex(kbase)
    kbase.dispose()
    return data_dir


async def measure(url: str, paths: list[str], requests: int, clients: int, warm: bool = True) -> list[float]:
    times: list[float] = []
    todo = iter(range(requests))
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        for p in paths if warm else ():  # every distinct page once: measure the steady state, not first renders
            await client.get(p)

        async def worker() -> None:
            for i in todo:
                path = paths[i % len(paths)]
                t = time.perf_counter()
                r = await client.get(path)
                times.append((time.perf_counter() - t) * 1000)
                if r.status_code >= 400:  # a redirect is an answer (a query that names a group opens it)
                    raise SystemExit(f"{path}: HTTP {r.status_code}")

        await asyncio.gather(*(worker() for _ in range(clients)))
    return times


_WRK_LUA = """
local paths = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format("WRK p50 %%.1f ms p95 %%.1f ms p99 %%.1f ms, %%.0f req/s, errors %%d\\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6),
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
"""


def wrk_measure(url: str, paths: list[str], seconds: int, clients: int) -> str:
    """The same pages driven by ``wrk`` (C), so the load generator does not take the server's CPU."""
    if not shutil.which("wrk"):
        return "wrk not installed (apt-get install wrk)"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(_WRK_LUA % ", ".join(json.dumps(quote(p, safe=":/?=&%")) for p in paths))  # ASCII for Lua
    try:
        out = subprocess.run(["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "-s", fh.name, url],
                             capture_output=True, text=True, timeout=seconds + 60)
    finally:
        Path(fh.name).unlink()
    return next((x[4:] for x in out.stdout.splitlines() if x.startswith("WRK ")), out.stderr.strip()[-300:])


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=800)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--url")
    ap.add_argument("--wrk", type=int, default=5, metavar="SECONDS", help="seconds of wrk load per page kind (0: skip)")
    args = ap.parse_args()
    proc = None
    url = args.url
    data_dir = None
    if url is None:
        data_dir = demo_kb()
        proc, url = start_server(data_dir)
    try:
        with httpx.Client(base_url=url) as c:
            products = [p["url"] for p in c.get("/api/browse/products").json()["items"]]
            standards = [s["url"] for s in c.get("/api/browse/standards").json()["items"]]
            lab_ids = {h["id"] for q in ("vilas", "las") for h in c.get("/api/search", params={"q": q, "kind": "lab"}).json()["hits"]}
        pages = {
            "product": products,
            "standard": standards,
            "lab": [f"/labs/{i}" for i in sorted(lab_ids)] or ["/"],
            "search": [f"/search?q={q}" for q in QUERIES],
            "api search": [f"/api/search?q={q}" for q in QUERIES],
            # a product's answer for a date (risk lists, procedures): a year of dates, so no address repeats
            # within a run and the page cache (keyed on the address) cannot answer; the answers kept per period
            # (kb.read.dated) can, as they would for visitors asking about different days
            "api product on": [f"/api{u}?on={day}" for day in YEAR for u in products],
        }
        random.Random(1).shuffle(pages["api product on"])  # days from all over the year, as visitors ask them
        print(f"{url}: {args.requests} requests per page kind, {args.clients} concurrent clients")
        if data_dir is not None:
            # The first ask of each period builds its answer (kb.read.dated); later days of the period reuse it.
            # One address per product and period, apart from the measured ones (an extra parameter).
            firsts = [f"/api{u}?on={day}&first=1" for day in period_starts(data_dir) for u in products]
            built = asyncio.run(measure(url, firsts, len(firsts), 1, warm=False))
            print(f"  api product on, first ask of a period ({len(firsts)} answers built), 1 client: "
                  f"p50 {pct(built, 50):5.1f} ms p95 {pct(built, 95):5.1f} ms")
        for name, paths in pages.items():
            cold = name in COLD  # each request a page never asked before: the page cache cannot answer
            ones = paths[len(paths) // 2:] if cold else paths  # the two runs ask different pages
            one = asyncio.run(measure(url, ones, max(100, args.requests // 4), 1, warm=not cold))
            many = asyncio.run(measure(url, paths, args.requests, args.clients, warm=not cold))
            print(f"  {name:11s} 1 client p50 {pct(one, 50):5.1f} ms p95 {pct(one, 95):5.1f} ms   "
                  f"{args.clients} clients p50 {pct(many, 50):6.1f} ms p95 {pct(many, 95):6.1f} ms   "
                  f"({len(paths)} distinct pages)")
            if args.wrk:
                print(f"  {'':11s} wrk, {args.clients} connections: {wrk_measure(url, paths, args.wrk, args.clients)}")
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    main()
