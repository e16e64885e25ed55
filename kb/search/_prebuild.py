"""A full index build that runs beside a large products import instead of after it.

A 100,000-row products import took ≈ 30 s of one core for its batches, then ≈ 26 s of two for the index
build, one after the other. Here the build's processes are forked before the first batch. After each batch
commits, the import hands them the ids of the products it created or changed, and they index those rows while
the next batch is written: the second core does the build's work meanwhile (the build processes run at a lower
priority than the import and the site's workers).

The build holds the index's maintenance lock from the first batch to the swap: a server's catch-up waits for it
instead of starting a full build of its own beside it (two builds of 100,000 products on two cores, and twice
the memory). Searches meanwhile answer from the live generation; the products of the import appear together,
when the new one is swapped in.

When the import is done, :meth:`Prebuild.finish` makes the generation exact, as a build started then would be.
The stamp is taken first (what changes later is caught up by the servers, as after any build). Then each
process checks every product it indexed against its version now (``product_versions``: the row's and its HS
codes' ``updated_at``). A product changed since it was read (by a later batch, by a curator, a product
deleted) has its document marked deleted, and is read again with the rest: the records of every kind nobody
handed it (products the import left unchanged, standards, labs, groups). Then the segments are committed and
swapped in as :func:`kb.search._index.build` does.

Each process takes the records in blocks of ids (``PART_BLOCK``): a block is read in one range query.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import shutil
import time
from collections.abc import Iterable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from sqlmodel import Session, select
from whoosh import index as windex

from kb.core import KnowledgeBase
from kb.search import _documents as docs
from kb.search._bulk import BulkSegments
from kb.search._index import (
    ID_COLUMNS,
    MAX_BUILD_PROCS,
    _add_all,
    _Filled,
    _parallel_limit_mb,
    count_lengths,
    db_stamp,
    field_lengths,
    maintenance,
    new_generation,
    publish,
    received,
    records,
    reporting_to,
)

#: Consecutive ids that go to the same process.
PART_BLOCK = 1024
#: How much lower the build processes' priority is than the import's (``os.nice``).
NICENESS = 10
#: Seconds a waiting build process lets pass between two looks at whether its import is still alive.
PARENT_CHECK_EVERY = 5.0

def part_of(record_id: int, parts: int) -> int:
    return (record_id // PART_BLOCK) % parts


class _Follower:
    """One build process's segments and the products indexed in them so far."""

    def __init__(self, ix, limit_mb: int, part: int, parts: int) -> None:
        self.writer = BulkSegments(ix, limit_mb)
        self.part, self.parts = part, parts
        self.lengths: dict[str, list[int]] = {}
        # product id → (its version when read, where its document went, its field lengths)
        self.held: dict[int, tuple[Any, tuple[int, int], list[tuple[str, int]]]] = {}

    def add_products(self, session: Session, ids: list[int]) -> None:
        # The versions before the documents: a document is never older than the version kept with it, so a
        # change between the two reads makes a mismatch at the end (read again), never a stale document kept.
        versions = docs.product_versions(session, ids)
        for _, doc, _pages in records(session, ("product",), {"product": ids}):
            pid = doc["pk"]
            self._drop(pid)
            lengths = field_lengths(doc)
            count_lengths(self.lengths, lengths)
            self.held[pid] = (versions.get(pid), self.writer.add_document(**doc), lengths)

    def _drop(self, pid: int) -> None:
        old = self.held.pop(pid, None)
        if old is not None:
            self.writer.delete(old[1])
            count_lengths(self.lengths, old[2], -1)

    def finish(self, session: Session) -> _Filled:
        """Drop what changed since it was read, index the rest of this process's part, close the segments."""
        now = docs.product_versions(session, list(self.held))
        for pid in [pid for pid, (version, _, _) in self.held.items() if now.get(pid) != version]:
            self._drop(pid)
        rest: dict[str, list[int] | None] = {}
        for kind, column in ID_COLUMNS.items():
            ids = (i for i in session.exec(select(column).order_by(column)) if i is not None)
            rest[kind] = [i for i in ids if part_of(i, self.parts) == self.part
                          and not (kind == "product" and i in self.held)]
        counts = _add_all(self.writer, session, ids=rest, lengths=self.lengths)
        counts["product"] += len(self.held)
        return _Filled(self.writer.close(), counts, self.lengths, self.writer.added)


def _follow(inbox, results, kbase: KnowledgeBase, gen: str, part: int, parts: int, limit_mb: int) -> None:
    """A forked build process: products as their batches commit, then the rest at ``finish``. Sends a ``_Filled``
    or one line saying what went wrong (the import then updates the index as it did without this)."""
    with reporting_to(results):
        os.nice(NICENESS)
        kbase.engine.dispose(close=False)  # connections of its own; the parent's stay the parent's
        ix = windex.open_dir(gen)
        follower = _Follower(ix, limit_mb, part, parts)
        parent = os.getppid()
        try:
            while True:
                try:
                    what, ids = inbox.get(timeout=PARENT_CHECK_EVERY)
                except queue.Empty:
                    if os.getppid() != parent:  # the import was killed: nobody will finish this build
                        return
                    continue
                if what == "products":
                    with kbase.session() as session:
                        follower.add_products(session, ids)
                elif what == "finish":
                    with kbase.session() as session:
                        results.send(follower.finish(session))
                    return
        finally:
            ix.close()


class Prebuild:
    """The build processes of one import (only a caller that may fork makes one: the CLI, not the server)."""

    def __init__(self, kbase: KnowledgeBase, procs: int) -> None:
        """Raises ``Conflict`` at once when somebody else maintains the index (a server's catch-up, another
        import): the caller then updates the index the usual way at the end."""
        self._kbase = kbase
        self._t0 = time.perf_counter()
        self._lock = ExitStack()
        self._followers: list[tuple[Any, Any, Any]] = []
        self._over = False  # finished or cancelled
        root = Path(kbase.settings.index_dir)
        self._gen = new_generation(root)
        fork = multiprocessing.get_context("fork")
        procs = max(1, min(procs, MAX_BUILD_PROCS))
        limit = _parallel_limit_mb(procs)
        try:
            for part in range(procs):
                # A queue, not a pipe: its thread sends, so a batch never waits for a build process that lags
                inbox = fork.Queue()
                results, theirs = fork.Pipe(duplex=False)
                proc = fork.Process(target=_follow, args=(inbox, theirs, kbase, str(self._gen), part, procs, limit),
                                    daemon=True, name=f"kb-prebuild-{part}")
                proc.start()
                theirs.close()
                self._followers.append((proc, inbox, results))
            # Taken after the forks: a build process that inherited the lock's file would keep the index locked
            # for as long as it lived, were the import killed.
            self._lock.enter_context(maintenance(root, wait=False))
        except BaseException:
            self.cancel()
            raise

    def committed(self, product_ids: Iterable[int]) -> None:
        """Products of a committed batch (created or changed), each to its process."""
        parts: list[list[int]] = [[] for _ in self._followers]
        for pid in sorted(product_ids):
            parts[part_of(pid, len(parts))].append(pid)
        for (_, inbox, _), ids in zip(self._followers, parts, strict=True):
            if ids:
                inbox.put(("products", ids))

    def finish(self) -> dict[str, Any]:
        """The index of everything the database holds now, swapped in; as ``kb.search.reindex`` reports it.
        On any failure the generation is removed and the error raised (the caller updates the index otherwise)."""
        try:
            with self._kbase.session() as session:
                stamp = db_stamp(session)  # before the processes read anything more
            for _, inbox, _ in self._followers:
                inbox.put(("finish", None))
            filled = [received(proc, results) for proc, _, results in self._followers]
            counts = publish(self._kbase, self._gen, filled, stamp)
        except BaseException:
            self.cancel()
            raise
        self._end()
        self._over = True
        self._lock.close()
        return {**counts, "seconds": round(time.perf_counter() - self._t0, 3), "generation": self._gen.name}

    def cancel(self) -> None:
        """Stop the processes and remove what they wrote (nothing once finished)."""
        if self._over:
            return
        self._over = True
        for proc, _, _ in self._followers:
            if proc.is_alive():
                proc.kill()
        self._end()
        shutil.rmtree(self._gen, ignore_errors=True)
        self._lock.close()

    def _end(self) -> None:
        for proc, inbox, results in self._followers:
            proc.join(timeout=5)
            inbox.cancel_join_thread()  # what a killed process never read is not waited for
            inbox.close()
            results.close()
        self._followers = []
