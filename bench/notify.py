"""Follow mails at scale: 10,000 subscribers of one product and one change.

    .venv/bin/python bench/notify.py [--subscribers 10000] [--runs 3]

1. Outbox fill: a curator's change (a new approved mapping) → ``kb.mailer.prepare`` releases the notice and
   queues one mail per subscriber. Median of ``--runs`` changes. Goal ≤ 10 s.
2. Sending: a ``kb serve`` process (its background loop, as deployed) sends them to an SMTP server on
   localhost (aiosmtpd, in a process of its own, discarding what it gets) while ``wrk`` asks product pages
   at 16 connections; the same pages are measured before, with nothing to send. Goal: the site does not
   block while it sends.
3. From change to inbox with the defaults (a 30 s hold for curators, a 10 s loop): one subscriber, one
   change through the JSON API, time until the SMTP server has the mail. Goal ≤ 1 minute.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, insert
from sqlmodel import select

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.web import wrk_measure  # noqa: E402
from kb import mailer  # noqa: E402
from kb.config import Settings  # noqa: E402
from kb.core import KnowledgeBase  # noqa: E402
from kb.models import (  # noqa: E402
    Digest,
    FollowKind,
    MailStatus,
    OutboxMail,
    Subscription,
    SubscriptionStatus,
    utcnow,
)
from tests.support.records import make_mapping, make_product, make_standard  # noqa: E402

PASSWORD = "mat-khau-bench-dai-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def world(kbase: KnowledgeBase, subscribers: int) -> int:
    with kbase.session() as s:
        product = make_product(s, "Bánh phu thê Đình Bảng")
        now = utcnow()
        s.execute(insert(Subscription), [
            {"email": f"nguoi{i}@example.vn", "target_kind": FollowKind.product, "target_key": str(product.id),
             "target_label": product.name, "status": SubscriptionStatus.confirmed, "digest": Digest.immediate,
             "nonce": f"n{i}", "created_at": now, "confirmed_at": now, "last_digest_at": now}
            for i in range(subscribers)])
        return int(product.id or 0)


def change(kbase: KnowledgeBase, product_id: int, n: int) -> None:
    from kb.models import Product

    with kbase.session() as s:
        std = make_standard(s, f"TCVN {9000 + n}:2026", title_vi=f"Tiêu chuẩn thử {n}")
        make_mapping(s, s.get(Product, product_id), std, type="voluntary")


def outbox_fill(kbase: KnowledgeBase, product_id: int, runs: int) -> list[float]:
    times = []
    for n in range(runs):
        change(kbase, product_id, n)
        t = time.perf_counter()
        r = mailer.prepare(kbase)
        times.append(time.perf_counter() - t)
        print(f"  lần {n + 1}: {r.queued} thư vào hàng đợi trong {times[-1]:.2f} s")
    return times


def start(cmd: list[str], env: dict[str, str], ready_url: str | None = None) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while ready_url and time.monotonic() < deadline:
        try:
            if httpx.get(ready_url, timeout=2).status_code < 500:
                return proc
        except httpx.TransportError:
            time.sleep(0.2)
    if ready_url:
        proc.kill()
        raise SystemExit(f"did not start: {cmd}")
    return proc


def sent(kbase: KnowledgeBase) -> int:
    with kbase.session() as s:
        return int(s.exec(select(func.count()).select_from(OutboxMail).where(OutboxMail.status == MailStatus.sent)).one())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--subscribers", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="kb-bench-notify-")) / "var"
    smtp_port, web_port = free_port(), free_port()
    settings = Settings(data_dir=data_dir, notice_hold_seconds=0, smtp_url=f"smtp://127.0.0.1:{smtp_port}")
    kbase = KnowledgeBase(settings)
    kbase.init()
    product_id = world(kbase, args.subscribers)
    mailer.prepare(kbase)  # the world's own notices

    print(f"1. {args.subscribers} người theo dõi một sản phẩm, một thay đổi → hàng đợi thư (SQLite):")
    fills = outbox_fill(kbase, product_id, args.runs)
    print(f"   trung vị {statistics.median(fills):.2f} s (mục tiêu ≤ 10 s)")

    env = {**os.environ, "KB_DATA_DIR": str(data_dir), "KB_SMTP_URL": settings.smtp_url or "",
           "KB_NOTIFY_INTERVAL": "1", "KB_NOTICE_HOLD_SECONDS": "0", "KB_PUBLIC_URL": f"http://127.0.0.1:{web_port}"}
    env.pop("KB_DATABASE_URL", None)
    smtp = start([sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink",
                  "-l", f"127.0.0.1:{smtp_port}"], env)
    pages = [f"/products/{product_id}", "/", "/standards/TCVN%209000:2026"]
    quiet_env = {**env, "KB_SMTP_URL": ""}
    web = start([str(REPO / ".venv/bin/kb"), "serve", "--port", str(web_port)], quiet_env,
                f"http://127.0.0.1:{web_port}/api/browse")
    print("2. trang sản phẩm, 16 kết nối, 10 s, không có thư cần gửi: " + wrk_measure(
        f"http://127.0.0.1:{web_port}", pages, 10, 16))
    web.terminate()
    web.wait(10)
    total = args.subscribers * args.runs
    web = start([str(REPO / ".venv/bin/kb"), "serve", "--port", str(web_port)], env,
                f"http://127.0.0.1:{web_port}/api/browse")
    t = time.perf_counter()
    load = wrk_measure(f"http://127.0.0.1:{web_port}", pages, 10, 16)
    print(f"   cùng lúc vòng gửi thư của kb serve gửi {total} thư: {load}")
    while sent(kbase) < total:
        time.sleep(0.5)
    elapsed = time.perf_counter() - t
    print(f"   {total} thư gửi xong trong {elapsed:.0f} s ({total / elapsed:.0f} thư/s)")
    web.terminate()
    web.wait(10)

    # 3. Defaults: a 30 s hold, a 10 s loop; one change made through the API by a curator.
    from kb import users
    from kb.models import Role

    with kbase.session() as s:
        s.execute(Subscription.__table__.update().values(status=SubscriptionStatus.unsubscribed))  # type: ignore[attr-defined]
        users.add_user(s, "bench", PASSWORD, Role.curator)
        product2 = make_product(s, "Nước mắm cốt")
        s.add(Subscription(email="mot@example.vn", target_kind=FollowKind.product, target_key=str(product2.id),
                           target_label=product2.name, status=SubscriptionStatus.confirmed, nonce="x",
                           confirmed_at=utcnow(), last_digest_at=utcnow() - timedelta(days=1)))
        std = make_standard(s, "TCVN 5107:2018", title_vi="Nước mắm")
        mapping = make_mapping(s, product2, std, type="voluntary", status="suggested")
        mapping_id = mapping.id
    default_env = {k: v for k, v in env.items() if k not in ("KB_NOTIFY_INTERVAL", "KB_NOTICE_HOLD_SECONDS")}
    web = start([str(REPO / ".venv/bin/kb"), "serve", "--port", str(web_port)], default_env,
                f"http://127.0.0.1:{web_port}/api/browse")
    before = sent(kbase)
    with httpx.Client(base_url=f"http://127.0.0.1:{web_port}") as c:
        c.post("/login", data={"username": "bench", "password": PASSWORD})
        t = time.perf_counter()
        r = c.post("/api/mappings/bulk", json={"ids": [mapping_id], "status": "approved"})
        assert r.status_code == 200, r.text
    done = threading.Event()
    while not done.is_set() and time.perf_counter() - t < 180:
        if sent(kbase) > before:
            done.set()
        else:
            time.sleep(0.5)
    print(f"3. từ lúc duyệt (API) đến khi máy chủ thư nhận, mặc định (giữ 30 s, vòng 10 s): "
          f"{time.perf_counter() - t:.0f} s (mục tiêu ≤ 60 s)")
    web.terminate()
    smtp.terminate()
    kbase.dispose()


if __name__ == "__main__":
    main()
