"""Page cache: a pure-ASGI middleware that keeps successful GET responses until the data changes.

Every request asks for the data version (row counts and newest changes of the tables pages show, one query;
read again only when this process wrote something or :data:`VERSION_TRUST` seconds went by) and the search
index for what it holds (its live generation and newest commit: a directory listing), and serves a stored
response only when it was rendered from the same of both: a change made through this process shows at once,
one made by another process (``kb import``, a second server) within ``VERSION_TRUST``, a rebuilt or caught-up
index at once. A
response marked ``Cache-Control: no-store`` (a search answered from the database while the index is rebuilt)
is never kept. An unsafe request empties the cache only when it succeeded (< 400) and moved the data version:
a refused POST, or one by an anonymous visitor that changed nothing, costs the other visitors nothing.
Requests carrying a session cookie bypass it: a signed-in curator may see more than the public page.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from datetime import date
from typing import Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kb.core import KnowledgeBase
from kb.db import write_commits
from kb.fingerprint import PAGES, fingerprint, index_version
from web.auth import SESSION_COOKIE
from web.deps import DATA_VERSION

SAFE = ("GET", "HEAD")
#: Seconds a data version read from the database is trusted while nothing is written through this process:
#: what another process (``kb import``, a second server, a worker beside this one) commits shows after at
#: most this long; what this process commits, at once.
VERSION_TRUST = 1.0
#: Signed-in pages are personal: never cached.
SESSION_MARK = f"{SESSION_COOKIE}=".encode()
#: The operator's endpoints (web/routes/ops.py): answered fresh every time, and /healthz without the database.
OPS_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class PageCache:
    def __init__(self, app: ASGIApp, kbase: KnowledgeBase, max_entries: int = 512, max_bytes: int = 2_000_000):
        self.app = app
        self.kbase = kbase
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.entries: OrderedDict[tuple, tuple[Any, tuple, list[tuple[bytes, bytes]], bytes]] = OrderedDict()
        self.hits = self.misses = 0
        #: the last data version read: (this process's write commits then, when, the version)
        self.known: tuple[int, float, dict[str, Any]] | None = None

    def _trusted(self) -> dict[str, Any] | None:
        """The data version last read, while it may be trusted: nothing written through this process since,
        and read less than :data:`VERSION_TRUST` seconds ago (counting 18 tables' rows took 12–19 ms a request
        on PostgreSQL with 110,000 products)."""
        known = self.known
        if known is not None and known[0] == write_commits(self.kbase.engine) and time.monotonic() - known[1] < VERSION_TRUST:
            return known[2]
        return None

    async def _current(self) -> dict[str, Any]:
        """The data version: the trusted one right here, else read from the database in a worker thread
        (a hand-off for every request cost more than the trusted version's check)."""
        version = self._trusted()
        return version if version is not None else await anyio.to_thread.run_sync(self._version)

    def _version(self) -> dict[str, Any]:
        """The data version, read again unless :meth:`_trusted`."""
        trusted = self._trusted()
        if trusted is not None:
            return trusted
        writes, now = write_commits(self.kbase.engine), time.monotonic()
        with self.kbase.session() as session:
            version = fingerprint(session, PAGES)
        self.known = (writes, now, version)
        return version

    async def _unsafe(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run a POST/PUT/PATCH/DELETE; empty the cache only when it succeeded and moved the data version.
        (Entries of another version are never served anyway: emptying only frees them early.)"""
        before = await self._current()
        status: list[int] = []

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            if status and status[0] < 400 and await self._current() != before:
                self.entries.clear()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] not in SAFE:
            await self._unsafe(scope, receive, send)
            return
        path = scope["path"]
        cookies = b"".join(v for k, v in scope["headers"] if k == b"cookie")
        # Files are served from disk as they are: nothing to render, nothing to cache.
        if (scope["method"] != "GET" or path.startswith(("/static/", "/documents/")) or path in OPS_PATHS
                or SESSION_MARK in cookies):
            await self.app(scope, receive, send)
            return
        version = await self._current()
        # Validity flags (lapsed, expiring) depend on the day too; search answers on what the index holds.
        key = (path, scope.get("query_string", b""), _accepts_json(scope), date.today(),
               index_version(self.kbase.settings.index_dir))
        entry = self.entries.get(key)
        if entry is not None and entry[0] == version:
            self.entries.move_to_end(key)
            self.hits += 1
            _, status, headers, body = entry
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        self.misses += 1
        # The route may reuse it (kb.read.dated keys its answers by the same version): one query, not two.
        scope.setdefault("state", {})[DATA_VERSION] = version
        started: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                started.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, capture)
        body = b"".join(chunks)
        status = started.get("status")
        # A redirect is an answer too (a code that names one standard, a query that names a group): it
        # follows from the same data, so it keeps while that is unchanged.
        headers = started.get("headers", [])
        # The index swapped or caught up while this was rendered: the answer may be of either, keep neither.
        same_index = key[-1] == index_version(self.kbase.settings.index_dir)
        if status in CACHED_STATUS and len(body) <= self.max_bytes and not _no_store(headers) and same_index:
            self.entries[key] = (version, status, list(headers), body)
            self.entries.move_to_end(key)
            while len(self.entries) > self.max_entries:
                self.entries.popitem(last=False)


CACHED_STATUS = (200, 301, 303)


def _no_store(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(k.lower() == b"cache-control" and b"no-store" in v.lower() for k, v in headers)


def _accepts_json(scope: Scope) -> bool:
    for k, v in scope["headers"]:
        if k == b"accept":
            return b"application/json" in v and b"text/html" not in v
    return False
