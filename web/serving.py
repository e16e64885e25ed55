"""``kb serve``: one process, or a supervisor and N worker processes (uvicorn's), one listening socket each.

With one worker the app runs in ``kb serve``'s own process, as it always did. With more, ``kb serve`` binds
the sockets, starts the follow-mail loop in its own process (which serves no request), and supervises the
workers: each imports ``web.app:create_app`` afresh and reads its settings from the environment it inherits
(``KB_*``), so every worker sees what ``kb serve`` saw. A worker that dies is replaced; SIGTERM or SIGINT
stop them all (each finishes its requests first, for at most :data:`GRACEFUL_SECONDS`).

Why the sockets are made here (README, "Several workers"): uvicorn binds the socket it hands to its workers
with ``socket.socket(AF_INET)``, whose protocol number is 0, and asyncio only turns Nagle's algorithm off
(``TCP_NODELAY``) on connections accepted from a socket that says ``IPPROTO_TCP``. Every answer is written
in two pieces (headers, then body); without ``TCP_NODELAY`` the body waits for the client's acknowledgement
of the headers, which a keep-alive client delays by ≈40 ms: the constant ≈44 ms of ``uvicorn --workers 2``.
And one shared socket let one worker take every kept-alive connection (see :func:`worker_sockets`).
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE
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


def worker_sockets(host: str, port: int, workers: int, backlog: int = 2048) -> list[socket.socket]:
    """One listening TCP socket per worker, all on ``host:port`` (``SO_REUSEPORT``; port 0: a free one).

    uvicorn would hand every worker the same socket, and asyncio accepts all waiting connections at once:
    the first worker to wake took all 16 kept-alive connections of the benchmark and the other idled
    (``ss -tnp``). With a socket each, the kernel spreads new connections over the workers. Each socket says
    ``IPPROTO_TCP``, so asyncio turns Nagle off on what it accepts (see the module's doc). They listen from
    here on: connections wait in the backlog while the workers start, or one is replaced, instead of being
    refused.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:  # refused if anything listens there, even another
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # kb serve sharing its port by SO_REUSEPORT
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise KBError(f"không mở được địa chỉ {host}:{port}: {exc.strerror or exc}") from None
        port = probe.getsockname()[1]
    socks: list[socket.socket] = []
    try:
        for _ in range(workers):
            sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            socks.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # inherited by accepted sockets on Linux
            sock.bind((host, port))
            sock.listen(backlog)
            sock.set_inheritable(True)
    except OSError as exc:
        for sock in socks:
            sock.close()
        raise KBError(f"không mở được địa chỉ {host}:{port}: {exc.strerror or exc}") from None
    return socks


class _Supervisor(Multiprocess):
    """uvicorn's supervisor, but worker ``i`` (and its replacement) serves socket ``i`` only.

    The three methods that start workers are uvicorn 0.54's, with the socket chosen by the worker's index;
    adding or removing workers by signal (SIGTTIN/SIGTTOU) is not offered: a new worker needs a new socket.
    """

    def _worker(self, idx: int) -> Process:
        return Process(self.config, [self.sockets[idx]])

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
            uvicorn.Server(config).run()
        finally:
            stop.set()
        return
    config = uvicorn.Config("web.app:create_app", factory=True, workers=workers, **options)
    socks = worker_sockets(host, port, workers, config.backlog)
    stop = _start_mailer(kbase)
    try:
        _Supervisor(config, sockets=socks).run()
    finally:
        stop.set()
        for sock in socks:
            sock.close()
