"""Index storage: generations swapped in atomically, one writer with a bounded lock wait, staleness stamps.

Layout under ``settings.index_dir``::

    CURRENT            name of the live generation (replaced with os.replace: an atomic rename)
    gen-<ns>-<pid>/    whoosh files + stamp.json (what of the database this generation reflects)

``reindex`` builds a fresh generation beside the live one and flips CURRENT; readers in other processes
notice the new name on their next search. The stamp (``kb.fingerprint`` of the indexed tables) is
taken *before* the rows are read, so anything that changes during a build shows up as a difference and
is caught up incrementally by ``ensure_index``.
"""

from __future__ import annotations

import fcntl
import gc
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import warnings
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, func, select
from sqlmodel.sql.expression import SelectOfScalar
from whoosh import index as windex
from whoosh.index import LockError

from kb.bulk import fewer_collections
from kb.core import KnowledgeBase
from kb.errors import Conflict
from kb.fingerprint import fingerprint
from kb.models import (
    Criterion,
    DocumentPage,
    Lab,
    LabScope,
    Product,
    ProductGroup,
    ProductHsCode,
    Standard,
    StandardRelation,
)
from kb.search import _documents as docs
from kb.search import _mapped
from kb.search._bulk import BulkSegments, commit_segments
from kb.search._schema import SCHEMA_VERSION, build_schema

log = logging.getLogger(__name__)


def _remember_missing_length_columns() -> None:
    """whoosh 2.7.5 asks the file system whether a field has a length column for *every posting* of a
    field without one (IDs, keywords) while writing a segment: 600,000 stat calls for 20,000 records,
    half of the build time. Remember the answer per reader (a column never appears in a written segment)."""
    from whoosh.codec import whoosh3

    reader_cls = whoosh3.W3PerDocReader
    if getattr(reader_cls, "_kb_patched", False):
        return
    original = reader_cls._cached_reader

    def _cached_reader(self, fieldname, column):
        if fieldname in self._readers:
            return self._readers[fieldname]
        found = original(self, fieldname, column)
        if found is not None and column is whoosh3.LENGTHS_COLUMN:
            # one byte per document, asked for once per posting while a segment is written: read it once
            found = _Lengths(bytes(found))
        self._readers[fieldname] = found
        return found

    reader_cls._cached_reader = _cached_reader
    reader_cls._kb_patched = True


class _Lengths:
    def __init__(self, values: bytes) -> None:
        self.values = values

    def __getitem__(self, docnum: int) -> int:
        try:
            return self.values[docnum]
        except IndexError:
            return 0

    def __len__(self) -> int:
        return len(self.values)

    def __iter__(self):
        return iter(self.values)


_remember_missing_length_columns()
_mapped.install()  # segment files read in place and mapped once per process (see _mapped)

#: Seconds a writer waits for another process's lock before giving up (the stamp catches up later).
LOCK_TIMEOUT = 10.0
#: Seconds ``kb.search.update`` waits for the index (a quick round of the background catch-up ends within it);
#: past it the change is left to the catch-up, never waited for longer.
UPDATE_WAIT = 1.0
#: How often (seconds) a searching process compares the database with the index stamp (in the background).
STALE_CHECK_EVERY = 2.0
_KEEP_GENERATIONS = 2  # the live one and its predecessor, which other processes may still be reading


# --- stamps ---------------------------------------------------------------------------------------


#: The tables the index reflects (parts of :data:`kb.fingerprint.PARTS`).
INDEXED = ("standard", "product", "lab", "group", "labscope", "relation", "page", "criterion", "producthscode")


def db_stamp(session: Session) -> dict[str, Any]:
    """What the database holds now, cheaply: counts plus newest timestamps / ids per indexed table."""
    return {"schema": SCHEMA_VERSION, **fingerprint(session, INDEXED)}


def _read_stamp(gen: Path) -> dict[str, Any] | None:
    try:
        return json.loads((gen / "stamp.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None


def _write_stamp(gen: Path, stamp: dict[str, Any]) -> None:
    tmp = gen / f"stamp.json.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(stamp), "utf-8")
    os.replace(tmp, gen / "stamp.json")


# --- generations ----------------------------------------------------------------------------------


def current_generation(root: Path) -> Path | None:
    try:
        name = (root / "CURRENT").read_text("utf-8").strip()
    except OSError:
        return None
    gen = root / name
    # a directory listing, not whoosh's exists_in: that opens the index and races with a committing writer
    return gen if name and gen.is_dir() and any(gen.glob("_MAIN_*.toc")) else None


def open_index(gen: Path):
    """Open a generation; a writer committing at the same moment may delete the TOC just listed, so retry
    (whoosh's own reader() retries the same way)."""
    for attempt in range(20):
        try:
            return windex.open_dir(str(gen))
        except FileNotFoundError:
            if attempt == 19:
                raise
    raise AssertionError("unreachable")


class _Maintainer:
    """Who may build, update or prune one index directory: one thread of one process at a time.

    Without it, the first burst of concurrent requests each found the index stale and each built a
    generation while pruning the others' half-written ones. Reentrant, so ``ensure`` may call ``build``.
    """

    def __init__(self) -> None:
        self.rlock = threading.RLock()
        self.depth = 0
        self.fh: Any = None


_maintainers: dict[str, _Maintainer] = {}
_maintainers_guard = threading.Lock()


@contextmanager
def maintenance(root: Path, wait: bool | float = True):
    """Hold the right to build, update or prune this index (this process's threads, then other processes).

    ``wait`` False: :class:`Conflict` at once when somebody else holds it (the background catch-up), instead of
    waiting up to :data:`LOCK_TIMEOUT`; a number: at most that many seconds.
    """
    timeout = LOCK_TIMEOUT if wait is True else float(wait)
    _clear_the_way(root)
    root.mkdir(parents=True, exist_ok=True)
    with _maintainers_guard:
        m = _maintainers.setdefault(str(root.resolve()), _Maintainer())
    if not (m.rlock.acquire(timeout=timeout) if timeout > 0 else m.rlock.acquire(blocking=False)):
        raise Conflict("chỉ mục tìm kiếm đang được dựng lại; thử lại sau")
    try:
        if m.depth == 0:
            fh = open(root / "maintenance.lock", "a+")
            _flock(fh, timeout)
            m.fh = fh
        m.depth += 1
        try:
            yield
        finally:
            m.depth -= 1
            if m.depth == 0:
                fcntl.flock(m.fh, fcntl.LOCK_UN)
                m.fh.close()
                m.fh = None
    finally:
        m.rlock.release()


def _clear_the_way(root: Path) -> None:
    """An index path that is a file (or a link to one) is moved aside, not deleted: it may be somebody's."""
    if (root.exists() or root.is_symlink()) and not root.is_dir():
        aside = root.with_name(f"{root.name}.not-a-directory-{time.time_ns()}")
        os.replace(root, aside)
        log.warning("search index path %s was not a directory: moved to %s", root, aside)


def _flock(fh, timeout: float) -> None:
    """The file lock another process (CLI ingest beside the web server) holds, with a bounded wait."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                fh.close()
                raise Conflict("chỉ mục tìm kiếm đang được ghi bởi tiến trình khác; thử lại sau") from None
            time.sleep(0.05)  # polling a lock held by another process; not test synchronisation


def _swap_in(root: Path, gen: Path) -> None:
    tmp = root / f"CURRENT.{os.getpid()}.{threading.get_ident()}.tmp"
    tmp.write_text(gen.name, "utf-8")
    os.replace(tmp, root / "CURRENT")
    _prune(root, keep=gen)


def _prune(root: Path, keep: Path) -> None:
    gens = sorted((p for p in root.glob("gen-*") if p.is_dir() and p != keep), key=lambda p: p.stat().st_mtime)
    for old in gens[: max(0, len(gens) - (_KEEP_GENERATIONS - 1))]:
        shutil.rmtree(old, ignore_errors=True)


def open_writer(ix, wait: bool | float = True):
    try:
        return ix.writer(timeout=LOCK_TIMEOUT if wait is True else float(wait), delay=0.05, limitmb=_limit_mb())
    except LockError as exc:
        raise Conflict("chỉ mục tìm kiếm đang được ghi bởi tiến trình khác; thử lại sau") from exc


#: Text fields whose average length (over documents that have them) the scorer's length norm uses.
_LENGTH_FIELDS = ("title", "title_f", "title_en", "title_en_stem", "text", "text_f", "body", "body_f")
_TOKEN = re.compile(r"\w+")


def records(session: Session, kinds=docs.KINDS, ids: dict[str, list[int] | None] | None = None
            ) -> Iterator[tuple[str, dict[str, Any], list[dict[str, Any]]]]:
    """Each record of these kinds (all rows, or ``ids`` per kind) as the writer takes it: its kind, its document
    (empty fields left out) and the documents of its pages (a standard's)."""
    makers = {"standard": docs.standard_docs, "product": docs.product_docs, "lab": docs.lab_docs,
              "group": docs.group_docs}
    for kind in kinds:
        wanted = None if ids is None else ids.get(kind)
        for d in makers[kind](session, wanted):
            pages = list(docs.page_docs(d)) if kind == "standard" else []
            yield kind, {k: v for k, v in d.items() if v not in (None, "") and not k.startswith("_")}, pages


def field_lengths(doc: dict[str, Any]) -> list[tuple[str, int]]:
    """The words of each text field the scorer's length norm averages (``lengths.json``)."""
    return [(f, len(_TOKEN.findall(doc[f]))) for f in _LENGTH_FIELDS if doc.get(f)]


def count_lengths(lengths: dict[str, list[int]], of_doc: list[tuple[str, int]], sign: int = 1) -> None:
    """Add (``sign`` -1: take back) one document's field lengths to ``lengths`` (field → [words, documents])."""
    for f, n in of_doc:
        acc = lengths.setdefault(f, [0, 0])
        acc[0] += sign * n
        acc[1] += sign


def _add_all(writer, session: Session, kinds=docs.KINDS, ids: dict[str, list[int] | None] | None = None,
             lengths: dict[str, list[int]] | None = None) -> dict[str, int]:
    """Index documents of these kinds (all rows, or ``ids`` per kind); the records written per kind."""
    counts = dict.fromkeys(kinds, 0)
    for kind, d, pages in records(session, kinds, ids):
        if lengths is not None:
            count_lengths(lengths, field_lengths(d))
        writer.add_document(**d)
        for p in pages:
            writer.add_document(**p)
        counts[kind] += 1
    return counts


#: Megabytes of postings a build's writer holds before it closes a segment and begins another. A server's
#: background thread builds small indexes only (a larger rebuild or catch-up runs in ``kb.search._child``).
BUILD_LIMIT_MB = 256
BACKGROUND_LIMIT_MB = 24
_BACKGROUND = ("kb-index-catch-up", "kb-index-rebuild")


#: Megabytes of postings each process of a parallel (forking, CLI-only) build holds, at most, before it closes a
#: segment and begins another. 100,000 products (≈ 12.4 M postings, ≈ 350 MB in ``BulkSegmentWriter``) make one
#: segment a process.
PARALLEL_LIMIT_MB = 1536
#: The processes of one build together hold at most this share of the memory the machine has available when it
#: starts (a province's server runs the site beside an import).
PARALLEL_MEMORY_SHARE = 0.25


def _parallel_limit_mb(procs: int) -> int:
    """Each build process's in-memory limit: :data:`PARALLEL_LIMIT_MB`, less on a machine with little memory free
    (a province's server runs the site beside the import)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            available_kb = next(int(line.split()[1]) for line in fh if line.startswith("MemAvailable:"))
    except (OSError, StopIteration, ValueError, IndexError):
        return BUILD_LIMIT_MB // procs
    budget_mb = available_kb / 1024 * PARALLEL_MEMORY_SHARE / procs
    return int(max(BUILD_LIMIT_MB // procs, min(PARALLEL_LIMIT_MB, budget_mb)))


def _limit_mb() -> int:
    return BACKGROUND_LIMIT_MB if threading.current_thread().name in _BACKGROUND else BUILD_LIMIT_MB


#: Most processes a full build uses when its caller allows several (one segment each).
MAX_BUILD_PROCS = 4


def build(kbase: KnowledgeBase, procs: int = 1, wait: bool | float = True) -> dict[str, Any]:
    """Full rebuild from the database into a fresh generation, then an atomic swap.

    ``procs`` > 1 reads and indexes a share of the records in each of that many processes (forked: only for
    callers that may fork, a CLI batch, not a threaded server), each writing segments of its own.
    """
    with maintenance(Path(kbase.settings.index_dir), wait=wait):
        return _build(kbase, procs)


@dataclass
class _Filled:
    """What one process of a build wrote: segments, documents per kind, field lengths (sum, count)."""

    segments: list[Any]
    counts: dict[str, int]
    lengths: dict[str, list[int]]
    added: int


def _fill(kbase: KnowledgeBase, ix, share: dict[str, list[int] | None] | None, limit_mb: int) -> _Filled:
    """Index the records of ``share`` (every record: None) into new segments of ``ix``."""
    writer = BulkSegments(ix, limit_mb)
    lengths: dict[str, list[int]] = {}
    try:
        with kbase.session() as session:
            counts = _add_all(writer, session, ids=share, lengths=lengths)
    except BaseException:
        writer.cancel()
        raise
    return _Filled(writer.close(), counts, lengths, writer.added)


def _fill_in_child(conn, kbase: KnowledgeBase, gen: str, share: dict[str, list[int] | None], limit_mb: int) -> None:
    """A forked build process: its share, its own database connections (the parent's pooled ones stay the parent's).
    Sends a ``_Filled``, or one line saying what went wrong (the parent builds again in one process)."""
    with reporting_to(conn):
        kbase.engine.dispose(close=False)
        ix = windex.open_dir(gen)
        try:
            conn.send(_fill(kbase, ix, share, limit_mb))
        finally:
            ix.close()


@contextmanager
def reporting_to(conn) -> Iterator[None]:
    """The body of a forked build process: what goes wrong in it is sent to the parent as one line (which falls
    back to another way of building), and the pipe is closed at the end."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which falls back
        conn.send(" ".join(f"{type(exc).__name__}: {exc}".split())[:300])
    finally:
        conn.close()


#: Each indexed kind's id column.
ID_COLUMNS = {"standard": col(Standard.id), "product": col(Product.id), "lab": col(Lab.id), "group": col(ProductGroup.id)}


#: What a standard weighs in a build's shares besides its pages' text, in characters (about its own document's).
STANDARD_WEIGHT = 300


def _shares(session: Session, procs: int) -> list[dict[str, list[int] | None]]:
    """Every record's id, in ``procs`` contiguous shares of each kind (neighbouring rows are read together) of about
    the same weight: a standard weighs its pages' text, any other record one. By count, the standards of a first
    ``kb ingest`` (32 documents with their pages among 822 standards they cite) all fell to one process."""
    shares: list[dict[str, list[int] | None]] = [{} for _ in range(procs)]
    for kind in docs.KINDS:
        column = ID_COLUMNS[kind]
        if kind == "standard":
            pages = func.coalesce(func.sum(func.length(DocumentPage.text)), 0)
            weighted = [(i, STANDARD_WEIGHT + w) for i, w in session.exec(
                select(column, pages).outerjoin(DocumentPage, col(DocumentPage.document_id) == Standard.document_id)
                .group_by(column).order_by(column))]
        else:
            weighted = [(i, 1) for i in session.exec(select(column).order_by(column))]
        total, passed = sum(w for _, w in weighted), 0
        parts: list[list[int]] = [[] for _ in range(procs)]
        for pk, w in weighted:
            parts[min(procs - 1, (2 * passed + w) * procs // (2 * total))].append(pk)  # where its middle falls
            passed += w
        for share, part in zip(shares, parts, strict=True):
            share[kind] = part
    return shares


def _fill_in_processes(kbase: KnowledgeBase, ix, gen: Path, shares: list[dict[str, list[int] | None]]) -> list[_Filled]:
    """The first share here, every other in a forked process; all or an error."""
    import multiprocessing

    fork = multiprocessing.get_context("fork")
    limit = _parallel_limit_mb(len(shares))
    started = []
    try:
        for share in shares[1:]:
            mine, theirs = fork.Pipe(duplex=False)
            proc = fork.Process(target=_fill_in_child, args=(theirs, kbase, str(gen), share, limit), daemon=True)
            proc.start()
            theirs.close()
            started.append((proc, mine))
        filled = [_fill(kbase, ix, shares[0], limit)]
        filled += [received(proc, conn) for proc, conn in started]
        return filled
    finally:
        for proc, conn in started:
            conn.close()
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
                proc.join()


def received(proc, conn) -> _Filled:
    """What a forked build process sent: its ``_Filled``; its one line of error, or its death, raised."""
    try:
        got = conn.recv()
    except EOFError:
        proc.join()
        raise RuntimeError(f"a build process died (exit code {proc.exitcode})") from None
    if isinstance(got, str):
        raise RuntimeError(got)
    return got


def _build(kbase: KnowledgeBase, procs: int = 1) -> dict[str, Any]:
    with fewer_collections():
        return _build_generation(kbase, procs)


def _build_generation(kbase: KnowledgeBase, procs: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    root = Path(kbase.settings.index_dir)
    gen = new_generation(root)
    procs = max(1, min(procs, MAX_BUILD_PROCS))
    try:
        ix = windex.open_dir(str(gen))
        try:
            with kbase.session() as session:
                stamp = db_stamp(session)  # before any row is read: what changes meanwhile is caught up later
                shares = _shares(session, procs) if procs > 1 else None
            if shares is None:
                filled = [_fill(kbase, ix, None, _limit_mb())]
            else:
                try:
                    filled = _fill_in_processes(kbase, ix, gen, shares)
                except Exception as exc:  # noqa: BLE001 - never a partial index: the whole build again, here
                    log.warning("a parallel search index build failed (%s); building in one process", exc)
                    ix.close()
                    shutil.rmtree(gen, ignore_errors=True)
                    return _build(kbase, 1)
        finally:
            ix.close()
        counts = publish(kbase, gen, filled, stamp)
    except BaseException:
        shutil.rmtree(gen, ignore_errors=True)
        raise
    return {**counts, "seconds": round(time.perf_counter() - t0, 3), "generation": gen.name}


def new_generation(root: Path) -> Path:
    """An empty generation beside the live one, to be filled and then published."""
    root.mkdir(parents=True, exist_ok=True)
    gen = root / f"gen-{time.time_ns()}-{os.getpid()}"
    gen.mkdir()
    windex.create_in(str(gen), build_schema()).close()
    return gen


def publish(kbase: KnowledgeBase, gen: Path, filled: list[_Filled], stamp: dict[str, Any]) -> dict[str, int]:
    """Commit the segments the processes of a build wrote into ``gen``, with its stamp and average field lengths,
    and swap it in (the caller holds :func:`maintenance`); the records indexed per kind."""
    ix = windex.open_dir(str(gen))
    try:
        commit_segments(ix, [seg for f in filled for seg in f.segments])
        written = ix.doc_count_all()  # deleted documents included, as ``added`` counts them
    finally:
        ix.close()
    added = sum(f.added for f in filled)
    if written != added:
        raise RuntimeError(f"search index build wrote {written} of {added} documents")
    counts = {kind: sum(f.counts.get(kind, 0) for f in filled) for kind in docs.KINDS}
    lengths: dict[str, list[int]] = {}
    for f in filled:
        for name, (total, n) in f.lengths.items():
            acc = lengths.setdefault(name, [0, 0])
            acc[0] += total
            acc[1] += n
    _write_stamp(gen, stamp)
    # Average field lengths over the documents that have the field (whoosh averages over all
    # documents, which makes a product's missing English title shrink everyone's average).
    (gen / "lengths.json").write_text(json.dumps({f: t / n for f, (t, n) in lengths.items() if n}), "utf-8")
    _swap_in(Path(kbase.settings.index_dir), gen)
    handle_for(kbase).invalidate()
    return counts


def _related_standard_ids(session: Session, std_ids: list[int]) -> set[int]:
    """Standards at the other end of a relation of these: their relation notes change too."""
    if not std_ids:
        return set()
    keys = list(session.exec(select(Standard.code_key).where(col(Standard.id).in_(std_ids))))
    if not keys:
        return set()
    rels = session.exec(
        select(StandardRelation.from_key, StandardRelation.to_key).where(
            col(StandardRelation.from_key).in_(keys) | col(StandardRelation.to_key).in_(keys)
        )
    ).all()
    other = {k for pair in rels for k in pair} - set(keys)
    if not other:
        return set()
    return _ids(session, select(col(Standard.id)).where(col(Standard.code_key).in_(list(other))))


#: Records re-indexed per whoosh commit when catching up: each committed part is searchable at once, and the
#: memory of a writer (and of the session reading the rows) stays bounded however large the backlog.
BATCH = 2000
#: A backlog larger than this share of the indexed records (and than one batch) is a full build into a new
#: generation instead (one optimised segment, searches keep the old generation meanwhile).
REBUILD_SHARE = 0.3


def apply_changes(kbase: KnowledgeBase, ids: dict[str, set[int]], procs: int = 1, wait: bool | float = True) -> None:
    """Re-index the given ids of each kind in the live generation; ids gone from the database are removed.
    Without a live generation, a full build (with ``procs`` processes, see ``build``); a set of changes
    larger than :data:`REBUILD_SHARE` of the index too. ``wait`` False: :class:`Conflict` at once when
    the index is being maintained by somebody else."""
    with maintenance(Path(kbase.settings.index_dir), wait=wait):
        _apply_changes(kbase, ids, procs, wait)


def _apply_changes(kbase: KnowledgeBase, ids: dict[str, set[int]], procs: int = 1, wait: bool | float = True,
                   indexed: int | None = None) -> None:
    root = Path(kbase.settings.index_dir)
    gen = current_generation(root)
    if gen is None:
        _build(kbase, procs)
        return
    with kbase.session() as session:
        ids = {k: set(v) for k, v in ids.items()}
        ids["standard"] = ids.get("standard", set()) | _related_standard_ids(session, list(ids.get("standard", ())))
    todo = [(kind, pk) for kind in docs.KINDS for pk in sorted(ids.get(kind, ()))]
    if not todo:
        return
    if indexed is None:
        stamp = _read_stamp(gen) or {}
        indexed = _stamped_records(stamp)
    if len(todo) > BATCH and len(todo) > REBUILD_SHARE * indexed:
        _build(kbase, procs)
        return
    for start in range(0, len(todo), BATCH):
        batch: dict[str, list[int] | None] = {}
        for kind, pk in todo[start:start + BATCH]:
            batch.setdefault(kind, []).append(pk)  # type: ignore[union-attr]
        _commit_batch(kbase, gen, batch, wait)


def _commit_batch(kbase: KnowledgeBase, gen: Path, batch: dict[str, list[int] | None], wait: bool | float) -> None:
    """One whoosh commit: these records deleted and added again from the database (a session of its own, so the
    rows read are let go with it)."""
    ix = open_index(gen)
    try:
        with kbase.session() as session:
            writer = open_writer(ix, wait)
            try:
                for kind, wanted in batch.items():
                    for pk in wanted or ():
                        writer.delete_by_term("key", docs.doc_key(kind, pk))
                        if kind == "standard":
                            writer.delete_by_term("parent", docs.doc_key(kind, pk))
                _add_all(writer, session, kinds=[k for k in docs.KINDS if batch.get(k)], ids=batch)
            except BaseException:
                writer.cancel()
                raise
            writer.commit()  # searchers see it at their next borrowing (a new TOC generation, a memo of its own)
    finally:
        ix.close()


def ensure(kbase: KnowledgeBase, full_ok: bool = True, wait: bool | float = True, procs: int = 1) -> None:
    """Rebuild when missing or of an older schema; otherwise catch up with what changed in the database.

    With ``full_ok`` False, a missing, unstamped or other-schema generation raises :class:`_NeedsRebuild`
    instead (the caller has it rebuilt in the background, searches answering from the database meanwhile).
    ``wait`` False: :class:`Conflict` at once when the index is being maintained by somebody else. A full build
    (a large backlog) uses ``procs`` processes (only callers that may fork: not a threaded server).
    """
    root = Path(kbase.settings.index_dir)
    with maintenance(root, wait=wait):
        _ensure(kbase, root, full_ok, wait, procs)


def _ensure(kbase: KnowledgeBase, root: Path, full_ok: bool = True, wait: bool | float = True,
            procs: int = 1) -> None:
    gen = current_generation(root)
    stamp = _read_stamp(gen) if gen else None
    if gen is None or stamp is None or stamp.get("schema") != SCHEMA_VERSION:
        if not full_ok:
            raise _NeedsRebuild("missing" if gen is None else "stamp unreadable or of another schema")
        _build(kbase, procs)
        return
    # The stamp is read before the rows: whatever changes from here on differs from it at the next round.
    with kbase.session() as session:
        now = db_stamp(session)
        if now == stamp:
            return
        ids, full = _changes_since(session, stamp, now)
    if full:
        _build(kbase, procs)
        return
    indexed = _stamped_records(stamp)
    if any(ids.values()):
        _apply_changes(kbase, ids, procs, wait=wait, indexed=indexed)
        if current_generation(root) != gen:  # the backlog was large: a full build stamped its own generation
            return
    _remove_orphans(kbase, gen, wait)
    _write_stamp(gen, now)  # searchers follow the commits by themselves: their memos are kept meanwhile


def _ids(session: Session, stmt: SelectOfScalar[Any]) -> set[int]:
    """The ids a select of one id column returns (stored rows: never None)."""
    return set(session.exec(stmt))


def _since(session: Session, model: type[Standard | Product | Lab | ProductGroup | LabScope | ProductHsCode], old: str | None) -> set[int]:
    stmt = select(col(model.id))
    if old is not None:
        since: datetime | str = old
        try:
            since = datetime.fromisoformat(old)
        except ValueError:
            pass
        stmt = stmt.where(col(model.updated_at) >= since)
    return _ids(session, stmt)


def _changes_since(session: Session, old: dict, now: dict) -> tuple[dict[str, set[int]], bool]:
    """Ids to re-index per kind, or ``full=True`` when only a rebuild is safe."""
    ids: dict[str, set[int]] = {k: set() for k in docs.KINDS}
    for kind, model in (("standard", Standard), ("product", Product), ("lab", Lab), ("group", ProductGroup)):
        if old.get(kind) != now[kind]:
            ids[kind] |= _since(session, model, old.get(kind, [0, None])[1])
    if old.get("labscope") != now["labscope"]:
        prev = old.get("labscope", [0, None])
        if now["labscope"][0] < prev[0]:
            ids["lab"] |= _ids(session, select(col(Lab.id)))
        else:
            rows = _since(session, LabScope, prev[1])
            if rows:
                ids["lab"] |= _ids(session, select(col(LabScope.lab_id)).where(col(LabScope.id).in_(list(rows))))
    if old.get("producthscode") != now["producthscode"]:  # a product's HS codes are in its document
        prev = old.get("producthscode", [0, None])
        if now["producthscode"][0] < (prev[0] or 0):
            ids["product"] |= _ids(session, select(col(Product.id)))  # a code was deleted: whose is not known
        else:
            rows = _since(session, ProductHsCode, prev[1])
            if rows:
                ids["product"] |= _ids(session, select(col(ProductHsCode.product_id)).where(col(ProductHsCode.id).in_(list(rows))))
    for part in ("relation", "page", "criterion"):
        prev = old.get(part, [0, None])
        if prev == now[part]:
            continue
        if now[part][0] < (prev[0] or 0) or prev[1] is None:
            return ids, True  # rows were deleted: rebuilding is simpler than tracing them
        newest = int(prev[1])
        if part == "relation":
            new_relations = session.exec(select(StandardRelation).where(col(StandardRelation.id) > newest))
            keys = {k for r in new_relations for k in (r.from_key, r.to_key)}
            if keys:
                ids["standard"] |= _ids(session, select(col(Standard.id)).where(col(Standard.code_key).in_(list(keys))))
        elif part == "page":
            dids = {r.document_id for r in session.exec(select(DocumentPage).where(col(DocumentPage.id) > newest))}
            if dids:
                ids["standard"] |= _ids(session, select(col(Standard.id)).where(col(Standard.document_id).in_(list(dids))))
        else:
            ids["standard"] |= {r.standard_id for r in session.exec(select(Criterion).where(col(Criterion.id) > newest))}
    return ids, False


def _remove_orphans(kbase: KnowledgeBase, gen: Path, wait: bool | float = True) -> None:
    """Drop index documents whose rows were deleted behind our back."""
    ix = open_index(gen)
    try:
        with ix.reader() as reader:
            indexed = {t.decode() if isinstance(t, bytes) else t for t in reader.lexicon("key")}
            indexed = {k for k in indexed if k.split(":", 1)[0] in docs.KINDS}
        with kbase.session() as session:
            live = {docs.doc_key("standard", i) for i in _ids(session, select(col(Standard.id)))}
            live |= {docs.doc_key("product", i) for i in _ids(session, select(col(Product.id)))}
            live |= {docs.doc_key("lab", i) for i in _ids(session, select(col(Lab.id)))}
            live |= {docs.doc_key("group", i) for i in _ids(session, select(col(ProductGroup.id)))}
        gone = indexed - live
        if gone:
            writer = open_writer(ix, wait)
            for k in gone:
                writer.delete_by_term("key", k)
                writer.delete_by_term("parent", k)
            writer.commit()
    finally:
        ix.close()


# --- per-process searcher cache -------------------------------------------------------------------


#: Searchers one process keeps open on its index at most, shared by every thread (a search borrows one and
#: gives it back). Each whoosh searcher maps the segment files and caches per-document columns of its own, so
#: one per thread (a server has 40) multiplied the memory by the threads; more than a few do not search
#: faster either, as searches share the interpreter.
SEARCHERS = 4


@dataclass
class _Handle:
    gen: Path | None = None
    ix: Any = None
    #: idle searchers of ``ix``: whoosh readers keep file positions, so a searcher serves one thread at a time
    idle: list[Any] = field(default_factory=list)
    #: searchers lent out or idle, of any generation (at most :data:`SEARCHERS`)
    slots: threading.BoundedSemaphore = field(default_factory=lambda: threading.BoundedSemaphore(SEARCHERS))
    checked_at: float = 0.0
    avg_lengths: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: memo per TOC generation of the index (vocabulary maps, bitsets); each searcher reads the one of
    #: its own generation, so a thread still on an older searcher never pollutes the newer memo
    caches: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: this process has searched a live index: a missing one from now on is damage, not a first start
    opened_once: bool = False
    #: failed searches per generation name: a generation that keeps failing is rebuilt even if it opens
    failures: dict[str, int] = field(default_factory=dict)
    #: no new background rebuild before this (monotonic): a failing build is not retried on every search
    retry_at: float = 0.0
    #: the segment files as they were when opened: whoosh never rewrites one in place, so a change is damage
    segments: dict[str, tuple[int, int, int]] = field(default_factory=dict)

    def cache_for(self, generation: int) -> dict[str, Any]:
        c = self.caches.get(generation)
        if c is None:
            for old in sorted(self.caches)[:-1]:
                del self.caches[old]
            # the lock lets one thread build each memo of a generation while the others wait for it
            c = self.caches[generation] = {"build_lock": threading.RLock()}
        return c

    def invalidate(self) -> None:
        with self.lock:
            self._close()

    def _close(self) -> None:
        # Forget, do not close: another thread may be in the middle of a search with its searcher;
        # CPython closes the files when the last reference goes.
        self.gen = self.ix = None
        self.idle = []
        self.caches = {}
        self.segments = {}


# Keyed weakly by the KnowledgeBase: no module-level index global outlives its owner.
_handles: weakref.WeakKeyDictionary[Any, _Handle] = weakref.WeakKeyDictionary()
_handles_lock = threading.Lock()


def handle_for(kbase: KnowledgeBase) -> _Handle:
    with _handles_lock:
        h = _handles.get(kbase)
        if h is None:
            h = _handles[kbase] = _Handle()
        return h


class IndexUnavailable(Exception):
    """The index cannot answer now (missing, damaged, being rebuilt): search the database instead."""


class WouldWait(Exception):
    """The index could answer, but only after waiting (a first build, a searcher other threads hold), and the
    caller said it must not wait (an event loop)."""


class _NeedsRebuild(Exception):
    """Only a full rebuild brings this index back; ``ensure`` was told not to run one in the caller's thread."""


#: Seconds before another background rebuild is tried after one failed (disk full, read-only data dir).
REBUILD_RETRY = 30.0
#: Failed searches on one generation that opens fine before it is rebuilt anyway (bytes damaged mid-file).
FAILURES_BEFORE_REBUILD = 3

class _OnePerIndex:
    """At most one background thread of a kind (the rebuild, the catch-up) per index directory in a process."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.lock = threading.Lock()
        self.threads: dict[str, threading.Thread] = {}

    def running(self, kbase: KnowledgeBase) -> threading.Thread | None:
        with self.lock:
            t = self.threads.get(str(Path(kbase.settings.index_dir)))
        return t if t is not None and t.is_alive() else None

    def start(self, kbase: KnowledgeBase, target: Any, *args: Any) -> threading.Thread:
        """Start ``target`` in this kind's thread (the caller holds :attr:`lock` and found none running); the
        knowledge base waits for it before disposing of its engine."""
        t = threading.Thread(target=target, args=args, name=self.name, daemon=True)
        self.threads[str(Path(kbase.settings.index_dir))] = t
        kbase.before_dispose["search-index"] = lambda: settle(kbase)
        t.start()
        return t


_rebuilds = _OnePerIndex("kb-index-rebuild")


def rebuilding(kbase: KnowledgeBase) -> threading.Thread | None:
    """The background rebuild of this knowledge base's index, while it runs (join it to wait)."""
    return _rebuilds.running(kbase)


def rebuild_in_background(kbase: KnowledgeBase, reason: str) -> threading.Thread:
    """Start a full rebuild (``build``: a fresh generation, then the swap) unless one runs already."""
    h = handle_for(kbase)
    with _rebuilds.lock:
        t = _rebuilds.threads.get(str(Path(kbase.settings.index_dir)))
        if t is not None and t.is_alive():
            return t
        log.warning("search index unusable (%s): rebuilding from the database in the background", reason)

        def work() -> None:
            try:
                if _records(kbase) >= CHILD_BACKLOG:
                    _build_in_child(kbase)
                else:
                    build(kbase)
                h.failures.clear()
            except Exception:  # noqa: BLE001 - logged; searches keep answering from the database
                h.retry_at = time.monotonic() + REBUILD_RETRY
                log.exception("search index rebuild failed; retrying in %.0f s", REBUILD_RETRY)
            finally:
                h.invalidate()
                h.checked_at = 0.0

        return _rebuilds.start(kbase, work)


def _heal(kbase: KnowledgeBase, h: _Handle, reason: str) -> IndexUnavailable:
    if time.monotonic() >= h.retry_at:
        rebuild_in_background(kbase, reason)
    return IndexUnavailable(reason)


def _problem(root: Path) -> str | None:
    """What makes this index path unusable as it stands, if anything (a cheap look, no whoosh)."""
    if (root.exists() or root.is_symlink()) and not root.is_dir():
        return "not a directory"
    if current_generation(root) is None:
        return "missing"
    return None


def report_failure(kbase: KnowledgeBase, exc: BaseException) -> None:
    """A search failed inside the index: rebuild when the generation no longer opens and reads, or keeps
    failing; a one-off (an odd query) leaves it alone."""
    h = handle_for(kbase)
    root = Path(kbase.settings.index_dir)
    gen = current_generation(root)
    if gen is None:
        _heal(kbase, h, _problem(root) or "missing")
        return
    n = h.failures[gen.name] = h.failures.get(gen.name, 0) + 1
    reason = f"{type(exc).__name__}: {exc}"[:200]
    if n >= FAILURES_BEFORE_REBUILD or not _readable(gen):
        _heal(kbase, h, reason)


class _Damaged(Exception):
    """A generation whoosh cannot open or read."""


def _open_checked(gen: Path):
    """``(index, searcher)`` of a generation, or :class:`_Damaged`.

    whoosh leaves a segment's file open when it fails halfway through reading it (and retries ten times):
    those are collected here, quietly, rather than leaked per failed search.
    """
    missing = False
    reason = ""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            ix = open_index(gen)
            return ix, ix.searcher()
        except FileNotFoundError:
            missing = True
        except Exception as exc:  # noqa: BLE001 - any failure to read is damage
            reason = f"{type(exc).__name__}: {exc}"[:200]
        gc.collect()
    if missing:
        raise FileNotFoundError(f"a file of {gen.name} is gone")
    raise _Damaged(reason)


def _readable(gen: Path) -> bool:
    """Open the generation and touch every segment's stored fields, lengths and key terms."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        ok = _reads(gen)
        gc.collect()
    return ok


def _reads(gen: Path) -> bool:
    try:
        ix = open_index(gen)
        try:
            with ix.searcher() as s:
                r = s.reader()
                for _ in r.lexicon("key"):
                    pass
                n = r.doc_count_all()
                if n:
                    r.stored_fields(0)
                    r.stored_fields(n - 1)
        finally:
            ix.close()
        return True
    except Exception:  # noqa: BLE001 - any failure to read is damage
        return False


def _segments(gen: Path) -> dict[str, tuple[int, int, int]]:
    out = {}
    for p in gen.glob("*.seg"):
        try:
            st = p.stat()
        except OSError:
            continue
        out[p.name] = (st.st_ino, st.st_size, st.st_mtime_ns)
    return out


def _segments_changed(h: _Handle) -> bool:
    """A segment this process has open was rewritten or truncated behind its back. One that is gone was merged
    away by a commit (whoosh never rewrites a segment in place): the set followed is the current one then, and
    the searchers and memos of the generation are kept (a gone file that the live index still needs fails the
    next opening, which reports it)."""
    if h.gen is None:
        return False
    gone = False
    for name, sig in h.segments.items():
        try:
            st = (h.gen / name).stat()
        except OSError:
            gone = True
            continue
        if (st.st_ino, st.st_size, st.st_mtime_ns) != sig:
            return True
    if gone:
        h.segments = _segments(h.gen)
    return False


#: A first start (no index ever built here) builds in the first search's own thread up to this many
#: records (a second or so); a larger knowledge base is built in the background, searches answering from
#: the database meanwhile.
FIRST_BUILD_IN_REQUEST = 2000

_catch_ups = _OnePerIndex("kb-index-catch-up")


def catching_up(kbase: KnowledgeBase) -> threading.Thread | None:
    """The background catch-up of this knowledge base's index with the database, while it runs."""
    return _catch_ups.running(kbase)


def catch_up_in_background(kbase: KnowledgeBase) -> threading.Thread:
    """Start the one background catch-up of this process's index unless it runs already (then it runs one
    more round when done, for a change that arrived meanwhile).

    It compares the database with the index stamp and re-indexes what changed in batches of :data:`BATCH`
    (or builds a new generation for a large backlog, searches keeping the old one meanwhile). It never
    waits: when another thread or process maintains the index, the next staleness check tries again.
    """
    key = str(Path(kbase.settings.index_dir))
    with _catch_ups.lock:
        t = _catch_ups.threads.get(key)
        if t is not None and t.is_alive():
            _again.add(key)
            return t
        return _catch_ups.start(kbase, _catch_up_rounds, kbase, key)


_again: set[str] = set()


def settle(kbase: KnowledgeBase, timeout: float = 60.0) -> bool:
    """Wait (at most ``timeout`` seconds) until this index's background catch-up and rebuild have finished:
    for tests, and for a caller about to close the knowledge base. True when none runs any more."""
    deadline = time.monotonic() + timeout
    while True:
        running = [t for t in (catching_up(kbase), rebuilding(kbase)) if t is not None]
        if not running:
            return True
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        running[0].join(left)


def keep_up(kbase: KnowledgeBase, stop: threading.Event, every: float | None = None,
            warm: Callable[[], None] | None = None) -> None:
    """Until ``stop`` is set, look every :data:`STALE_CHECK_EVERY` seconds whether the database moved past the
    index and start the background catch-up if so — for a server's lifetime (``web.app``'s lifespan) — and
    call ``warm`` (the live generation's tables built here rather than by the first searches).

    Searches start the catch-up too, but only searches that reach the index: a page cache answering every
    visitor from what it kept would otherwise keep an answer rendered before the catch-up for as long as
    nobody asked anything new, and another server's change would wait for a new question to be seen.
    """
    root = Path(kbase.settings.index_dir)
    while not stop.wait(STALE_CHECK_EVERY if every is None else every):
        try:
            if current_generation(root) is None or catching_up(kbase) or rebuilding(kbase):
                continue  # no index yet (the first search builds it) or the work is under way
            if not _up_to_date(kbase, root):
                catch_up_in_background(kbase)
            if warm is not None:
                warm()
        except Exception:  # noqa: BLE001 - a database outage: /readyz says so; look again next time
            log.warning("search index freshness not checked", exc_info=True)


def _catch_up_rounds(kbase: KnowledgeBase, key: str) -> None:
    while True:
        _catch_up(kbase)
        with _catch_ups.lock:
            if key not in _again:
                _catch_ups.threads.pop(key, None)
                return
            _again.discard(key)


def _up_to_date(kbase: KnowledgeBase, root: Path) -> bool:
    """The live generation's stamp equals the database's (read without any lock: a cheap look)."""
    gen = current_generation(root)
    stamp = _read_stamp(gen) if gen else None
    if stamp is None:
        return False
    with kbase.session() as session:
        return db_stamp(session) == stamp


#: A catch-up of at least this many records, and a rebuild of a knowledge base of at least this many, run in a
#: child process (``kb.search._child``), not in the thread: indexing holds the interpreter lock the searches
#: need, ≈ 0.7 ms of it per product. Below it, a child's start (≈ 1 s of processor) would cost more than it spares.
CHILD_BACKLOG = 1000
#: Seconds a child catch-up may take (a full build of a large knowledge base takes minutes).
CHILD_TIMEOUT = 3600
#: How the child says the index needs a full rebuild, and that somebody else maintains it.
CHILD_NEEDS_REBUILD, CHILD_BUSY = 3, 4


def _backlog(kbase: KnowledgeBase, root: Path) -> int:
    """How many records the live generation is behind the database (a large number when only a full
    build would do; 0 when it cannot tell: ``ensure`` then decides, in the thread)."""
    gen = current_generation(root)
    stamp = _read_stamp(gen) if gen else None
    if stamp is None or stamp.get("schema") != SCHEMA_VERSION:
        return 0
    with kbase.session() as session:
        ids, full = _changes_since(session, stamp, db_stamp(session))
    return sys.maxsize if full else sum(len(v) for v in ids.values())


def _stamped_records(stamp: dict[str, Any]) -> int:
    """How many records (standards, products, labs, groups) a stamp counts."""
    return sum((stamp.get(k) or [0])[0] or 0 for k in docs.KINDS)


def _records(kbase: KnowledgeBase) -> int:
    """How many records the index holds documents of, by the database."""
    with kbase.session() as session:
        return _stamped_records(db_stamp(session))


def _run_child(kbase: KnowledgeBase, *args: str) -> tuple[int, str]:
    """Run ``python -m kb.search._child ARGS`` on this knowledge base and wait for it (this thread only waits:
    no interpreter lock): its exit code and the last line it said. ``subprocess.TimeoutExpired`` after
    :data:`CHILD_TIMEOUT` seconds."""
    package_root = str(Path(__file__).resolve().parents[2])  # the child imports the same kb as this process
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p)}
    done = subprocess.run([sys.executable, "-m", "kb.search._child", *args], input=kbase.settings.model_dump_json(),
                          capture_output=True, text=True, env=env, timeout=CHILD_TIMEOUT, check=False)
    return done.returncode, (done.stderr.strip().splitlines() or [""])[-1]


def _build_in_child(kbase: KnowledgeBase) -> None:
    """A full rebuild in ``kb.search._child``: in a server's thread the build held the interpreter lock its
    requests need for as long as it took (minutes with 100,000 records). Raises when it did not succeed."""
    started = time.monotonic()
    try:
        code, said = _run_child(kbase, "rebuild")
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"the rebuild in a child process gave up after {CHILD_TIMEOUT} s") from None
    if code == CHILD_BUSY:
        raise Conflict(said or "the index is maintained by another process")
    if code != 0:
        raise RuntimeError(f"the rebuild in a child process failed (exit {code}): {said}")
    log.info("search index rebuilt in a child process in %.1f s", time.monotonic() - started)


def _catch_up_in_child(kbase: KnowledgeBase, h: _Handle, backlog: int) -> None:
    """Run the catch-up in ``kb.search._child`` and wait for it."""
    started = time.monotonic()
    try:
        code, said = _run_child(kbase)
    except subprocess.TimeoutExpired:
        log.error("search index catch-up in a child process gave up after %d s", CHILD_TIMEOUT)
        return
    if code == 0:
        log.info("search index caught up with %s records in a child process in %.1f s",
                 "all" if backlog == sys.maxsize else backlog, time.monotonic() - started)
    elif code == CHILD_NEEDS_REBUILD:
        _heal(kbase, h, said or "stamp unreadable or of another schema")
    elif code == CHILD_BUSY:
        log.info("search index catch-up deferred: %s", said)
    else:
        log.warning("search index catch-up in a child process failed (exit %d): %s", code, said)


def _catch_up(kbase: KnowledgeBase) -> None:
    h = handle_for(kbase)
    root = Path(kbase.settings.index_dir)
    try:
        if _up_to_date(kbase, root):
            return  # nothing to do: the maintenance lock is left to writers
        with maintenance(root, wait=False):
            # Held by somebody (an import building beside its batches, a sibling worker's child): Conflict, before
            # the backlog is counted. Counting it reads every changed id (100,000 of an import's products, every
            # two seconds in each worker) for nothing.
            pass
        backlog = _backlog(kbase, root)
        if backlog >= CHILD_BACKLOG:
            _catch_up_in_child(kbase, h, backlog)
            return
        ensure(kbase, full_ok=False, wait=False)
    except _NeedsRebuild as exc:
        _heal(kbase, h, str(exc))
    except Conflict as exc:  # somebody else maintains the index: the next check tries again
        log.info("search index catch-up deferred: %s", exc)
    except OSError as exc:  # disk full, read-only data dir: the index is a cache, search what is there
        log.error("search index could not be brought up to date: %s", exc)
    except SQLAlchemyError as exc:  # the database, not the index: rebuilding would not help
        log.warning("search index catch-up could not read the database: %s", exc)
    except Exception as exc:  # noqa: BLE001 - a generation whoosh cannot read
        log.warning("search index catch-up failed: %r", exc)
        _heal(kbase, h, f"{type(exc).__name__}: {exc}"[:200])


def _first_build(kbase: KnowledgeBase, root: Path) -> None:
    """No index has ever been here: build a small one now; else in the background (:class:`IndexUnavailable`)."""
    if _records(kbase) > FIRST_BUILD_IN_REQUEST:
        raise _heal(kbase, handle_for(kbase), "first start")
    try:
        with maintenance(root, wait=False):
            if current_generation(root) is None:
                _build(kbase)
    except Conflict:  # another thread or process is building it: answer from the database meanwhile
        raise IndexUnavailable("being built") from None


def searcher_for(kbase: KnowledgeBase, wait: bool = True):
    """``(searcher, memo)`` of the live generation, borrowed from this process's pool: give the searcher back
    with :func:`give_back` (or use :func:`searching`). ``wait`` False raises :class:`WouldWait` instead of
    building a first index or waiting for a searcher.

    Never waits for the index's maintenance: every :data:`STALE_CHECK_EVERY` seconds it looks at the disk
    (a cheap look, no database) and hands the catch-up with the database to a background thread. On a first
    start (no index ever opened here, none on disk) a small index is built right here; a large one, a
    missing, misplaced, damaged or outdated index later are rebuilt in the background while callers get
    :class:`IndexUnavailable` and answer from the database.
    """
    h = handle_for(kbase)
    root = Path(kbase.settings.index_dir)
    if rebuilding(kbase) is not None:
        raise IndexUnavailable("rebuilding")
    now = time.monotonic()
    if now - h.checked_at > STALE_CHECK_EVERY or h.ix is None:
        h.checked_at = now
        with h.lock:
            if _segments_changed(h):  # reopened below: reading it again shows whether it is damaged
                h._close()
        problem = _problem(root)
        first_start = not h.opened_once and problem == "missing" and not (root / "CURRENT").exists()
        if first_start:
            if not wait:  # h.ix is still None: the next caller looks again
                raise WouldWait("first start")
            _first_build(kbase, root)
        elif problem:
            raise _heal(kbase, h, problem)
        else:
            live = current_generation(root)
            stamp = _read_stamp(live) if live else None
            if live is None or stamp is None or stamp.get("schema") != SCHEMA_VERSION:
                raise _heal(kbase, h, "stamp unreadable or of another schema")
            catch_up_in_background(kbase)
    # at most SEARCHERS lent out: a thread beyond waits for a searcher, not for a lock of the index
    if not h.slots.acquire(blocking=wait):
        raise WouldWait("every searcher is lent out")
    try:
        return _borrow(kbase, h, root)
    except BaseException:
        h.slots.release()
        raise


def _borrow(kbase: KnowledgeBase, h: _Handle, root: Path):
    with h.lock:
        gen = current_generation(root)
        if gen is None:
            h._close()
            raise IndexUnavailable("missing")
        try:
            s = None
            if gen != h.gen or h.ix is None:
                h._close()
                h.segments = _segments(gen)
                h.ix, s = _open_checked(gen)
                h.gen = gen
                try:
                    h.avg_lengths = json.loads((gen / "lengths.json").read_text("utf-8"))
                except (OSError, ValueError):
                    h.avg_lengths = {}
            ix = h.ix
            while s is None and h.idle:
                s = h.idle.pop()
                if not s.up_to_date():
                    # a fresh searcher rather than refresh(): whoosh's refresh fails on an empty reader
                    s.close()  # idle: nobody else uses it
                    s = None
        except FileNotFoundError:
            raise  # a rebuild pruned it a moment ago: the caller retries on the live one
        except Exception as exc:  # noqa: BLE001 - a damaged segment or TOC
            h._close()
            raise _heal(kbase, h, f"{type(exc).__name__}: {exc}"[:200]) from None
    try:
        if s is None:
            s = ix.searcher()  # outside the handle's lock: opening reads every segment's header
        s._kb_ix = ix
        gen_no = s.reader().generation()
    except FileNotFoundError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged segment or TOC
        h.invalidate()
        raise _heal(kbase, h, f"{type(exc).__name__}: {exc}"[:200]) from None
    with h.lock:
        h.opened_once = True
        cache = h.cache_for(gen_no if isinstance(gen_no, int) else -1)  # an empty index has no generation
        cache.setdefault("avg_lengths", h.avg_lengths)
    return s, cache


def give_back(kbase: KnowledgeBase, searcher) -> None:
    """Return a searcher from :func:`searcher_for` to the pool (closed when its index is no longer the live one)."""
    h = handle_for(kbase)
    try:
        with h.lock:
            if getattr(searcher, "_kb_ix", None) is h.ix and h.ix is not None:
                h.idle.append(searcher)
                return
        try:
            searcher.close()
        except Exception:  # noqa: BLE001 - a searcher of a pruned or damaged generation: nothing to keep
            pass
    finally:
        h.slots.release()


@contextmanager
def searching(kbase: KnowledgeBase, wait: bool = True):
    """``with searching(kbase) as (searcher, memo):`` a pooled searcher of the live generation, given back after."""
    s, cache = searcher_for(kbase, wait)
    try:
        yield s, cache
    finally:
        give_back(kbase, s)
