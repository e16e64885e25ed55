"""``kb serve``: one process, or a supervisor and N worker processes (uvicorn's) that share one listening socket.

With one worker the app runs in ``kb serve``'s own process, as it always did. With more, ``kb serve`` binds
the socket, starts the follow-mail loop in its own process (which serves no request), and supervises the
workers: each imports ``web.app:create_app`` afresh and reads its settings from the environment it inherits
(``KB_*``), so every worker sees what ``kb serve`` saw. A worker that dies is replaced; SIGTERM or SIGINT
stop them all (each finishes its requests first, for at most :data:`GRACEFUL_SECONDS`).

Why the socket is made here (README, "Several workers"): uvicorn binds the socket it hands to its workers
with ``socket.socket(AF_INET)``, whose protocol number is 0, and asyncio only turns Nagle's algorithm off
(``TCP_NODELAY``) on connections accepted from a socket that says ``IPPROTO_TCP``. Every answer is written
in two pieces (headers, then body); without ``TCP_NODELAY`` the body waits for the client's acknowledgement
of the headers, which a keep-alive client delays by ≈40 ms: the constant ≈44 ms of ``uvicorn --workers 2``.

Why the workers accept connections themselves (:class:`_BalancedServer`): a kept-alive connection stays with
the worker that accepted it, so the split of connections is the split of the load. asyncio accepts every
waiting connection at once, and the first worker to wake took all 16 of the benchmark; one socket per
worker (``SO_REUSEPORT``) left the split to the kernel's hash of the addresses: 10/6, 12/4 and 13/3 were
seen, and the busier worker's answers took twice as long.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import multiprocessing
import os
import shutil
import socket
import threading
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE, Config
from uvicorn.supervisors.multiprocess import Multiprocess, Process

from kb.config import Settings
from kb.core import KnowledgeBase
from kb.errors import KBError

log = logging.getLogger("uvicorn.error")

#: Seconds a stopping worker waits for the requests it is answering before it closes them.
GRACEFUL_SECONDS = 20


def default_workers(settings: Settings) -> int:
    """``KB_WORKERS``, or one worker per CPU this process may run on."""
    if settings.workers > 0:
        return settings.workers
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def listening_socket(host: str, port: int, backlog: int = 2048) -> socket.socket:
    """The TCP socket every worker accepts from, listening from here on (port 0: a free one): connections wait
    in its backlog while the workers start, or one is replaced, instead of being refused. It says
    ``IPPROTO_TCP``, so asyncio turns Nagle off on what it accepts (see the module's doc)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # inherited by accepted sockets on Linux
        sock.bind((host, port))
        sock.listen(backlog)
        sock.set_inheritable(True)
    except OSError as exc:
        sock.close()
        raise KBError(f"không mở được địa chỉ {host}:{port}: {exc.strerror or exc}") from None
    return sock


#: How long a worker holding more open connections than another leaves a waiting connection to it before
#: taking the connection itself (the other may be busy with a long request, or stuck).
DEFER_SECONDS = 0.05


class Balance:
    """Each worker's number of open connections, in memory the workers share (``counts``, one slot each)."""

    def __init__(self, counts: Any, slot: int):
        self.counts = counts
        self.slot = slot

    def publish(self, open_connections: int) -> None:
        self.counts[self.slot] = open_connections

    def first_turn(self) -> bool:
        """Whether this worker takes a waiting connection at once: no other worker holds fewer."""
        mine = self.counts[self.slot]
        return all(mine <= n for i, n in enumerate(self.counts) if i != self.slot)


class _Server(uvicorn.Server):
    """uvicorn's server. Once the app has started, what exists by then (modules, the app, the knowledge base)
    is left out of the garbage collector's full collections (``gc.freeze``): they walked ≈190,000 objects of
    imports, 93 ms during which every connection of the process waited; 14 ms after. Only in ``kb serve``:
    tests build hundreds of apps in one process, and frozen garbage with reference cycles is never freed."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        gc.freeze()


class _BalancedServer(_Server):
    """uvicorn's server, accepting one connection at a time from the shared socket, and first only while no
    other worker holds fewer connections (:class:`Balance`); otherwise after :data:`DEFER_SECONDS`, if no
    other worker took it meanwhile."""

    def __init__(self, config: Config, balance: Balance):
        super().__init__(config)
        self.balance = balance
        self.acceptor: asyncio.Task | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=[])  # the app's lifespan, and no listener of uvicorn's: accepting is ours
        if self.started and sockets:
            self.balance.publish(0)
            self.acceptor = asyncio.get_running_loop().create_task(self._accept(sockets[0]))

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self.acceptor is not None:  # no new connection from here on; uvicorn then closes the socket
            self.acceptor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.acceptor
        await super().shutdown(sockets)

    def _protocol_factory(self, loop: asyncio.AbstractEventLoop) -> Any:
        """uvicorn's protocol (as its own ``startup`` makes it), publishing this worker's open connections."""
        config, state, balance = self.config, self.server_state, self.balance

        class Counted(config.http_protocol_class):  # type: ignore[name-defined,misc]
            def connection_made(self, transport: Any) -> None:
                super().connection_made(transport)
                balance.publish(len(state.connections))

            def connection_lost(self, exc: Exception | None) -> None:
                super().connection_lost(exc)
                balance.publish(len(state.connections))

        return lambda: Counted(config=config, server_state=state, app_state=self.lifespan.state, _loop=loop)

    async def _accept(self, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        protocol = self._protocol_factory(loop)
        sock.setblocking(False)
        while True:
            await _readable(loop, sock)
            if not self.balance.first_turn():
                await asyncio.sleep(DEFER_SECONDS)  # the worker with fewer connections takes it meanwhile
            try:
                conn, _ = sock.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                continue  # another worker took it
            except OSError as exc:  # out of file descriptors: try again in a while, as asyncio does
                log.error("accepting a connection failed: %s", exc)
                await asyncio.sleep(1)
                continue
            conn.setblocking(False)
            try:
                await loop.connect_accepted_socket(protocol, conn)
            except Exception:  # noqa: BLE001 - one connection lost, never the worker's accepting
                log.exception("serving an accepted connection failed")
                conn.close()


async def _readable(loop: asyncio.AbstractEventLoop, sock: socket.socket) -> None:
    """Until a connection waits on ``sock`` (for every worker: the one that accepts first gets it)."""
    ready = loop.create_future()
    loop.add_reader(sock.fileno(), lambda: ready.done() or ready.set_result(None))
    try:
        await ready
    finally:
        loop.remove_reader(sock.fileno())


class _Worker(Process):
    """uvicorn's worker process, with :class:`_BalancedServer` on slot ``slot`` of the shared counts."""

    def __init__(self, config: Config, sock: socket.socket, counts: Any, slot: int):
        self.balance = Balance(counts, slot)
        super().__init__(config, [sock])

    @property
    def server(self) -> uvicorn.Server:
        if self._server is None:
            self._server = _BalancedServer(self.config, self.balance)
        return self._server


class _Supervisor(Multiprocess):
    """uvicorn's supervisor, starting :class:`_Worker` processes: worker ``i`` (and its replacement) publishes
    its open connections in slot ``i``.

    The three methods that start workers are uvicorn 0.54's with :meth:`_worker` in place of ``Process``;
    adding or removing workers by signal (SIGTTIN/SIGTTOU) is not offered: the number of slots is fixed.
    """

    def __init__(self, config: Config, sock: socket.socket):
        super().__init__(config, sockets=[sock])
        self.counts = multiprocessing.get_context("spawn").RawArray("i", self.processes_num)

    def _worker(self, idx: int) -> Process:
        return _Worker(self.config, self.sockets[0], self.counts, idx)
    def init_processes(self) -> None:
        for idx in range(self.processes_num):
            process = self._worker(idx)
            process.start()
            self.processes.append(process)
        # uvicorn's line, said once every worker answers, as one process says it once it does
        for process in self.processes:
            process.wait_until_ready(self.config.timeout_worker_healthcheck * 12, self.should_exit)
        host, port = self.sockets[0].getsockname()[:2]
        shown = f"[{host}]" if self.sockets[0].family == socket.AF_INET6 else host
        log.info("Uvicorn running on http://%s:%d (Press CTRL+C to quit)", shown, port)

    def restart_all(self) -> None:  # SIGHUP: each worker replaced once its replacement is ready
        for idx, old_process in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            new_process = self._worker(idx)
            new_process.start()
            if not new_process.wait_until_ready(self.config.timeout_worker_healthcheck, self.should_exit):
                new_process.kill()
                new_process.join()
                if not self.should_exit.is_set():
                    log.error("New worker [%s] was not ready in time; keeping [%s]", new_process.pid, old_process.pid)
                return
            old_process.terminate()
            old_process.join()
            self.processes[idx] = new_process

    def keep_subprocess_alive(self) -> None:
        if self.should_exit.is_set():
            return
        for idx, process in enumerate(self.processes):
            if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue
            process.kill()  # hung or dead
            process.join()
            if process.exitcode == STARTUP_FAILURE:  # the app cannot start: every restart would fail alike
                log.error("Worker [%s] failed to start, stopping.", process.pid)
                self.should_exit.set()
                return
            if self.should_exit.is_set():
                return
            log.info("Worker [%s] died; starting another", process.pid)
            process = self._worker(idx)
            process.start()
            self.processes[idx] = process

    def handle_ttin(self) -> None:
        log.info("Received SIGTTIN: the number of workers is set by --workers (restart kb serve)")

    def handle_ttou(self) -> None:
        log.info("Received SIGTTOU: the number of workers is set by --workers (restart kb serve)")


def _log_config() -> dict[str, Any] | None:
    """uvicorn's logging setup, applied in ``kb serve`` and again in each worker (the config travels to them):
    uvicorn's own lines plus the app's one JSON line per request (``kb.access``)."""
    from web.observability import uvicorn_log_config

    return uvicorn_log_config()


def _metrics_dir(settings: Settings, workers: int) -> None:
    """Workers write their metrics to files in one fresh directory, which ``/metrics`` adds up
    (prometheus-client's multiprocess mode, ``PROMETHEUS_MULTIPROC_DIR``). One worker keeps them in memory."""
    if workers == 1:
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)  # an inherited value would point at stale files
        return
    path = (settings.data_dir / "metrics").resolve()
    shutil.rmtree(path, ignore_errors=True)  # counters of an earlier run are not this run's
    path.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)


def _start_mailer(kbase: KnowledgeBase) -> threading.Event:
    """The follow-mail loop, once per ``kb serve`` (never in a worker); set the event to stop it."""
    stop = threading.Event()
    if kbase.settings.notify_interval > 0:
        from kb import mailer

        threading.Thread(target=mailer.loop, args=(KnowledgeBase(kbase.settings), stop),
                         name="kb-notify", daemon=True).start()
        log.info("Follow-mail loop started in process [%d]", os.getpid())
    return stop


def serve(kbase: KnowledgeBase, host: str, port: int, workers: int) -> None:
    """Serve the site on ``host:port`` with ``workers`` processes (see the module's doc)."""
    from web import auth

    settings = kbase.settings
    auth.check_secret(settings)  # once, as one line, before any worker would fail on it
    _metrics_dir(settings, workers)
    options: dict[str, Any] = {
        "host": host, "port": port, "log_level": "info", "log_config": _log_config(),
        # Forwarded headers are the app's business (KB_TRUSTED_PROXIES); uvicorn would trust 127.0.0.1's.
        "proxy_headers": False,
        "access_log": False,  # one JSON line per request comes from the app's middleware
        "timeout_graceful_shutdown": GRACEFUL_SECONDS,
    }
    if workers == 1:
        from web.app import create_app

        config = uvicorn.Config(create_app(settings), **options)
        stop = _start_mailer(kbase)
        try:
            _Server(config).run()
        finally:
            stop.set()
        return
    config = uvicorn.Config("web.app:create_app", factory=True, workers=workers, **options)
    sock = listening_socket(host, port, config.backlog)
    stop = _start_mailer(kbase)
    try:
        _Supervisor(config, sock).run()
    finally:
        stop.set()
        sock.close()
