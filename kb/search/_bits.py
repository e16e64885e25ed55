"""Document sets as Python ints used as bitsets: counts and facets over every match without scoring.

whoosh walks postings in pure Python; asking it for every matching document of a common word costs
hundreds of milliseconds on 20,000 records. Here each term's documents are read once per index
generation, kept as an int bitmask (2.5 kB for 20,000 documents), and combined with ``&``/``|``;
``int.bit_count()`` gives the total and each facet's count.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections import OrderedDict
from typing import Any

_MAX_TERMS = 4000  # cached term masks per generation (≈10 MB at 20,000 documents)


def _mask(ids, size: int) -> int:
    buf = bytearray((size >> 3) + 1)
    for i in ids:
        buf[i >> 3] |= 1 << (i & 7)
    return int.from_bytes(buf, "little")


def bit(mask: int, docnum: int) -> bool:
    return (mask >> docnum) & 1 == 1


def _leaf_ids(matcher) -> list[int]:
    """All ids of a leaf matcher, a block at a time when it is whoosh's on-disk matcher."""
    if hasattr(matcher, "_read_ids") and hasattr(matcher, "_next_block"):
        ids: list[int] = []
        while matcher.is_active():
            matcher._read_ids()
            ids.extend(matcher._ids)
            matcher._next_block()
        return ids
    return list(matcher.all_ids())


class Bits:
    """Bitsets over one searcher's documents, memoised in the generation's cache."""

    def __init__(self, searcher, cache: dict[str, Any]):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.size = self.reader.doc_count_all()
        self.memo: OrderedDict = cache.setdefault("bits", OrderedDict())
        self.lock = cache.setdefault("bits_lock", threading.Lock())
        #: one thread builds a table of the whole index (facet masks, live documents) while the others wait for
        #: it: 16 first searches at once each built their own copy of each table over 110,000 documents
        self.build_lock = cache.setdefault("build_lock", threading.RLock())
        self.avg_lengths: dict[str, float] = cache.get("avg_lengths") or {}
        if cache.get("bits_size") != self.size:
            self.memo.clear()
            cache["bits_size"] = self.size

    def term(self, field: str, word: str) -> int:
        key = (field, word)
        m = self.memo.get(key)
        if m is not None:
            return m
        ids: list[int] = []
        if self.reader.doc_frequency(field, word):
            for sub, offset in self.reader.leaf_readers():
                if (field, word) in sub:
                    leaf = sub._terms.matcher(field, sub._text_to_bytes(field, word), sub.schema[field].format)
                    ids.extend(i + offset for i in _leaf_ids(leaf))
        m = _mask(ids, self.size) & self.live()
        with self.lock:  # threads share the memo of a generation
            self.memo[key] = m
            while len(self.memo) > _MAX_TERMS:
                self.memo.popitem(last=False)
        return m

    def once(self, key: tuple[str, str], build):
        """The memo of ``key``, built by one thread (``build()``) while any other asking for it waits."""
        found = self.memo.get(key)
        if found is None:
            with self.build_lock:
                found = self.memo.get(key)
                if found is None:
                    found = self.memo[key] = build()
        return found

    def live(self) -> int:
        """Documents not deleted (an incremental update deletes and re-adds)."""
        return self.once(("", "live"), self._live)

    def _live(self) -> int:
        if self.reader.has_deletions():
            return _mask(self.reader.all_doc_ids(), self.size)
        return (1 << self.size) - 1

    def values(self, column: str) -> dict[str, int]:
        """value -> mask of a sortable single-valued field (the facets)."""
        return self.once(("", "col:" + column), lambda: self._values(column))

    def _values(self, column: str) -> dict[str, int]:
        groups: dict[str, list[int]] = {}
        # Per segment, with its offset: a multi-segment reader's joined column misplaces values when
        # one segment's column is shorter or missing.
        for leaf, offset in self.reader.leaf_readers():
            if not leaf.has_column(column):
                continue
            for n, v in enumerate(leaf.column_reader(column)):
                if isinstance(v, bytes):
                    v = v.decode("utf-8")
                if v:
                    groups.setdefault(v, []).append(n + offset)
        live = self.live()
        return {v: _mask(ids, self.size) & live for v, ids in groups.items()}

    def length(self, field: str, docnum: int) -> tuple[int, float]:
        """A document's length in a field (tokens) and the field's average length."""
        def build() -> tuple[dict[int, int], float]:
            avg = self.avg_lengths.get(field) or self.reader.field_length(field) / max(1, self.reader.doc_count())
            return {}, avg

        lengths, avg = self.once(("", "len:" + field), build)
        v = lengths.get(docnum)
        if v is None:
            v = lengths[docnum] = self.reader.doc_field_length(docnum, field, 0)
        return v, avg

    def value_of(self, column: str, docnum: int) -> str | None:
        def build() -> tuple[list[int], list[Any]]:
            # Per segment, like ``values``: whoosh's joined column offsets segments by their column
            # lengths, which are short when a segment's last documents have no value.
            leaves = self.reader.leaf_readers()
            return ([offset for _, offset in leaves],
                    [leaf.column_reader(column) if leaf.has_column(column) else None for leaf, _ in leaves])

        offsets, cols = self.once(("", "val:" + column), build)
        i = bisect_right(offsets, docnum) - 1
        col = cols[i]
        if col is None:
            return None
        try:
            v = col[docnum - offsets[i]]
        except IndexError:  # whoosh ends a column at the last document that had a value
            return None
        return (v.decode("utf-8") if isinstance(v, bytes) else v) or None


def lowest(mask: int, k: int) -> list[int]:
    """The first ``k`` document numbers in a mask."""
    out: list[int] = []
    while mask and len(out) < k:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


class Accumulator:
    """Per-document integer sums kept as bit planes (bit-sliced), for choosing the best candidates
    of a large match set with a few dozen big-int operations instead of a loop over documents."""

    def __init__(self) -> None:
        self.planes: list[int] = []

    def add(self, mask: int, weight: int) -> None:
        j = 0
        while weight:
            if weight & 1:
                carry, k = mask, j
                while carry:
                    while k >= len(self.planes):
                        self.planes.append(0)
                    self.planes[k], carry = self.planes[k] ^ carry, self.planes[k] & carry
                    k += 1
            weight >>= 1
            j += 1

    def top(self, candidates: int, k: int) -> int:
        """A mask of ``k`` candidates with the largest sums (O'Neil's bit-sliced top-k)."""
        if candidates.bit_count() <= k:
            return candidates
        good, equal = 0, candidates
        for plane in reversed(self.planes):
            x = good | (equal & plane)
            n = x.bit_count()
            if n > k:
                equal &= plane
            elif n == k:
                return x
            else:
                good, equal = x, equal & ~plane
        need = k - good.bit_count()
        for d in lowest(equal, need):
            good |= 1 << d
        return good
