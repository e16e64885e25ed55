"""Ways a search index gets damaged on disk, for the healing tests and bench/index_healing.py."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from kb.search import _index


def overwrite_segments(root: Path) -> None:
    gen = _index.current_generation(root)
    assert gen is not None
    for seg in gen.glob("*.seg"):
        data = bytearray(seg.read_bytes())
        n = min(len(data), 4096)
        data[:n] = b"\xff" * n  # same size, garbage where whoosh reads the segment's layout
        seg.write_bytes(bytes(data))


def delete_directory(root: Path) -> None:
    shutil.rmtree(root)


def replace_by_a_file(root: Path) -> None:
    shutil.rmtree(root)
    root.write_text("not an index", "utf-8")


def stamp_of_another_schema(root: Path) -> None:
    gen = _index.current_generation(root)
    assert gen is not None
    stamp = gen / "stamp.json"
    data = json.loads(stamp.read_text("utf-8"))
    data["schema"] = -1  # built by another version of the index layout: not the database's generation
    stamp.write_text(json.dumps(data), "utf-8")


DAMAGES: dict[str, Callable[[Path], None]] = {
    "segment bytes overwritten": overwrite_segments,
    "index directory deleted": delete_directory,
    "index path replaced by a file": replace_by_a_file,
    "generation stamp of another schema": stamp_of_another_schema,
}
