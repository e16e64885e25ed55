"""Spreadsheet bombs against a running ``kb serve`` (issue 15, item 1). Goal: a 1 MB bomb is refused in ≤ 5 s
with the server's RSS growing ≤ 100 MB.

    .venv/bin/python bench/upload_bomb.py [--unpacked-mb 1024]

A fresh SQLite knowledge base (two labs, a curator, lab accounts) and a real ``kb serve``:

1. an XLSX of about 1 MB whose ``xl/sharedStrings.xml`` unpacks to 1 GiB, through ``kb import lab-scope``
   (before the server starts, so that the peak RSS of children is that command's);
2. the same as the lab's own account (``POST /lab/{id}/upload``) and as a curator (``POST /curate/upload``,
   kind lab-scope);
3. an XLSX that gets past the zip checks (one 90 MB shared string packed ~50:1, under every cap), as the lab:
   openpyxl unpacks it, in the worker process, not the server.

For each: status, seconds, and the server's RSS (``/proc/<pid>/status``) before, after, and its peak sampled
every 10 ms during the request.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.notify import free_port, start  # noqa: E402
from kb.config import Settings  # noqa: E402
from kb.core import KnowledgeBase  # noqa: E402
from tests.support.accounts import PASSWORD, seed  # noqa: E402
from tests.support.bombs import SCOPE_HEADER, big_string, xlsx_bomb  # noqa: E402

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROWS = [SCOPE_HEADER, ["VILAS 1001", "Cát xây dựng", "Thành phần hạt", "", "TCVN 7572-2:2006", "có"]]


def memory(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak RSS since the process started) of ``pid``, in MB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out


def login(base: str, username: str) -> httpx.Client:
    c = httpx.Client(base_url=base, timeout=120)
    r = c.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    r.raise_for_status()
    return c


def upload(pid: int, client: httpx.Client, url: str, path: Path, data: dict[str, str] | None = None) -> dict:
    """One upload while a thread samples the server's RSS every 10 ms (``VmHWM`` is since the server started)."""
    before = memory(pid)["VmRSS"]
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak.append(memory(pid)["VmRSS"])
            done.wait(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.monotonic()
    try:
        r = client.post(url, data=data or {}, files={"file": (path.name, path.read_bytes(), XLSX)})
        seconds = time.monotonic() - started
        done.wait(1)  # a curator's import runs after the response: keep sampling a moment
    finally:
        done.set()
        sampler.join()
    after = memory(pid)["VmRSS"]
    return {"status": r.status_code, "seconds": seconds, "before": before, "after": after, "peak": max(peak),
            "growth": max(peak) - before}


def report(label: str, size: int, row: dict) -> None:
    print(f"   {label}: {size / 1024 / 1024:.2f} MB → HTTP {row['status']} trong {row['seconds']:.2f} s; RSS máy chủ "
          f"{row['before']:.0f} → {row['after']:.0f} MB (đỉnh {row['peak']:.0f} MB, tăng tối đa {row['growth']:.0f} MB)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--unpacked-mb", type=int, default=1024)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kb-bench-bomb-"))
    data_dir = work / "var"
    kbase = KnowledgeBase(Settings(data_dir=data_dir))
    kbase.init()
    world = seed(kbase)
    kbase.dispose()
    port = free_port()
    env = {**os.environ, "KB_DATA_DIR": str(data_dir), "KB_NOTIFY_INTERVAL": "0"}
    env.pop("KB_DATABASE_URL", None)
    base = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    bomb = xlsx_bomb(work / "pham-vi.xlsx", ROWS, unpacked_mb=args.unpacked_mb)
    print(f"Bom: {bomb.stat().st_size / 1024 / 1024:.2f} MB, xl/sharedStrings.xml giải nén ra "
          f"{args.unpacked_mb} MB (tạo trong {time.monotonic() - started:.1f} s)")
    print("1. kb import lab-scope với bom (một dòng lỗi, mã thoát 1; RSS đỉnh của tiến trình kb):")
    started = time.monotonic()
    r = subprocess.run([str(REPO / ".venv/bin/kb"), "import", "lab-scope", str(bomb)], env=env, capture_output=True,
                       text=True, timeout=120)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"   mã thoát {r.returncode} trong {time.monotonic() - started:.2f} s, RSS đỉnh "
          f"{peak:.0f} MB: {r.stderr.strip()}")

    web = start([str(REPO / ".venv/bin/kb"), "serve", "--port", str(port)], env, ready_url=f"{base}/")
    try:
        lab, curator = login(base, "lab_a"), login(base, "curator")
        httpx.get(f"{base}/", timeout=30)  # warm: the first request loads what every request needs
        print("2. Bom nén tải lên kb serve (mục tiêu: từ chối trong ≤ 5 s, RSS máy chủ tăng ≤ 100 MB):")
        report("tài khoản phòng thí nghiệm", bomb.stat().st_size,
               upload(web.pid, lab, f"/lab/{world.lab_a}/upload", bomb))
        report("cán bộ biên tập", bomb.stat().st_size,
               upload(web.pid, curator, "/curate/upload", bomb, {"kind": "lab-scope"}))
        past = big_string(work / "chuoi-lon.xlsx", ROWS, 90)
        print("3. Tệp lọt qua kiểm tra nén (một chuỗi 90 MB, nén ~50:1), đọc trong tiến trình phụ:")
        report("tài khoản phòng thí nghiệm", past.stat().st_size,
               upload(web.pid, lab, f"/lab/{world.lab_a}/upload", past))
    finally:
        web.terminate()
        web.wait(timeout=30)


if __name__ == "__main__":
    main()
