"""whoosh's segment files read in place, once per process: what kept a server's memory growing with its searchers.

whoosh 2.7.5 maps each segment file with ``mmap`` once per reader, then wraps every file it opens inside the
segment (postings, term index, each column) in a ``BufferFile`` whose ``BytesIO(memoryview)`` *copies* that
part of the map into the heap. Measured at 110,000 products (two segments, 240 MB): a searcher cost ≈ 170 MB
of heap copies plus its own 235 MB map; with one searcher per server thread, 16 concurrent searches took a
server from 0.5 GB to 7.5 GB (``bench/search_memory.py``; tracemalloc named ``structfile.py: BytesIO(buf)``).

Here a ``BufferFile`` reads its buffer in place (positions of its own, no copy), and every reader of the same
file shares one read-only map (the page cache holds it once; unmapped when the last reader lets it go).
"""

from __future__ import annotations

import mmap
import os
import threading
import weakref
from typing import Any


class _View:
    """A read-only file over a buffer, with its own position, that never copies the buffer as a whole."""

    __slots__ = ("_buf", "_pos", "_len")

    def __init__(self, buf: Any) -> None:
        self._buf = buf
        self._pos = 0
        self._len = len(buf)

    def read(self, n: int | None = -1) -> bytes:
        start = self._pos
        end = self._len if n is None or n < 0 else min(self._len, start + n)
        self._pos = max(start, end)
        return bytes(self._buf[start:end])

    def readinto(self, b: Any) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        end = self._len if size is None or size < 0 else min(self._len, self._pos + size)
        chunk = bytes(self._buf[self._pos:end])
        i = chunk.find(b"\n")
        if i >= 0:
            chunk = chunk[: i + 1]
        self._pos += len(chunk)
        return chunk

    def seek(self, pos: int, whence: int = 0) -> int:
        if whence == 1:
            pos += self._pos
        elif whence == 2:
            pos += self._len
        self._pos = max(0, pos)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        """Nothing to let go: the map is freed with its last reference. A memo of the generation may still hold a
        column reader of a closed searcher: it keeps reading right."""


class _SharedMap(mmap.mmap):
    """One read-only map of a segment file shared by the readers of this process."""

    def close(self) -> None:
        """Readers share it: it is unmapped when the last reference goes, not when one reader closes."""


_maps: weakref.WeakValueDictionary[tuple[int, int, int, int], _SharedMap] = weakref.WeakValueDictionary()
_maps_lock = threading.Lock()


class _MmapModule:
    """What ``whoosh.filedb.compound`` uses of the ``mmap`` module, mapping each file once."""

    error = OSError  # mmap.error is OSError
    ACCESS_READ = mmap.ACCESS_READ

    @staticmethod
    def mmap(fileno: int, length: int, access: int = mmap.ACCESS_READ) -> mmap.mmap:
        st = os.fstat(fileno)
        # a file rewritten in place (damage) has another size or time: a map of its own
        key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        with _maps_lock:
            found = _maps.get(key)
            if found is None:
                found = _maps[key] = _SharedMap(fileno, length, access=access)
            return found


def install() -> None:
    from whoosh.filedb import compound, structfile

    if getattr(structfile.BufferFile, "_kb_in_place", False):
        return

    def __init__(self, buf, name=None, onclose=None):  # noqa: N807 - whoosh's own constructor, replaced
        self._buf = buf
        self._name = name
        self.file = _View(buf)
        self.onclose = onclose
        self.is_real = False
        self.is_closed = False

    structfile.BufferFile.__init__ = __init__
    structfile.BufferFile._kb_in_place = True
    compound.mmap = _MmapModule
