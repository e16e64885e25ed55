"""The worker sandbox: each file is read in its own short-lived process (forked where the platform allows).

A parser that spins is killed at the per-file time limit, a PDF bomb that eats memory hits the
worker's address-space limit, a crash in pdfium takes only that worker down — and memory stays flat
in the number of files. A worker sends back one ``IngestResult`` (or a one-line failure reason) and
exits; only the parent writes the database. A worker dies with its parent (``kill -9`` of ``kb ingest``
or of the server): on Linux the kernel kills it (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from multiprocessing.connection import wait as wait_ready
from pathlib import Path
from typing import Any

from ingest import dispatch
from ingest.diacritics import Vocabulary
from kb.errors import IngestError, KBError
from kb.records import IngestResult

#: Address space a worker may add to what it inherits (pdfium allocations of a stream bomb fail here).
WORKER_MEMORY_MB = 2048


def one_line(exc: BaseException) -> str:
    text = exc.message if isinstance(exc, KBError) else f"{type(exc).__name__}: {exc}"
    return " ".join(str(text).split())[:300] or type(exc).__name__


def _limit_memory(mb: int = WORKER_MEMORY_MB) -> None:
    """Cap the address space at what the process has plus ``mb`` (a spreadsheet worker asks for less)."""
    try:
        import resource

        with open("/proc/self/statm") as fh:
            current = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        limit = current + mb * 1024 * 1024
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, OSError, ValueError):
        pass  # not Linux: the time limit still applies


_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int | None) -> None:
    """Ask the kernel to SIGKILL this worker when the process that forked it dies. The worker is in its own
    process group (below), so a kill of the parent's group would not reach it; without this a ``kill -9``
    of the parent left workers reading on (issue 15). SIGKILL, not a handler: a worker stuck in pdfium's C
    code would not run a Python handler until it returned. Elsewhere than Linux, the check below only."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if parent is not None and os.getppid() != parent:  # the parent died before the request above took effect
        os._exit(1)


def _child(conn, path: str, ocr: bool, timeout: float, vocabulary: Vocabulary | None = None,
           parent: int | None = None) -> None:
    """Worker process body: one file, one message back, exit."""
    _die_with_parent(parent)
    try:
        os.setpgrp()  # so the parent can kill OCR subprocesses together with this worker
    except OSError:
        pass
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    except ValueError:
        pass  # not the main thread of this interpreter
    _limit_memory()
    try:
        result: IngestResult | str = dispatch.process_file(Path(path), ocr=ocr, timeout=timeout, notify=conn.send,
                                                                vocabulary=vocabulary)
    except IngestError as exc:
        result = one_line(exc)
    except MemoryError:
        result = f"vượt giới hạn bộ nhớ {WORKER_MEMORY_MB} MB khi đọc (nghi là PDF bomb)"
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop the batch
        result = f"lỗi khi đọc tệp: {one_line(exc)}"
    try:
        conn.send(("result", result))
    except Exception as exc:  # noqa: BLE001 - e.g. an unpicklable value: still report the file
        conn.send(("result", f"lỗi khi gửi kết quả: {one_line(exc)}"))
    conn.close()


@dataclass
class Job:
    """One file for a worker: its place in the batch and what storing it needs; the pool sets the rest."""

    index: int
    path: Path
    sha256: str
    reuse_document_id: int | None = None  # a needs_ocr document now being OCR'd
    started: float = 0.0
    deadline: float = 0.0
    proc: Any = None
    conn: Any = None


def _context():
    """fork: fast, and the worker inherits the loaded modules. Python 3.12+ deprecates forking a
    threaded process (the web's upload handler runs in a thread), so there a fork server is used."""
    methods = mp.get_all_start_methods()
    threaded = threading.active_count() > 1
    if "fork" in methods and not (threaded and sys.version_info >= (3, 12)):
        return mp.get_context("fork")
    return mp.get_context("forkserver" if "forkserver" in methods else "spawn")


def build_may_fork() -> bool:
    """A first index build may fork as the parse workers do: only when the default start method is fork and
    fork is what ``_context`` would choose here (the CLI's progress bar and the web's upload handler run
    threads; that is fine before Python 3.12). The build's processes (``kb.search._index._fill_in_processes``)
    are forked and open database connections of their own."""
    default = mp.get_start_method(allow_none=True) or mp.get_all_start_methods()[0]
    return default == "fork" and _context().get_start_method() == "fork"


def _kill(job: Job) -> None:
    proc = job.proc
    if proc is None:
        return
    try:
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows
            proc.kill()
    except (ProcessLookupError, PermissionError, OSError):
        proc.kill()
    proc.join(timeout=5)


def run_pool(jobs: Iterable[Job], workers: int, timeout: float, ocr: bool,
              handle: Callable[[Job, IngestResult | str], None], vocabulary: Vocabulary | None = None,
              *, started: Callable[[list[Job]], None] | None = None, tick: Callable[[], None] | None = None,
              tick_seconds: float = 10.0) -> None:
    """Run jobs in at most ``workers`` processes; ``handle`` gets each outcome in the parent, in finish order:
    the ``IngestResult`` the worker read, or the one-line reason the file failed.

    ``jobs`` is consumed lazily, so the first file is being read while the next ones are still hashed.
    ``started`` hears the jobs in the workers whenever that set grows; ``tick`` is called at least every
    ``tick_seconds`` while files are being read (the run's heartbeat).
    """
    ctx = _context()
    # The process that forks the workers; with a fork server that is the server, which exits with us.
    parent = os.getpid() if ctx.get_start_method() == "fork" else None
    source = iter(jobs)
    running: dict[Any, Job] = {}

    def refill() -> None:
        grew = False
        while len(running) < workers:
            job = next(source, None)
            if job is None:
                break
            reader, writer = ctx.Pipe(duplex=False)
            job.proc = ctx.Process(target=_child, args=(writer, str(job.path), ocr, timeout, vocabulary, parent),
                                   daemon=True)
            job.started = time.monotonic()
            job.deadline = job.started + timeout
            job.proc.start()
            writer.close()
            job.conn = reader
            running[reader] = job
            grew = True
        if grew and started is not None:
            started(list(running.values()))

    last_tick = time.monotonic()
    try:
        while True:
            refill()
            if not running:
                return
            if tick is not None and time.monotonic() - last_tick >= tick_seconds:
                tick()
                last_tick = time.monotonic()
            soonest = min(min(j.deadline for j in running.values()), last_tick + tick_seconds)
            ready = wait_ready(list(running), timeout=max(0.0, soonest - time.monotonic()))
            finished: list[tuple[Job, IngestResult | str]] = []
            for conn in ready:
                job = running[conn]
                try:
                    kind, payload = conn.recv()
                except (EOFError, OSError, ValueError, TypeError):
                    kind, payload = "result", None
                if kind == "extend":
                    job.deadline = time.monotonic() + float(payload)
                    continue
                del running[conn]
                conn.close()
                job.proc.join(timeout=5)
                if payload is None:
                    payload = (f"tiến trình đọc tệp dừng đột ngột (mã thoát {job.proc.exitcode}); "
                               "tệp có thể hỏng hoặc là PDF bomb")
                elif job.proc.is_alive():
                    _kill(job)
                finished.append((job, payload))
            now = time.monotonic()
            for conn, job in list(running.items()):
                if now >= job.deadline:
                    del running[conn]
                    _kill(job)
                    conn.close()
                    finished.append((job, f"quá thời gian xử lý cho một tệp ({timeout:g} s): bỏ qua"))
            refill()  # keep the workers busy while this process stores what came back
            for job, payload in finished:
                handle(job, payload)
    finally:
        for job in running.values():
            _kill(job)
            job.conn.close()
