"""Memory of a real server searching a large index: 110,000 products, 16 concurrent clients of never-seen queries.

    .venv/bin/python bench/search_memory.py [--products 110000] [--workers 1] [--seconds 30] [--clients 16]
                                            [--data-dir DIR] [--runs 3]

The knowledge base is built once (products inserted in bulk with generated Vietnamese names, then one
index build) into ``--data-dir`` (default ``$TMPDIR/kb-bench-search-memory-<N>``, reused by later runs).
A real ``uvicorn`` serves it (``--workers N`` processes); ``wrk`` (Debian package) drives 16 connections
asking ``/api/search`` for word pairs with a number (never asked before: no memo answers them) while
the total RSS of the server's process tree is sampled from ``/proc`` every 0.1 s. Reports the peak and
the steady RSS (median of the last third of the samples) and the latency percentiles. Goal: ≤ 1.5 GB.
"""

from __future__ import annotations

import argparse
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
from pathlib import Path
from urllib.parse import quote

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

# What Bắc Ninh's catalogue sells: a product type, a variety or quality, and where it comes from.
TYPES = ["Bánh phu thê", "Bánh khúc", "Bánh tẻ", "Bánh đa nem", "Bánh gai", "Gạo nếp cái hoa vàng", "Gạo tám thơm",
         "Nước mắm cá cơm", "Tương bần", "Rượu nếp cái", "Rượu làng Vân", "Mật ong hoa nhãn", "Chè búp khô",
         "Chè xanh", "Đậu phụ", "Miến dong", "Mỳ gạo", "Giò lụa", "Chả quế", "Nem chua", "Gốm sành nâu",
         "Tranh Đông Hồ", "Đồ gỗ mỹ nghệ", "Tượng gỗ", "Mây tre đan", "Thép cốt bê tông", "Gạch đất sét nung",
         "Gạch không nung", "Ngói men", "Vải lụa tơ tằm", "Nón lá", "Trứng vịt muối", "Thịt lợn sạch",
         "Rau cải ngọt", "Dưa lưới", "Vải thiều", "Nấm sò", "Bột sắn dây", "Tinh bột nghệ", "Mứt gừng"]
KINDS = ["truyền thống", "đặc biệt", "loại 1", "hữu cơ", "cao cấp", "thượng hạng", "xuất khẩu", "sạch", "gia truyền",
         "đóng hộp", "sấy khô", "tươi", "hút chân không", "túi 500 g", "chai 1 lít", "hộp quà"]
PLACES = ["Đình Bảng", "Từ Sơn", "Phù Lãng", "Quế Võ", "Tiên Du", "Yên Phong", "Thuận Thành", "Gia Bình",
          "Lương Tài", "Đông Hồ", "Đồng Kỵ", "Phù Khê", "Kinh Bắc", "Vân Hà", "Tam Sơn", "Hoàn Sơn", "Lim",
          "Đại Đồng", "Cảnh Hưng", "Song Hồ", "Mão Điền", "Nội Duệ", "Phật Tích", "Chi Lăng"]
DISTRICTS = ["Từ Sơn", "Quế Võ", "Tiên Du", "Yên Phong", "Thuận Thành", "Gia Bình", "Lương Tài", "Bắc Ninh"]
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương", "Lý"]
GIVEN = ["Văn An", "Thị Bình", "Văn Cường", "Thị Dung", "Văn Hùng", "Thị Lan", "Đức Minh", "Thị Nga", "Văn Phúc",
         "Thị Quyên", "Quang Sơn", "Thị Thảo", "Văn Tuấn", "Thị Yến"]


def product_rows(n: int, start: int = 0, seed: int = 7) -> list[dict]:
    """N product rows with realistic, mostly distinct Vietnamese names (unique per producer)."""
    from kb.models import ProductKind, utcnow

    rnd = random.Random(seed + start)
    now = utcnow()
    rows = []
    for i in range(start, start + n):
        t, k, p = rnd.choice(TYPES), rnd.choice(KINDS), rnd.choice(PLACES)
        producer = f"Hộ {rnd.choice(SURNAMES)} {rnd.choice(GIVEN)} ({i})"
        rows.append({
            "name": f"{t} {k} {p}", "aliases": [f"{t} {p}"] if i % 5 == 0 else [], "category": "Thực phẩm"
            if i % 3 else "Thủ công mỹ nghệ", "kind": ProductKind.other, "ocop_stars": rnd.choice([None, 3, 4, 5]),
            "producer": producer, "district": rnd.choice(DISTRICTS), "commune": p,
            "description": f"{t} {k} do {producer} sản xuất tại {p}, {rnd.choice(DISTRICTS)}; "
                           f"đạt chuẩn {rnd.choice(['OCOP', 'VietGAP', 'HACCP', 'ISO 22000'])}.",
            "is_sample": False, "version": 1, "created_at": now, "updated_at": now,
        })
    return rows


def insert_products(kbase, n: int, start: int = 0, batch: int = 5000, pause: float = 0.0) -> float:
    """Bulk inserts, a commit per batch (setup speed; the importer's own path is another bench's)."""
    from sqlalchemy import insert

    from kb.models import Product

    t0 = time.perf_counter()
    for b in range(start, start + n, batch):
        rows = product_rows(min(batch, start + n - b), b)
        with kbase.engine.begin() as conn:
            conn.execute(insert(Product.__table__), rows)  # type: ignore[attr-defined]
        if pause:
            time.sleep(pause)  # an import's pace between its commits, not synchronisation
    return time.perf_counter() - t0


def build_world(data_dir: Path, products: int) -> None:
    from ingest.demo import load_demo
    from kb import search
    from kb.config import Settings
    from kb.core import KnowledgeBase
    from kb.search import _index
    from kb.search._schema import SCHEMA_VERSION

    # Kept between runs, but only for the index schema it was built with: a world left by an older version
    # had every server rebuild its index from the database while the bench measured the slow path.
    ready = data_dir / "ready"
    if ready.exists() and ready.read_text().strip() == f"schema {SCHEMA_VERSION}":
        return
    shutil.rmtree(data_dir, ignore_errors=True)
    kbase = KnowledgeBase(Settings(data_dir=data_dir))
    kbase.init()
    load_demo(kbase)
    t = insert_products(kbase, products)
    print(f"inserted {products} products in {t:.1f} s", flush=True)
    t = time.perf_counter()
    stats = _index.build(kbase, procs=2)
    print(f"index build: {time.perf_counter() - t:.1f} s ({stats['product']} products)", flush=True)
    search.RESULT_MEMO  # noqa: B018 - imported: the index is built
    kbase.dispose()
    ready.write_text(f"schema {SCHEMA_VERSION}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data_dir: Path, workers: int, repo: Path = REPO) -> tuple[subprocess.Popen, str, list[str]]:
    port = free_port()
    env = {**os.environ, "KB_DATA_DIR": str(data_dir), "PYTHONPATH": str(repo)}
    env.pop("KB_DATABASE_URL", None)
    # the command an operator runs (its workers share the connections evenly; uvicorn's own left Nagle on)
    cmd = [sys.executable, "-m", "web.cli", "serve", "--port", str(port), "--workers", str(workers)]
    proc = subprocess.Popen(cmd, env=env, cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out: list[str] = []
    threading.Thread(target=lambda: out.extend(proc.stdout), daemon=True).start()  # type: ignore[arg-type]
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                pass
            # one search opens the index (what a server does on its first search, not measured)
            httpx.get(url + "/api/search", params={"q": "bánh"}, timeout=300)
            return proc, url, out
        except OSError:
            time.sleep(0.2)  # waiting for a server to listen
    proc.kill()
    raise SystemExit("server did not start:\n" + "".join(out[-30:]))


def tree_rss(pid: int, fields: tuple[str, ...] = ("VmRSS",)) -> int:
    """Bytes resident in a process and all its descendants (from /proc, no psutil); ``fields`` of
    /proc/PID/status summed (``RssAnon``: the heap; ``RssFile``: mapped files such as index segments)."""
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = Path(f"/proc/{d}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(d))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.split(":", 1)[0] in fields:
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


class Sampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.stop = pid, threading.Event()
        self.samples: list[int] = []
        self.anon: list[int] = []
        self.file: list[int] = []

    def run(self) -> None:
        while not self.stop.is_set():
            self.samples.append(tree_rss(self.pid))
            self.anon.append(tree_rss(self.pid, ("RssAnon",)))
            self.file.append(tree_rss(self.pid, ("RssFile",)))
            self.stop.wait(0.1)


WRK_LUA = """
local words = {%s}
math.randomseed(os.time() + %d)
request = function()
  local q
  if math.random(10) == 1 then q = "banh+" .. math.random(1, 1000000)
  else q = words[math.random(#words)] .. "+" .. words[math.random(#words)] .. "+" .. math.random(1000000) end
  return wrk.format("GET", "/api/search?limit=10&q=" .. q)
end
done = function(summary, latency, requests)
  io.write(string.format("WRK p50=%%.1f p95=%%.1f p99=%%.1f max=%%.1f n=%%d errors=%%d non2xx=%%d\\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
"""


def wrk(url: str, seconds: float, clients: int, seed: int = 0) -> dict:
    """Never-seen queries: two words of the catalogue's vocabulary and a random number."""
    if not shutil.which("wrk"):
        raise SystemExit("wrk not installed (apt-get install wrk)")
    words = sorted({w for s in TYPES + KINDS + PLACES for w in s.lower().split() if w.isalpha()})
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(WRK_LUA % (", ".join(f'"{quote(w)}"' for w in words), seed))
    try:
        out = subprocess.run(["wrk", "-t2", f"-c{clients}", f"-d{int(seconds)}s", "--timeout", "30s", "-s", fh.name,
                              url], capture_output=True, text=True, timeout=seconds + 120)
    finally:
        Path(fh.name).unlink()
    line = next((x for x in out.stdout.splitlines() if x.startswith("WRK ")), None)
    if line is None:
        raise SystemExit(out.stdout[-800:] + out.stderr[-800:])
    return {k: float(v) for k, v in (kv.split("=") for kv in line[4:].split())}


def one_run(data_dir: Path, workers: int, seconds: float, clients: int, seed: int, repo: Path = REPO) -> dict:
    proc, url, out = start_server(data_dir, workers, repo)
    try:
        idle = tree_rss(proc.pid)
        sampler = Sampler(proc.pid)
        sampler.start()
        res = wrk(url, seconds, clients, seed)
        sampler.stop.set()
        sampler.join()
        s = sampler.samples
        res.update(idle_mb=idle / 2**20, peak_mb=max(s) / 2**20,
                   steady_mb=statistics.median(s[-max(1, len(s) // 3):]) / 2**20,
                   anon_peak_mb=max(sampler.anon) / 2**20, file_peak_mb=max(sampler.file) / 2**20)
        return res
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--products", type=int, default=110_000)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--data-dir", type=Path)
    ap.add_argument("--repo", type=Path, default=REPO, help="serve this checkout's code (to compare before and after)")
    args = ap.parse_args(argv)
    data_dir = args.data_dir or Path(tempfile.gettempdir()) / f"kb-bench-search-memory-{args.products}"
    build_world(data_dir, args.products)
    for workers in args.workers:
        runs = [one_run(data_dir, workers, args.seconds, args.clients, seed, args.repo) for seed in range(args.runs)]
        for r in runs:
            print(f"  run: idle {r['idle_mb']:.0f} MB, peak {r['peak_mb']:.0f} MB, steady {r['steady_mb']:.0f} MB, "
                  f"(heap {r['anon_peak_mb']:.0f} MB, mapped files {r['file_peak_mb']:.0f} MB at their peaks), "
                  f"p50 {r['p50']:.0f} ms, p95 {r['p95']:.0f} ms, max {r['max']:.0f} ms, {r['n']:.0f} requests, "
                  f"{r['errors'] + r['non2xx']:.0f} errors", flush=True)

        medians = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        med = medians.__getitem__

        print(f"{workers} worker(s), {args.products} products, {args.clients} clients, {args.seconds:.0f} s "
              f"(median of {args.runs}): peak RSS {med('peak_mb'):.0f} MB, steady {med('steady_mb'):.0f} MB "
              f"(idle {med('idle_mb'):.0f} MB); search p50 {med('p50'):.0f} ms, p95 {med('p95'):.0f} ms; "
              f"goal peak ≤ 1536 MB: {'met' if med('peak_mb') <= 1536 else 'NOT met'}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
