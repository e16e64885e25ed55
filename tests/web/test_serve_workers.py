"""``kb serve --workers N``: N worker processes under one supervisor, kept-alive connections spread over them
(each answers); SIGTERM or SIGINT ends them all; the follow-mail loop runs once, in the supervisor; a worker (re)starting does not mark a
sibling's live ingest run interrupted; accepted connections have Nagle's algorithm off (the 44 ms of
``uvicorn --workers 2``)."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import uvicorn
from sqlmodel import select

from kb import documents, outbox, subscriptions
from kb.config import Settings
from kb.core import KnowledgeBase
from kb.models import FollowKind, IngestRun, MailKind, OutboxMail, Subscription
from tests.support.records import make_product
from tests.support.server import Server
from tests.support.smtp import SmtpServer
from web.serving import Balance, default_workers, listening_socket

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

DEADLINE = 60


def _poll(what: Callable[[], Any], message: Callable[[], str], timeout: float = DEADLINE) -> Any:
    """``what()`` once it is truthy; fails with ``message()`` after ``timeout`` seconds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = what()
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError(message())


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return out


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _workers(srv: Server) -> list[int]:
    """The supervisor's worker processes (spawned interpreters; not multiprocessing's resource tracker)."""
    return sorted(p for p in _children(srv.proc.pid)
                  if "multiprocessing.spawn" in _cmdline(p) and "resource_tracker" not in _cmdline(p))


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _started(srv: Server, n: int) -> bool:
    return sum("Application startup complete" in line for line in srv.lines) >= n


def _serve(tmp_path, **env: str) -> Server:
    kbase = KnowledgeBase(Settings(data_dir=tmp_path / "var", secret_key="test-secret"))
    kbase.init()
    with kbase.session() as session:
        make_product(session, "Nước mắm cốt Bắc Ninh")
    kbase.dispose()
    srv = Server(tmp_path / "var", {"KB_WORKERS": "2", "KB_NOTIFY_INTERVAL": "0", **env})
    _poll(lambda: _started(srv, 2) and len(_workers(srv)) == 2, lambda: f"two workers did not start:\n{srv.log()}")
    return srv


def _search(srv: Server) -> httpx.Response:
    return httpx.get(f"{srv.url}/api/search", params={"q": "nuoc mam"}, timeout=30)


def test_workers_default_to_kb_workers_then_the_cpus_this_process_may_use():
    assert default_workers(Settings(workers=3)) == 3
    assert default_workers(Settings(workers=0)) == len(os.sched_getaffinity(0))


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_to_kb_serve_ends_every_worker(tmp_path, stop):
    srv = _serve(tmp_path)
    try:
        assert len(_workers(srv)) == 2, srv.log()
        r = _search(srv)
        assert r.status_code == 200 and r.json()["hits"], r.text
        everyone = _children(srv.proc.pid)  # the workers and multiprocessing's resource tracker
        srv.proc.send_signal(stop)
        assert srv.proc.wait(DEADLINE) == 0, srv.log()
        _poll(lambda: not any(_alive(p) for p in everyone), lambda: f"left behind: {everyone}\n{srv.log()}")
    finally:
        srv.stop()
    assert "Traceback" not in srv.log()


def test_the_follow_mail_loop_runs_once_in_the_supervisor_and_sends_each_mail_once(tmp_path):
    settings = Settings(data_dir=tmp_path / "var", secret_key="test-secret")
    kbase = KnowledgeBase(settings)
    kbase.init()
    with kbase.session() as session:
        product = make_product(session, "Nước mắm cốt")
        tgt = subscriptions.target(session, FollowKind.product, str(product.id))
        for i in range(20):
            sub = Subscription(email=f"u{i}@example.vn", target_kind=tgt.kind, target_key=tgt.key,
                               target_label=tgt.label, nonce=f"n{i}")
            session.add(sub)
            session.flush()
            outbox.queue(session, sub, MailKind.confirm, [], "example")
    with kbase.session() as session:
        queued = set(session.exec(select(OutboxMail.message_id)).all())
    kbase.dispose()
    with SmtpServer() as smtp:
        srv = Server(tmp_path / "var", {"KB_WORKERS": "2", "KB_NOTIFY_INTERVAL": "1", "KB_SMTP_URL": smtp.url,
                                        "KB_PUBLIC_URL": "https://tieuchuan.bacninh.example"})
        try:
            _poll(lambda: _started(srv, 2), lambda: f"two workers did not start:\n{srv.log()}")
            received = smtp.inbox.wait_for(len(queued))
            loops = re.findall(r"Follow-mail loop started in process \[(\d+)\]", "".join(srv.lines))
            assert loops == [str(srv.proc.pid)], srv.log()  # once, in kb serve's own process
        finally:
            srv.stop()
    ids = Counter(r.message_id for r in received)
    assert set(ids) == queued and set(ids.values()) == {1}


def _open_run(settings: Settings, pid: int) -> int:
    kbase = KnowledgeBase(settings)
    try:
        with kbase.session() as session:
            run = IngestRun(actor="curator", pid=pid, host=socket.gethostname()[:255], heartbeat_at=documents.utcnow(),
                            reading=["a.pdf"], planned=[])
            session.add(run)
            session.flush()
            assert run.id is not None
            return run.id
    finally:
        kbase.dispose()


def test_a_restarted_worker_leaves_a_sibling_workers_live_run_open(tmp_path):
    settings = Settings(data_dir=tmp_path / "var", secret_key="test-secret")
    srv = _serve(tmp_path)
    try:
        sibling, victim = _workers(srv)
        live = _open_run(settings, sibling)  # a curator's upload the sibling is reading
        gone = _open_run(settings, victim)  # the worker about to die was reading this one
        os.kill(victim, signal.SIGKILL)  # the supervisor replaces it; the new worker checks for dead runs at start
        _poll(lambda: _started(srv, 3), lambda: f"no worker replaced the killed one:\n{srv.log()}")
        kbase = KnowledgeBase(settings)
        try:
            with kbase.session() as session:
                runs = {r.id: r for r in session.exec(select(IngestRun)).all()}
        finally:
            kbase.dispose()
        assert runs[gone].interrupted_at is not None  # the new worker did look
        assert runs[live].interrupted_at is None and runs[live].finished_at is None
        assert _search(srv).status_code == 200
    finally:
        srv.stop()


def _accepted_nodelay(sock: socket.socket, conn: Any) -> None:
    """In a spawned process, as a uvicorn worker: serve ``sock`` with asyncio and report TCP_NODELAY of the
    connection it accepts."""
    async def main() -> None:
        got: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        class Report(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                accepted = transport.get_extra_info("socket")
                got.set_result(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

        server = await asyncio.get_running_loop().create_server(Report, sock=sock)
        conn.send("listening")
        conn.send(await got)
        server.close()

    asyncio.run(main())


def _ours() -> socket.socket:
    return listening_socket("127.0.0.1", 0)


def _uvicorns() -> socket.socket:
    return uvicorn.Config("web.app:create_app", factory=True, host="127.0.0.1", port=0, workers=2).bind_socket()


@pytest.mark.parametrize("make, nodelay", [(_ours, True), (_uvicorns, False)], ids=["kb serve", "uvicorn"])
def test_connections_a_worker_accepts_have_nagle_off(make, nodelay):
    """The socket ``kb serve`` gives a worker; uvicorn's own (the second case) leaves Nagle on, and a keep-alive
    client then waits ≈40 ms for each answer's body (README, "Several workers")."""
    sock = make()
    spawn = multiprocessing.get_context("spawn")  # as uvicorn starts its workers
    parent, child = spawn.Pipe()
    proc = spawn.Process(target=_accepted_nodelay, args=(sock, child))
    proc.start()
    try:
        assert parent.poll(DEADLINE) and parent.recv() == "listening"
        with socket.create_connection(sock.getsockname()[:2], timeout=DEADLINE):
            assert parent.poll(DEADLINE)
            assert bool(parent.recv()) is nodelay
    finally:
        proc.join(DEADLINE)
        if proc.is_alive():
            proc.kill()
        sock.close()


def _established(pid: int, port: int) -> int:
    """Connections to ``port`` that process ``pid`` holds (its socket inodes among /proc/net/tcp's rows)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    n = 0
    with open(f"/proc/{pid}/net/tcp") as fh:
        for row in fh.readlines()[1:]:
            f = row.split()
            if int(f[1].split(":")[1], 16) == port and f[3] == "01" and f[9] in inodes:  # 01: ESTABLISHED
                n += 1
    return n


def test_kept_alive_connections_split_evenly_over_the_workers(tmp_path):
    """With one shared socket asyncio's accept let the first worker to wake take all 16 connections of the
    benchmark; with a socket each the kernel's hash split them 10/6 to 13/3. Each worker now takes a waiting
    connection at once only while no other holds fewer."""
    srv = _serve(tmp_path)
    try:
        workers = _workers(srv)
        clients = [socket.create_connection(("127.0.0.1", srv.port), timeout=DEADLINE) for _ in range(16)]
        try:
            for c in clients:  # an answer on each: every connection has been accepted by some worker
                c.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            for c in clients:
                assert c.recv(4096).startswith(b"HTTP/1.1 200")
            held = [_established(pid, srv.port) for pid in workers]
        finally:
            for c in clients:
                c.close()
        assert sum(held) == 16 and max(held) - min(held) <= 1, held
    finally:
        srv.stop()


def test_a_stuck_worker_leaves_its_share_of_new_connections_to_the_others(tmp_path):
    """A worker holding more connections leaves a waiting one to a worker holding fewer only for a while: one
    that is stuck (stopped here) does not keep new visitors out."""
    srv = _serve(tmp_path)
    stuck, live = _workers(srv)
    os.kill(stuck, signal.SIGSTOP)
    try:
        clients = [socket.create_connection(("127.0.0.1", srv.port), timeout=DEADLINE) for _ in range(5)]
        try:
            for c in clients:  # each answered, so accepted, though the stuck worker holds none
                c.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
                assert c.recv(4096).startswith(b"HTTP/1.1 200")
            assert _established(live, srv.port) == 5
        finally:
            for c in clients:
                c.close()
    finally:
        os.kill(stuck, signal.SIGCONT)
        srv.stop()


def test_failed_logins_count_across_the_workers(tmp_path):
    """Ten failures a minute from one address, whichever worker each came to (each kept its own count)."""
    srv = _serve(tmp_path)
    try:
        # a kept-alive connection each: every worker holds some of them (the split test above)
        clients = [httpx.Client(base_url=srv.url, timeout=30) for _ in range(11)]
        try:
            answers = [c.post("/api/auth/login", json={"username": "ai-do", "password": "sai"}).status_code
                       for c in clients]
            held = [_established(pid, srv.port) for pid in _workers(srv)]
        finally:
            for c in clients:
                c.close()
        assert min(held) >= 5, held
        assert answers == [401] * 10 + [429]
    finally:
        srv.stop()


def test_a_worker_takes_a_waiting_connection_first_only_while_no_other_holds_fewer():
    counts = [3, 3, 5]
    assert Balance(counts, 0).first_turn() and Balance(counts, 1).first_turn()  # a tie: both may
    assert not Balance(counts, 2).first_turn()
    Balance(counts, 2).publish(2)
    assert counts == [3, 3, 2] and Balance(counts, 2).first_turn() and not Balance(counts, 0).first_turn()


FROZEN_AFTER_STARTUP = """
import asyncio, gc, uvicorn
from web.serving import _Server

async def app(scope, receive, send):
    pass

server = _Server(uvicorn.Config(app, lifespan="off"))
server.config.load()
server.lifespan = server.config.lifespan_class(server.config)
before = gc.get_freeze_count()
asyncio.run(server.startup(sockets=[]))
print(before, gc.get_freeze_count())
"""


def test_kb_serve_leaves_what_exists_after_startup_out_of_full_collections():
    """A full collection walked the imports' ≈190,000 objects in 93 ms while the worker's connections waited."""
    out = subprocess.run([sys.executable, "-c", FROZEN_AFTER_STARTUP], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    before, after = map(int, out.stdout.split())
    assert before == 0 and after > 10_000  # fastapi, starlette, sqlalchemy, the app's modules


def test_a_port_in_use_is_one_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        kb = os.path.join(os.path.dirname(sys.executable), "kb")
        env = {**os.environ, "KB_DATA_DIR": str(tmp_path / "var"), "KB_NOTIFY_INTERVAL": "0"}
        env.pop("KB_DATABASE_URL", None)
        out = subprocess.run([kb, "serve", "--port", str(port), "--workers", "2"], capture_output=True, text=True,
                             timeout=60, env=env)
    assert out.returncode == 1
    assert out.stderr.strip().count("\n") == 0 and f"127.0.0.1:{port}" in out.stderr, out.stderr


def test_kb_serve_help_names_workers():
    kb = os.path.join(os.path.dirname(sys.executable), "kb")
    out = subprocess.run([kb, "serve", "--help"], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "COLUMNS": "200"})
    assert out.returncode == 0 and "--workers" in out.stdout, out.stdout + out.stderr


def test_workers_share_a_fresh_metrics_directory_and_one_worker_none(tmp_path, monkeypatch):
    from web.serving import _metrics_dir

    settings = Settings(data_dir=tmp_path / "var")
    old = tmp_path / "var" / "metrics" / "counter_123.db"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"an earlier run's counters")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "elsewhere"))
    _metrics_dir(settings, 2)
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str((tmp_path / "var" / "metrics").resolve())
    assert (tmp_path / "var" / "metrics").is_dir() and not old.exists()
    _metrics_dir(settings, 1)
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ
