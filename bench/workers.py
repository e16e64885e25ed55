"""Search over HTTP with one and with two workers: never-seen queries, 16 concurrent connections.

    .venv/bin/python bench/workers.py [--records 20000] [--runs 3] [--seconds 15] [--workers 1,2] [--data-dir DIR]

Builds a knowledge base of the demo data and N generated standards (``bench/search.py``'s generator) and
its index, then for each worker count starts a real ``kb serve --workers N`` on a free port, warms it with a
fixed set of 400 other queries (16 at a time, the same for every server), and drives ``GET /api/search`` with
``wrk`` (one thread, 16 connections) cycling through a list of distinct queries no server was asked before:
Vietnamese words of the generator's titles with and without accents, English titles, and codes in the ways
people type them. A run that would ask more queries than the list holds says so. Worker counts alternate
(1, 2, 1, 2, ...) so the machine's load falls on both alike; medians of ``--runs`` runs.

Goal (issue 16): p95 ≤ 50 ms with the workers ``kb serve`` starts by default, and two workers beat one.
``--data-dir`` keeps the built knowledge base there and reuses it on the next run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from search import ASPECTS, SUBJECTS, generate  # noqa: E402  (bench/search.py)

from kb.text import fold  # noqa: E402

KB = Path(sys.executable).with_name("kb")


def build(data_dir: Path, records: int) -> None:
    from ingest.demo import load_demo
    from kb import search
    from kb.config import Settings
    from kb.core import KnowledgeBase

    kbase = KnowledgeBase(Settings(data_dir=data_dir))
    kbase.init()
    t = time.perf_counter()
    load_demo(kbase)
    generate(kbase, records)
    stats = search.reindex(kbase)
    kbase.dispose()
    print(f"built: demo data + {records} generated standards, index {stats['seconds']:.1f} s "
          f"(total {time.perf_counter() - t:.0f} s)", flush=True)


def _runs(words: list[str]) -> list[str]:
    """Every run of one to three consecutive words."""
    return [" ".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, min(len(words), i + 3) + 1)]


def queries(n: int, seed: int, exclude: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    """``n`` distinct queries (none in ``exclude``): 45 % accented Vietnamese, 25 % the same unaccented,
    15 % English, 15 % codes (``tcvn 20417``, ``TCVN 21003:2015``, ``20988-2012``, ``tcvn20005``)."""
    rnd = random.Random(seed)
    vi_subj = [_runs(v.lower().split()) for v, _ in SUBJECTS]
    vi_asp = [_runs(re.sub(r"[,()]", " ", v.lower()).split()) for v, _ in ASPECTS]
    en_subj = [_runs(e.lower().split()) for _, e in SUBJECTS]
    en_asp = [_runs(re.sub(r"[,()]", " ", e.lower()).split()) for _, e in ASPECTS]
    out: list[str] = []
    seen = set(exclude)
    while len(out) < n:
        r = rnd.random()
        if r < 0.70:
            q = f"{rnd.choice(rnd.choice(vi_subj))} {rnd.choice(rnd.choice(vi_asp))}"
            if r >= 0.45:
                q = fold(q)
        elif r < 0.85:
            q = f"{rnd.choice(rnd.choice(en_subj))} {rnd.choice(rnd.choice(en_asp))}"
        else:
            num = rnd.randrange(20000, 40000)
            year = rnd.choice([1993, 2005, 2008, 2012, 2015, 2018, 2020, 2022, 2024])
            q = rnd.choice([f"tcvn {num}", f"TCVN {num}:{year}", f"{num}-{year}", f"tcvn{num}"])
        if q not in seen:
            seen.add(q)
            out.append(q)
    return out


class Serve:
    """``kb serve --workers N`` on a free port; ready when each worker has finished its startup."""

    def __init__(self, data_dir: Path, workers: int):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "KB_DATA_DIR": str(data_dir)}
        env.pop("KB_DATABASE_URL", None)
        self.proc = subprocess.Popen([str(KB), "serve", "--port", str(port), "--workers", str(workers)], env=env,
                                     cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        started = threading.Semaphore(0)

        def read() -> None:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                self.lines.append(line)
                if "Application startup complete" in line:
                    started.release()
            for _ in range(workers):
                started.release()  # ended: stop waiting

        threading.Thread(target=read, daemon=True).start()
        for _ in range(workers):
            if not started.acquire(timeout=120) or self.proc.poll() is not None:
                self.stop()
                raise SystemExit("kb serve did not start:\n" + "".join(self.lines[-30:]))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


async def warm(url: str, qs: list[str], clients: int) -> None:
    todo = iter(qs)
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        async def one() -> None:
            for q in todo:
                r = await client.get("/api/search", params={"q": q, "limit": 10})
                r.raise_for_status()

        await asyncio.gather(*(one() for _ in range(clients)))


_LUA = """
local paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[((i - 1) %% #paths) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format("WRK %%.2f %%.2f %%.2f %%.1f %%d %%d\\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6), summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout))
end
"""


def wrk(url: str, qs: list[str], seconds: int, clients: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        paths = Path(tmp) / "paths.txt"
        paths.write_text("".join(f"/api/search?limit=10&q={quote(q)}\n" for q in qs))
        script = Path(tmp) / "cycle.lua"
        script.write_text(_LUA % paths)
        out = subprocess.run(["wrk", "-t1", f"-c{clients}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script), url],
                             capture_output=True, text=True, timeout=seconds + 60)
    line = next((x for x in out.stdout.splitlines() if x.startswith("WRK ")), None)
    if line is None:
        raise SystemExit(f"wrk failed: {out.stdout[-500:]} {out.stderr[-500:]}")
    p50, p95, p99, rps, n, errors = line.split()[1:]
    return {"p50": float(p50), "p95": float(p95), "p99": float(p99), "rps": float(rps), "requests": int(n),
            "errors": int(errors)}


def main(argv: list[str] | None = None) -> int:
    from kb.config import Settings
    from web.serving import default_workers

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--workers", default="1,2", help="worker counts to compare, comma-separated")
    ap.add_argument("--queries", type=int, default=30_000, help="distinct never-seen queries per run")
    ap.add_argument("--data-dir", type=Path, help="build (or reuse) the knowledge base here")
    args = ap.parse_args(argv)
    if not shutil.which("wrk"):
        print("wrk not installed (apt-get install wrk): bench/workers.py skipped")
        return 0
    tmp = None
    data_dir = args.data_dir
    if data_dir is None:
        tmp = tempfile.mkdtemp(prefix="kb-bench-workers-")
        data_dir = Path(tmp) / "var"
    if not (data_dir / "kb.sqlite3").exists():
        build(data_dir, args.records)
    warmup = queries(400, seed=7)
    measured = queries(args.queries, seed=11, exclude=set(warmup))
    counts = [int(x) for x in args.workers.split(",")]
    default = default_workers(Settings())
    print(f"{len(measured)} distinct queries, e.g. {json.dumps(measured[:6], ensure_ascii=False)}; "
          f"kb serve's default here: {default} workers; load average {os.getloadavg()[0]:.2f}", flush=True)
    results: dict[int, list[dict[str, float]]] = {n: [] for n in counts}
    try:
        for run in range(args.runs):
            for n in counts:
                srv = Serve(data_dir, n)
                try:
                    asyncio.run(warm(srv.url, warmup, args.clients))
                    r = wrk(srv.url, measured, args.seconds, args.clients)
                finally:
                    srv.stop()
                wrapped = " (list exhausted: some queries repeated)" if r["requests"] > len(measured) else ""
                print(f"run {run + 1}, {n} worker(s): p50 {r['p50']:.1f} ms, p95 {r['p95']:.1f} ms, "
                      f"p99 {r['p99']:.1f} ms, {r['rps']:.0f} req/s, {r['requests']} requests, "
                      f"{r['errors']} errors{wrapped}; load average {os.getloadavg()[0]:.2f}", flush=True)
                results[n].append(r)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"medians of {args.runs} runs, {args.clients} connections, {args.seconds} s each, never-seen queries:")
    for n, rs in results.items():
        med = {k: statistics.median(r[k] for r in rs) for k in ("p50", "p95", "p99", "rps", "errors")}
        tag = " (kb serve's default here)" if n == default else ""
        print(f"  {n} worker(s){tag}: p50 {med['p50']:.1f} ms, p95 {med['p95']:.1f} ms, p99 {med['p99']:.1f} ms, "
              f"{med['rps']:.0f} req/s, errors {med['errors']:.0f}")
    if default in results:
        p95 = statistics.median(r["p95"] for r in results[default])
        print(f"goal p95 ≤ 50 ms with the default {default} workers: {'met' if p95 <= 50 else 'missed'} ({p95:.1f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
