"""A whoosh segment writer for full builds: the same segment files, byte for byte, at about half the CPU.

Whoosh's ``SegmentWriter`` puts every posting through Python one at a time: a tuple into a sorting pool (with
a size estimate and two asserts), a sort of all of them, then ``add_postings`` and ``W3PostingsWriter`` take
each back out with a length lookup and four appends. A product has ≈ 124 postings; 100,000 products cost
≈ 80 s of one core that way. Here a document's terms per field are counted at once (``Counter``) and the
document is appended to each term's list of documents in one C-level pass (``map`` of ``list.append``);
frequencies other than 1 are kept apart (most words occur once in a field). Terms are sorted once at the end
and each one's blocks are written as ``W3PostingsWriter`` writes them; a term of one block (most of them)
straight from its postings, with its term-table row, in runs of a few thousand terms.

What stays whoosh's own: the per-document writer (stored fields, field lengths, sortable columns), the term
table's layout (``OrderedHashWriter``: its index and hash buckets are filled as its ``add`` fills them),
``W3TermInfo``, the segment and the table of contents. ``tests/kb/test_search_bulk.py`` builds the same
documents both ways and compares every file of the segment.

Only what the schema uses is taken on this path: frequency postings counted by ``_schema._Counted``, existence
postings of untokenised ``ID`` fields, and any other format through its own ``field.index`` (postings kept
with their weights and values). Per-document and per-field boosts (``_boost`` keys), term vectors and
separate spelling fields are refused.
"""

from __future__ import annotations

import zlib
from array import array  # 32-bit float weights, as W3PostingsWriter keeps them
from collections import Counter, defaultdict, deque
from hashlib import md5
from itertools import chain, repeat
from operator import sub
from pickle import dumps
from typing import Any

from whoosh.analysis import IDTokenizer
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo
from whoosh.filedb.filetables import _lengths as _ROW_LENGTHS
from whoosh.filedb.filetables import md5_hash
from whoosh.formats import Existence
from whoosh.system import pack_int, pack_long, pack_uint, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

from kb.search._schema import _TERMS, _Counted

#: Postings per block, and the zlib level, as ``W3Codec`` writes them.
_BLOCK = 128
_COMPRESSION = 3
_ONE = pack_uint(1)
_TERM_INFO = W3TermInfo._struct


class _FieldPostings:
    """One field's postings as they are added: each term's document numbers, in order."""

    __slots__ = ("docs", "freqs", "lengths", "size", "values", "weights")

    def __init__(self, generic: bool) -> None:
        self.docs: defaultdict[Any, list[int]] = defaultdict(list)  # term → its documents
        # Frequencies other than 1: term → {document: frequency}. Most postings are of words seen once.
        self.freqs: defaultdict[Any, dict[int, int]] = defaultdict(dict)
        self.lengths = bytearray()  # the field's length byte per document (0: none), for the blocks' stats
        # Formats whose weight and value are not the frequency's (positions): term → weights, values.
        self.weights: defaultdict[Any, list[float]] | None = defaultdict(list) if generic else None
        self.values: defaultdict[Any, list[bytes]] | None = defaultdict(list) if generic else None
        self.size = 0


class _Tracked:
    """A file being written that knows its position: whoosh asks ``tell()`` twice per term of the term table, and
    a buffered file's ``tell`` is a system call (``lseek``): 7 s of 100,000 products' build."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw
        self._pos = raw.tell()

    def write(self, data: bytes) -> int:
        self._pos += len(data)
        return self._raw.write(data)

    def tell(self) -> int:
        return self._pos

    def __getattr__(self, name: str) -> Any:  # close, flush, fileno: the file's own
        return getattr(self._raw, name)


class BulkSegmentWriter(SegmentWriter):
    """``SegmentWriter`` for adding many documents to a new segment (no deletions, no updates)."""

    def __init__(self, ix, **kwargs: Any) -> None:
        super().__init__(ix, **kwargs)
        # Written front to back only (whoosh's writers never seek): their positions can be counted.
        for structfile in (self.fieldwriter._tindex.dbfile, self.fieldwriter._postfile):
            structfile.file = _Tracked(structfile.file)
        self._fields: dict[str, _FieldPostings] = {}
        self._modes: dict[str, str] = {}
        for name in self.schema.names():
            field = self.schema[name]
            if field.vector or field.separate_spelling():
                raise ValueError(f"the bulk writer does not write term vectors or spelling fields ({name})")
            if not field.indexed:
                continue
            fmt = field.format
            if type(fmt) is _Counted:
                self._modes[name] = "counted"
            elif type(fmt) is Existence and _untokenised(field):
                self._modes[name] = "existence"
            else:
                self._modes[name] = "generic"

    @property
    def postings(self) -> int:
        """Postings held so far: what the writer's memory grows with (:data:`BYTES_PER_POSTING`, terms included)."""
        return sum(p.size for p in self._fields.values())

    def add_document(self, **fields: Any) -> None:
        self._check_state()
        if any(name[0] == "_" for name in fields):
            raise ValueError("the bulk writer takes no boosts or _stored_ values")
        schema = self.schema
        self._check_fields(schema, fields)
        perdoc = self.perdocwriter
        docnum = self.docnum
        perdoc.start_doc(docnum)
        try:
            for fieldname in sorted(fields):
                value = fields[fieldname]
                if value is None:
                    continue
                field = schema[fieldname]
                length = self._index(fieldname, field, value, docnum) if field.indexed else 0
                perdoc.add_field(fieldname, field, value if field.stored else None, length)
                column = field.column_type
                if column:
                    perdoc.add_column_value(fieldname, column, field.to_column_value(value))
        except Exception:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def _index(self, fieldname: str, field: Any, value: Any, docnum: int) -> int:
        """Add one field's postings of a document; its length (what the scorer's length norm reads)."""
        mode = self._modes[fieldname]
        posts = self._fields.get(fieldname)
        if posts is None:
            posts = self._fields[fieldname] = _FieldPostings(mode == "generic")
        if mode == "counted" and isinstance(value, str):
            counts: Any = Counter(_TERMS[field.format.terms](value))
        elif mode == "existence" and isinstance(value, str) and value:
            counts = {value: 1}
        elif mode != "generic":
            # A list value and the like: the format's own analysis, the same weights and values.
            counts = {btext.decode("utf-8"): freq for btext, freq, _w, _v in field.index(value)}
        else:
            counts = {}
            assert posts.weights is not None and posts.values is not None
            for btext, freq, weight, vbytes in field.index(value):
                counts[btext] = freq
                posts.weights[btext].append(float(weight))
                posts.values[btext].append(vbytes or b"")
        if not counts:
            return 0
        # One C-level pass: each term's list gets this document (no Python loop per posting).
        deque(map(list.append, map(posts.docs.__getitem__, counts), repeat(docnum)), maxlen=0)
        posts.size += len(counts)
        if mode != "existence" and len(counts) != sum(counts.values()):
            freqs = posts.freqs
            for word, freq in counts.items():
                if freq != 1:
                    freqs[word][docnum] = freq
        if not field.scorable:
            return 0
        length = sum(counts.values())
        lengths = posts.lengths
        if len(lengths) <= docnum:
            lengths.extend(bytes(docnum + 1 - len(lengths)))
        lengths[docnum] = length_to_byte(length)
        return length

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        writer = self.fieldwriter
        for fieldname in sorted(self._fields):
            posts = self._fields.pop(fieldname)  # each field's lists are freed once written
            if not posts.size:
                continue  # whoosh starts no field that has no terms
            field = self.schema[fieldname]
            writer.start_field(fieldname, field)
            _write_field(writer, field, self._modes[fieldname], posts)
            writer.finish_field()
        writer.close()


def _untokenised(field: Any) -> bool:
    """An ``ID`` field: the whole value is its one term (``IDTokenizer`` and nothing after it)."""
    return type(field.analyzer) is IDTokenizer


class _Terms:
    """Rows of whoosh's term table, as ``OrderedHashWriter.add`` writes them (its file, index and hash buckets),
    and the postings they point to, each written in runs: the two files take one write per few thousand terms,
    not several per term."""

    RUN = 2048

    def __init__(self, writer: Any) -> None:
        self._table = writer._tindex
        self._index_append = self._table.index.append
        self._buckets = self._table.buckets
        self._hash = _md5_low32 if self._table.hashfn is md5_hash else self._table.hashfn
        self._rows: list[bytes] = []
        self._row_pos = self._table.dbfile.tell()
        self._postfile = writer._postfile
        self._posts: list[bytes] = []
        self.post_pos = self._postfile.tell()  # where the next term's postings begin
        self._last = b""

    def add(self, key: bytes, postings: bytes, info: bytes) -> None:
        """One term: its postings (at :attr:`post_pos`, which ``info`` names) and its row ``key`` → ``info``."""
        self._posts.append(postings)
        self.post_pos += len(postings)
        pos = self._row_pos
        self._index_append(pos)
        h = self._hash(key)
        self._buckets[h & 255].append((h, pos))
        row = _ROW_LENGTHS.pack(len(key), len(info)) + key + info
        self._rows.append(row)
        self._row_pos += len(row)
        self._last = key
        if len(self._rows) >= self.RUN:
            self.flush()

    def flush(self) -> None:
        self._postfile.write(b"".join(self._posts))
        self._table.dbfile.write(b"".join(self._rows))
        self._posts.clear()
        self._rows.clear()
        self._table.lastkey = self._last


def _md5_low32(key: bytes) -> int:
    """``filetables.md5_hash``: the low 32 bits of the key's MD5, without a hexadecimal string between."""
    return int.from_bytes(md5(key, usedforsecurity=False).digest()[-4:], "big")


def _write_field(writer: Any, field: Any, mode: str, posts: _FieldPostings) -> None:
    """Every term of one field, in term order, as ``W3FieldWriter.add_postings`` writes them."""
    fmt = field.format
    boost = float(fmt.field_boost)
    plain = mode != "generic" and boost == 1.0  # weights are the frequencies (or 1.0), as floats
    fixed = fmt.fixed_value_size()
    lengths = posts.lengths if field.scorable else None
    terms = _Terms(writer)
    keyprefix = pack_ushort(writer._fieldid)
    all_docs, all_freqs = posts.docs, posts.freqs
    for word in sorted(all_docs):  # str in code point order is the UTF-8 bytes' order
        docs = all_docs.pop(word)
        key = keyprefix + (word if isinstance(word, bytes) else word.encode("utf-8"))
        multi = all_freqs.get(word)
        end = len(docs)
        if plain and end <= _BLOCK:
            _add_short_term(terms, key, docs, None if mode == "existence" else multi or (), lengths)
            continue
        info = W3TermInfo()
        out = [WHOOSH3_HEADER_MAGIC]
        for b in range(0, end, _BLOCK):
            e = min(b + _BLOCK, end)
            ids = docs[b:e] if end > _BLOCK else docs
            freqs: Any
            if mode == "existence":
                freqs = None
            elif multi is None:
                freqs = repeat(1, e - b)
            else:
                freqs = list(map(multi.get, ids, repeat(1)))
            if plain:
                _write_plain_block(out, info, ids, freqs, lengths, last=e == end)
                continue
            if mode == "counted":
                freqs = list(freqs)
                ws = [float(f) * boost for f in freqs]
                vals: Any = b"".join(map(pack_uint, freqs))
            elif mode == "existence":
                ws = [boost] * (e - b)
                vals = None
            else:
                assert posts.weights is not None and posts.values is not None
                ws = posts.weights[word][b:e]
                vals = [v for v in posts.values[word][b:e] if v]
                vals = None if fixed == 0 else (b"".join(vals) if fixed else tuple(vals))
            _write_block(out, info, ids, ws, vals, lengths, last=e == end)
        data = b"".join(out)
        info._offset = terms.post_pos
        info._length = len(data)
        terms.add(key, data, info.to_bytes())
    terms.flush()


def _add_short_term(terms: _Terms, key: bytes, ids: list[int], multi: Any, lengths: bytearray | None) -> None:
    """A term of one block whose weights are its frequencies (``multi``: those other than 1, by document) or all 1.0
    (``multi`` None: existence): ``_write_plain_block`` and ``W3TermInfo.to_bytes`` in one, for the most common
    term by far (a word of one or a few documents)."""
    n = len(ids)
    if multi is None:
        top, total, mini_weights, values = 1, n, None, None
    elif not multi:
        top, total, mini_weights, values = 1, n, None, _ONE * n
    else:
        freqs = list(map(multi.get, ids, repeat(1)))
        top, low, total = max(freqs), min(freqs), sum(freqs)
        mini_weights = None if top == 1 else (float(top) if top == low else tuple(map(float, freqs)))
        values = b"".join(map(pack_uint, freqs))
    minbyte = maxbyte = 0
    if lengths is not None:
        have = [lb for lb in map(lengths.__getitem__, ids) if lb]
        if have:
            minbyte, maxbyte = min(have), max(have)
    maxweight = float(top)
    databytes = zlib.compress(dumps((_deltas(ids), mini_weights, values), 2), _COMPRESSION)
    infobytes = dumps((n, ids[-1], maxweight, _COMPRESSION, minbyte, maxbyte), 2)
    size = len(infobytes) + len(databytes)
    data = WHOOSH3_HEADER_MAGIC + pack_int(-size) + infobytes + databytes
    info = _TERM_INFO.pack(False, float(total), n, minbyte, maxbyte, maxweight, ids[0], ids[-1])
    terms.add(key, data, info + pack_long(terms.post_pos) + pack_int(len(data)))


def _block_stats(info: W3TermInfo, ids: list[int], maxweight: float, lengths: bytearray | None
                 ) -> tuple[int | None, int]:
    """``W3TermInfo.add_block`` but the weight sum; the block's shortest and longest field length."""
    minlength = None
    maxlength = 0
    if lengths is not None:
        have = [lb for lb in map(lengths.__getitem__, ids) if lb]
        if have:
            minlength, maxlength = byte_to_length(min(have)), byte_to_length(max(have))
    info._df += len(ids)
    if info._minlength is None:
        info._minlength = minlength
    elif minlength is not None:
        info._minlength = min(info._minlength, minlength)
    if maxlength > info._maxlength:
        info._maxlength = maxlength
    if maxweight > info._maxweight:
        info._maxweight = maxweight
    if info._minid is None:
        info._minid = ids[0]
    info._maxid = ids[-1]
    return minlength, maxlength


def _deltas(ids: list[int]) -> tuple[int, ...]:
    return tuple(map(sub, ids, chain((0,), ids))) if len(ids) > 1 else (ids[0],)


def _finish_block(out: list[bytes], ids: list[int], mini_weights: Any, values: Any, maxweight: float,
                  minlength: int | None, maxlength: int, last: bool) -> None:
    databytes = zlib.compress(dumps((_deltas(ids), mini_weights, values), 2), _COMPRESSION)
    infobytes = dumps((len(ids), ids[-1], maxweight, _COMPRESSION, length_to_byte(minlength),
                       length_to_byte(maxlength)), 2)
    size = len(infobytes) + len(databytes)
    out.append(pack_int(-size if last else size))
    out.append(infobytes)
    out.append(databytes)


def _write_plain_block(out: list[bytes], info: W3TermInfo, ids: list[int], freqs: Any, lengths: bytearray | None,
                       last: bool) -> None:
    """A block whose weights are its frequencies (``freqs``) or all 1.0 (existence, ``freqs`` None): the sums and
    comparisons of whole numbers, without the 32-bit float array ``_write_block`` goes through."""
    n = len(ids)
    if freqs is None:
        top, total, mini_weights, values = 1, n, None, None
    elif type(freqs) is repeat:  # all 1
        top, total, mini_weights, values = 1, n, None, _ONE * n
    else:
        top, low = max(freqs), min(freqs)
        total = sum(freqs)
        mini_weights = None if top == 1 else (float(top) if top == low else tuple(map(float, freqs)))
        values = b"".join(map(pack_uint, freqs))
    maxweight = float(top)
    info._weight += float(total)
    minlength, maxlength = _block_stats(info, ids, maxweight, lengths)
    _finish_block(out, ids, mini_weights, values, maxweight, minlength, maxlength, last)


def _write_block(out: list[bytes], info: W3TermInfo, ids: list[int], weights: list[float], values: Any,
                 lengths: bytearray | None, last: bool) -> None:
    """One block of a term's postings: ``W3PostingsWriter._write_block`` and ``W3TermInfo.add_block``."""
    stored = array("f", weights)  # the writer keeps weights as 32-bit floats; sums and minis read them back
    maxweight = max(weights)
    if not maxweight > 0:
        maxweight = 0
    info._weight += sum(stored)
    minlength, maxlength = _block_stats(info, ids, maxweight, lengths)
    if all(w == 1.0 for w in stored):
        mini_weights: Any = None
    elif all(w == stored[0] for w in stored):
        mini_weights = stored[0]
    else:
        mini_weights = tuple(stored)
    _finish_block(out, ids, mini_weights, values, maxweight, minlength, maxlength, last)


#: Resident bytes a posting takes in ``BulkSegmentWriter`` (measured: 28 with 100,000 products, terms included).
BYTES_PER_POSTING = 30


class BulkSegments:
    """Documents into new segments of ``ix``: a segment is closed and another begun whenever the one being filled
    holds ``limit_mb`` of postings, so memory stays bounded however many documents come. Several of these may
    fill segments of one index at once (in forked processes); ``commit_segments`` then adds them all.

    A document added can be deleted again (a record that changed after it was indexed): it stays in its segment,
    marked deleted, as whoosh marks the documents an update replaces."""

    def __init__(self, ix, limit_mb: int) -> None:
        self._ix = ix
        self._max_postings = max(1, limit_mb * 1024 * 1024 // BYTES_PER_POSTING)
        self._done: list[Any] = []
        self._writer: BulkSegmentWriter | None = None
        self._deleting: list[int] = []  # documents of the segment being filled to mark deleted when it closes
        self.added = 0  # whoosh documents written, a standard's pages included (deleted ones too)

    def add_document(self, **fields: Any) -> tuple[int, int]:
        """Add a document; where it went (segment, document number), for :meth:`delete`."""
        if self._writer is None:
            self._writer = BulkSegmentWriter(self._ix, _lk=False)
        where = (len(self._done), self._writer.docnum - self._writer.docbase)  # the segment's own numbering
        self._writer.add_document(**fields)
        self.added += 1
        if self._writer.postings >= self._max_postings:
            self._close_segment()
        return where

    def delete(self, where: tuple[int, int]) -> None:
        """Mark a document this added deleted."""
        segment, docnum = where
        if segment < len(self._done):
            self._done[segment].delete_document(docnum)
        else:
            self._deleting.append(docnum)

    def _close_segment(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            segment = writer._finalize_segment()
            for docnum in self._deleting:
                segment.delete_document(docnum)
            self._deleting = []
            self._done.append(segment)
            # Not ``writer._finish()``: it removes the index's temporary folder, which every writer of the index
            # shares (``MAIN.tmp``), and another process may still be filling a segment there.
            # ``commit_segments`` removes it once all are done.
            writer.is_closed = True

    def close(self) -> list[Any]:
        """The segments written (whoosh ``Segment`` objects, picklable), the one being filled closed."""
        self._close_segment()
        return self._done

    def cancel(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            self._writer = None


def commit_segments(ix, segments: list[Any]) -> None:
    """A new table of contents for ``ix``: its segments and these. Takes whoosh's write lock (never waits: the
    caller holds the index's maintenance lock, so nobody else should be writing)."""
    from whoosh.index import TOC, LockError

    lock = ix.lock("WRITELOCK")
    if not lock.acquire(blocking=False):
        raise LockError("the index is being written")
    try:
        generation = ix.latest_generation() + 1
        TOC(ix.schema, [*ix._segments(), *segments], generation).write(ix.storage, ix.indexname)
        ix.storage.temp_storage(f"{ix.indexname}.tmp").destroy()
    finally:
        lock.release()
