"""``kb serve``: one process, or a supervisor and N worker processes (uvicorn's) sharing one listening socket.

With one worker the app runs in ``kb serve``'s own process, as it always did. With more, ``kb serve`` binds
the socket, starts the follow-mail loop in its own process (which serves no request), and uvicorn's
supervisor spawns the workers: each imports ``web.app:create_app`` afresh and reads its settings from the
environment it inherits (``KB_*``), so every worker sees what ``kb serve`` saw. A worker that dies is
replaced; SIGTERM or SIGINT stop them all (each finishes its requests first, for at most
:data:`GRACEFUL_SECONDS`).

Why the socket is wrapped here: uvicorn binds the socket it hands to its workers with
``socket.socket(AF_INET)``, whose protocol number is 0, and asyncio only turns Nagle's algorithm off
(``TCP_NODELAY``) on accepted connections whose listening socket says ``IPPROTO_TCP``. Every answer is
written in two pieces (headers, then body); without ``TCP_NODELAY`` the body waits for the client's
acknowledgement of the headers, which a keep-alive client delays by ≈40 ms. That was the constant
≈44 ms of ``uvicorn --workers 2`` (README, "Several workers").
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

from kb.config import Settings
from kb.core import KnowledgeBase

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


class _Config(uvicorn.Config):
    """uvicorn's config whose shared socket is a TCP socket asyncio recognises (see the module's doc)."""

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            if sock.proto != socket.IPPROTO_TCP:
                sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # inherited by accepted sockets on Linux
        # Listening from here on, connections wait in the backlog while the workers start (or one is replaced)
        # instead of being refused; "Uvicorn running on" then means what it says.
        sock.listen(self.backlog)
        return sock


def _log_config() -> dict[str, Any] | None:
    """uvicorn's logging setup, applied in ``kb serve`` and again in each worker.

    The place to wire structured logs (``web.observability.uvicorn_log_config()``) when they land.
    """
    return uvicorn.config.LOGGING_CONFIG


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

        config = _Config(create_app(settings), **options)
        stop = _start_mailer(kbase)
        try:
            uvicorn.Server(config).run()
        finally:
            stop.set()
        return
    config = _Config("web.app:create_app", factory=True, workers=workers, **options)
    sock = config.bind_socket()
    stop = _start_mailer(kbase)
    try:
        Multiprocess(config, sockets=[sock]).run()
    finally:
        stop.set()
        sock.close()
