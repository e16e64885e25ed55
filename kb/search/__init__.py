"""Full-text search over standards, products, labs and product groups (whoosh-reloaded behind a narrow surface).

The index is a cache of the database: ``reindex`` rebuilds it into a fresh directory and swaps it in,
``update`` re-indexes the records a change touched, ``ensure_index`` rebuilds a missing or outdated
index and catches up with changes made behind its back. Searches never wait for any of this: they read
the live generation through a small pool of shared searchers while one background thread per process
catches the index up with the database. Callers only see these names; the engine
could be replaced without touching them.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from kb.core import KnowledgeBase
from kb.errors import Conflict
from kb.search import _index
from kb.search._documents import KINDS
from kb.search._fallback import search_db
from kb.search._forward import named_group, way_forward
from kb.search._prebuild import Prebuild
from kb.search._query import FACETS, run, warm
from kb.search._results import Hit, SearchResults
from kb.search._status import index_status

__all__ = ["FACETS", "KINDS", "Hit", "Prebuild", "SearchResults", "ensure_index", "index_status", "keep_up", "named_group", "rebuilding",
           "reindex", "search", "search_now", "update", "way_forward"]

log = logging.getLogger(__name__)

#: Recent results kept per index generation (0 turns the memo off, as the benchmark does).
RESULT_MEMO = 512


def search(
    kbase: KnowledgeBase,
    query: str,
    *,
    kind: str | None = None,
    limit: int = 10,
    filters: dict | None = None,
) -> SearchResults:
    """Ranked hits for any user input; never raises on odd input (an empty result instead).

    When the index cannot answer (missing, damaged, replaced by a file, of another generation) it is rebuilt
    in the background and the answer comes from the database instead, with ``degraded`` set.
    """
    found = _search(kbase, query, kind, limit, filters, wait=True)
    assert found is not None  # waiting allowed: the database answers when the index cannot
    return found


def search_now(
    kbase: KnowledgeBase,
    query: str,
    *,
    kind: str | None = None,
    limit: int = 10,
    filters: dict | None = None,
) -> SearchResults | None:
    """:func:`search`'s answer when the index gives it at once; None when it would take waiting (for a
    searcher, a first build, the tables of a generation nobody searched yet) or the database. For an event
    loop: a few milliseconds of processor, no I/O."""
    return _search(kbase, query, kind, limit, filters, wait=False)


def _search(kbase: KnowledgeBase, query: str, kind: str | None, limit: int, filters: dict | None, *,
            wait: bool) -> SearchResults | None:
    query = query if isinstance(query, str) else ("" if query is None else str(query))
    if kind not in (None, "", *KINDS):
        return SearchResults(query=query)
    try:
        limit = int(limit)
    except (TypeError, ValueError):
        limit = 10
    # Same question, same index generation: same answer (the memo is dropped with the generation).
    try:
        key = (query, kind or None, limit, tuple(sorted((str(k), str(v)) for k, v in (filters or {}).items())))
    except Exception:  # noqa: BLE001 - odd filter values are simply not memoised
        key = None
    try:
        try:
            return _run(kbase, query, kind or None, limit, filters, key, wait)
        except FileNotFoundError:
            # a rebuild pruned the generation this searcher was reading: once more on the live one
            _index.handle_for(kbase).invalidate()
        try:
            return _run(kbase, query, kind or None, limit, filters, key, wait)
        except FileNotFoundError as exc:  # still missing: a file of the live generation is gone
            _index.report_failure(kbase, exc)
            raise _index.IndexUnavailable("a segment file is missing") from exc
    except _index.WouldWait:
        return None
    except _index.IndexUnavailable:
        pass
    except Exception as exc:  # noqa: BLE001 - a damaged segment must not turn into a server error
        log.warning("search failed in the index, answering from the database: %r", exc)
        _index.report_failure(kbase, exc)
    return search_db(kbase, query, kind=kind or None, limit=limit, filters=filters) if wait else None


def _run(kbase: KnowledgeBase, query: str, kind: str | None, limit: int, filters: dict | None, key,
         wait: bool) -> SearchResults:
    """The answer from a searcher borrowed from the process's pool (and the generation's memo of answers)."""
    with _index.searching(kbase, wait) as (searcher, cache):
        if not cache.get("warm"):  # a generation nobody searched yet (a swap, a catch-up's commit)
            if not wait:
                raise _index.WouldWait("the generation's tables are not built yet")
            warm(searcher, cache)
        memo = cache.setdefault("results", OrderedDict()) if RESULT_MEMO and key is not None else None
        lock = cache.setdefault("results_lock", threading.Lock())
        if memo is not None:
            with lock:
                hit = memo.get(key)
                if hit is not None:
                    memo.move_to_end(key)
            if hit is not None:
                return _copy(hit)
        res = run(searcher, cache, query, kind=kind, limit=limit, filters=filters)
    if memo is not None:
        with lock:
            memo[key] = _copy(res)
            while len(memo) > RESULT_MEMO:
                memo.popitem(last=False)
    return res


def _warm_live(kbase: KnowledgeBase) -> None:
    """The live generation's tables, built by the server's background thread: a worker's first searches waited
    ≈ 1 s for them with 110,000 products (in a thread: see :func:`search_now`)."""
    try:
        with _index.searching(kbase) as (searcher, cache):
            warm(searcher, cache)
    except _index.IndexUnavailable:
        pass  # being rebuilt, or gone: searches answer from the database and the rebuild is under way


def rebuilding(kbase: KnowledgeBase) -> threading.Thread | None:
    """The background rebuild of a damaged index while it runs (``join`` it to wait), else None."""
    return _index.rebuilding(kbase)


def _copy(res: SearchResults) -> SearchResults:
    return replace(res, hits=[replace(h) for h in res.hits], near=[replace(h) for h in res.near],
                   facets={k: dict(v) for k, v in res.facets.items()})


def reindex(kbase: KnowledgeBase, procs: int = 1) -> dict[str, Any]:
    """Rebuild from the database into a fresh directory and swap it in atomically.

    ``procs`` > 1 forks that many processes (a CLI batch may; a threaded server must not).
    Returns ``{"standard": n, "product": n, "lab": n, "group": n, "seconds": s, "generation": name}``.
    """
    return _index.build(kbase, procs)


def update(kbase: KnowledgeBase, *, standards: Iterable[int] = (), products: Iterable[int] = (), labs: Iterable[int] = (),
           groups: Iterable[int] = (), procs: int = 1) -> None:
    """Re-index these records after a change; ids no longer in the database are removed from the index.

    Done at once when nobody else maintains the index (in batches; a change of a large share of the index is
    a full build into a new generation). When the index stays busy past ``UPDATE_WAIT`` (a long catch-up, a
    rebuild, another process's writer) this waits no longer: the database change is committed and the index stamp was not advanced, so the
    background catch-up re-indexes it. When there is no index yet this is a full build; ``procs`` > 1 lets
    it fork that many processes (a single-threaded batch such as ``kb ingest`` may; a threaded server must not).
    """
    ids = {"standard": set(standards), "product": set(products), "lab": set(labs), "group": set(groups)}
    if not any(ids.values()):
        return
    try:
        _index.apply_changes(kbase, ids, procs=procs, wait=_index.UPDATE_WAIT)
    except Conflict as exc:
        log.info("search index busy, update left to the background catch-up: %s", exc)
        _index.catch_up_in_background(kbase)


def ensure_index(kbase: KnowledgeBase) -> None:
    """Build the index when missing or of an older schema; catch up with database changes otherwise — now, in
    the caller's thread (waiting a bounded time for another maintainer; :class:`kb.errors.Conflict` after it).
    Searches never do this themselves: they hand it to a background thread."""
    _index.ensure(kbase)


def keep_up(kbase: KnowledgeBase, stop: threading.Event) -> None:
    """Keep the index caught up with the database, and its live generation's tables built, until ``stop`` is
    set (a server's background thread)."""
    _index.keep_up(kbase, stop, warm=lambda: _warm_live(kbase))
