"""A real server process for tests that need one: ``kb serve`` (or uvicorn on the app factory) on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path


class Server:
    """``kb serve`` (or uvicorn on the app factory) in a subprocess; ready when uvicorn says so."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None):
        """``env``: more settings for the server; ``{url}`` in a value is the server's own address."""
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        kb = Path(sys.executable).with_name("kb")
        cmd = [str(kb), "serve", "--port", str(self.port)] if kb.exists() else [
            sys.executable, "-m", "uvicorn", "web.app:create_app", "--factory", "--port", str(self.port)]
        more = {k: v.format(url=self.url) for k, v in (env or {}).items()}
        env = {**os.environ, "KB_DATA_DIR": str(data_dir), "KB_DATABASE_URL": "", **more}
        if not more.get("KB_DATABASE_URL"):
            env.pop("KB_DATABASE_URL")
        self.lines: list[str] = []
        self.ready = threading.Event()
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        if not self.ready.wait(30) or self.proc.poll() is not None:
            self.stop()
            raise RuntimeError(f"server did not start: {cmd}\n{self.log()}")

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line)
            if "Uvicorn running on" in line or "Application startup complete" in line:
                self.ready.set()
        self.ready.set()  # process ended: stop waiting

    def log(self) -> str:
        return "".join(self.lines[-60:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.reader.join(10)  # EOF once the process is gone
        self.proc.stdout.close()


#: What the page and browser tests' servers run with: they test pages, not the sharing of work between
#: processes (tests/web/test_serve_workers.py does), and each more worker imports the whole app again.
ONE_WORKER = {"KB_WORKERS": "1"}


def world_server(tmp_path_factory, name: str, env: dict[str, str] | None = None) -> Server:
    """A server on a fresh SQLite knowledge base holding ``build_world``'s records (as ``srv.world``); ``env``
    more settings (see :class:`Server`)."""
    from kb.config import Settings
    from kb.core import KnowledgeBase
    from tests.support.records import build_world

    data_dir = tmp_path_factory.mktemp(name) / "var"
    kbase = KnowledgeBase(Settings(data_dir=data_dir, secret_key="test-secret"))
    kbase.init()
    world = build_world(kbase)
    kbase.dispose()
    srv = Server(data_dir, {**ONE_WORKER, **(env or {})})
    srv.world = world  # type: ignore[attr-defined]
    return srv


def seeded_server(tmp_path_factory, name: str, prepare=None, env: dict[str, str] | None = None) -> Server:
    """A server on a fresh SQLite knowledge base holding ``tests.support.accounts.seed``'s records and accounts
    (as ``srv.world``; its data dir as ``srv.data_dir``). ``prepare(kbase, world)`` adds what a test needs
    before the server starts; ``env`` more settings (see :class:`Server`)."""
    from kb.config import Settings
    from kb.core import KnowledgeBase
    from tests.support.accounts import seed

    data_dir = tmp_path_factory.mktemp(name) / "var"
    kbase = KnowledgeBase(Settings(data_dir=data_dir, secret_key="test-secret"))
    kbase.init()
    world = seed(kbase)
    if prepare is not None:
        prepare(kbase, world)
    kbase.dispose()
    srv = Server(data_dir, {**ONE_WORKER, **(env or {})})
    srv.world = world  # type: ignore[attr-defined]
    srv.data_dir = data_dir  # type: ignore[attr-defined]
    return srv
