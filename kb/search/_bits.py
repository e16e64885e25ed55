"""Document sets as Python ints used as bitsets: counts and facets over every match without scoring.

whoosh walks postings in pure Python; asking it for every matching document of a common word costs
hundreds of milliseconds on 20,000 records. Here each term's documents are read once per index
generation, kept as an int bitmask (2.5 kB for 20,000 documents), and combined with ``&``/``|``;
``int.bit_count()`` gives the total and each facet's count.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from itertools import compress
from operator import and_, itemgetter
from typing import Any

#: Bytes of term masks kept per index generation and process, the least recently used dropped first: 3,000
#: never-seen queries over 20,000 documents asked for 12,000 distinct terms, and a cap of 4,000 masks rebuilt
#: 3.5 masks a query from whoosh's postings (1.6 with all kept). 48 MB hold ≈19,000 masks of 20,000 documents,
#: ≈3,500 of 110,000.
_TERM_BYTES = 48 << 20


def _mask(ids, size: int) -> int:
    buf = bytearray((size >> 3) + 1)
    for i in ids:
        buf[i >> 3] |= 1 << (i & 7)
    return int.from_bytes(buf, "little")


def _bytes(mask: int) -> int:
    return (mask.bit_length() + 7) >> 3


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
        self.memo_bytes: list[int] = cache.setdefault("bits_bytes", [0])  # the memo's masks' bytes
        #: tables over the whole index (facet masks, columns, norms): kept for the generation, never evicted
        #: by the term masks coming and going
        self.tables: dict[tuple[str, str], Any] = cache.setdefault("bits_tables", {})
        self.lock = cache.setdefault("bits_lock", threading.Lock())
        #: one thread builds a table of the whole index (facet masks, live documents) while the others wait for
        #: it: 16 first searches at once each built their own copy of each table over 110,000 documents
        self.build_lock = cache.setdefault("build_lock", threading.RLock())
        self.avg_lengths: dict[str, float] = cache.get("avg_lengths") or {}
        if cache.get("bits_size") != self.size:
            self.memo.clear()
            self.memo_bytes[0] = 0
            self.tables.clear()
            cache["bits_size"] = self.size

    def term(self, field: str, word: str) -> int:
        key = (field, word)
        m = self.memo.get(key)
        if m is not None:
            try:
                self.memo.move_to_end(key)
            except KeyError:  # dropped by another thread meanwhile
                pass
            return m
        ids: list[int] = []
        if self.reader.doc_frequency(field, word):
            for sub, offset in self.reader.leaf_readers():
                if (field, word) in sub:
                    leaf = sub._terms.matcher(field, sub._text_to_bytes(field, word), sub.schema[field].format)
                    ids.extend(i + offset for i in _leaf_ids(leaf))
        m = _mask(ids, self.size) & self.live()
        with self.lock:  # threads share the memo of a generation
            if key not in self.memo:
                self.memo[key] = m
                self.memo_bytes[0] += _bytes(m)
            while self.memo_bytes[0] > _TERM_BYTES and self.memo:
                self.memo_bytes[0] -= _bytes(self.memo.popitem(last=False)[1])
        return m

    def once(self, key: tuple[str, str], build):
        """The memo of ``key``, built by one thread (``build()``) while any other asking for it waits."""
        found = self.tables.get(key)
        if found is None:
            with self.build_lock:
                found = self.tables.get(key)
                if found is None:
                    found = self.tables[key] = build()
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

    def norms(self, field: str, docnums: list[int], k1: float, b: float) -> dict[int, float]:
        """docnum -> BM25 length normalisation of a term occurring once in ``field``, for these documents:
        shorter fields weigh more. Remembered for the generation (filled as documents are asked about)."""
        table = self.once(("norm:" + field, f"{k1}:{b}"), dict)
        out = {}
        for n in docnums:
            v = table.get(n)
            if v is None:
                length, avg = self.length(field, n)
                v = table[n] = (k1 + 1.0) / (1.0 + k1 * (1.0 - b + b * length / avg)) if avg else 1.0
            out[n] = v
        return out

    def terms(self, field: str) -> frozenset[str]:
        """Every term of a field (the standards that have pages: the ``parent`` keys), once per generation."""
        return self.once(("", "terms:" + field), lambda: frozenset(self.reader.field_terms(field)))

    def column(self, column: str) -> list[str | None]:
        """A sortable field's value of every document (None where it has none), read once per generation:
        ranking asks for a candidate's status and type hundreds of times a search."""
        return self.once(("", "list:" + column), lambda: self._column(column))

    def _column(self, column: str) -> list[str | None]:
        out: list[str | None] = [None] * self.size
        # Per segment, like ``values``: whoosh's joined column offsets segments by their column
        # lengths, which are short when a segment's last documents have no value.
        for leaf, offset in self.reader.leaf_readers():
            if not leaf.has_column(column):
                continue
            for n, v in enumerate(leaf.column_reader(column)):  # whoosh ends a column at its last value
                if offset + n >= self.size:
                    break
                out[offset + n] = (v.decode("utf-8") if isinstance(v, bytes) else v) or None
        return out

    def value_of(self, column: str, docnum: int) -> str | None:
        values = self.column(column)
        return values[docnum] if 0 <= docnum < len(values) else None


def lowest(mask: int, k: int) -> list[int]:
    """The first ``k`` document numbers in a mask, ascending.

    Read off the mask's binary digits (one C pass, then one ``rfind`` per number): peeling the lowest bit off
    a 20,000-bit int copies the whole int for every number."""
    if mask <= 0 or k <= 0:
        return []
    digits = bin(mask)  # "0b1…": digit of document n at index len - 1 - n
    last = len(digits) - 1
    out: list[int] = []
    end = len(digits)
    while len(out) < k:
        i = digits.rfind("1", 2, end)
        if i < 0:
            break
        out.append(last - i)
        end = i
    return out


class Among:
    """A few candidate documents (``docs``, ascending; ``mask`` their bits), asked which of them a big mask holds.

    Each question reads the candidates' bytes of ``mask & self.mask`` in one C call (``itemgetter``) and keeps
    the candidates whose bit is set (``compress``): about 9 µs for 200 candidates of 20,000 documents, where
    reading the binary digits of the int took 26 µs."""

    def __init__(self, mask: int, docs: list[int]):
        self.mask = mask
        self.docs = docs
        self.nbytes = _bytes(mask)
        index = [d >> 3 for d in docs]
        self.bytes_of = itemgetter(*index) if len(index) > 1 else (lambda b: tuple(b[i] for i in index))
        self.bits = [1 << (d & 7) for d in docs]

    def members(self, mask: int) -> set[int]:
        """The candidates that ``mask`` holds."""
        both = mask & self.mask
        if not both:
            return set()
        return set(compress(self.docs, map(and_, self.bytes_of(both.to_bytes(self.nbytes, "little")), self.bits)))


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
