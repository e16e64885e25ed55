"""The rendered-page cache (``<data dir>/page-images/<sha256>-<page>-<width>.png``) kept to a size cap.

The web renders a PDF page once and keeps its PNG; :func:`prune` runs after each new file and removes,
first, images whose source file is no longer stored (``files/<sha[:2]>/<sha>.pdf``), then the least
recently used images until the directory fits ``KB_PAGE_CACHE_MB``. "Used" is the later of the file's
access and modification times (access times are only as fresh as the mount records them; under
``noatime`` it is the write time). Files are written aside and renamed, so removing one never truncates
what a reader has open; files used within :data:`GRACE_SECONDS` are kept even over the cap, so a page
being served now (looked up, not yet opened) is not removed under it. Half-written ``*.tmp`` files left
by a crash are removed once they are older than the grace period.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

#: A file used this recently is never removed (a request may be between finding it and opening it).
GRACE_SECONDS = 60.0


@dataclass
class Pruned:
    removed: int = 0
    removed_bytes: int = 0
    kept_bytes: int = 0


def _source_exists(files_dir: Path, name: str) -> bool:
    sha = name.split("-", 1)[0]
    return (files_dir / sha[:2] / f"{sha}.pdf").is_file()


def _remove(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:  # another process pruned it first
        return False
    return True


def prune(data_dir: Path, cap_mb: float, *, now: float | None = None) -> Pruned:
    """Bring ``data_dir/page-images`` under ``cap_mb`` megabytes (see the module's docstring)."""
    cache_dir = data_dir / "page-images"
    files_dir = data_dir / "files"
    now = time.time() if now is None else now
    result = Pruned()
    entries: list[tuple[float, int, Path]] = []
    try:
        listing = list(os.scandir(cache_dir))
    except FileNotFoundError:
        return result
    for entry in listing:
        try:
            st = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            continue
        path = Path(entry.path)
        used = max(st.st_atime, st.st_mtime)
        recent = now - used < GRACE_SECONDS
        stale_tmp = entry.name.endswith(".tmp") and not recent
        orphan = entry.name.endswith(".png") and not _source_exists(files_dir, entry.name)
        if stale_tmp or orphan:
            if _remove(path):
                result.removed += 1
                result.removed_bytes += st.st_size
            continue
        if entry.name.endswith(".png"):
            entries.append((used, st.st_size, path))
    total = sum(size for _, size, _ in entries)
    cap = int(cap_mb * 1024 * 1024)
    for used, size, path in sorted(entries, key=lambda e: e[0]):
        if total <= cap:
            break
        if now - used < GRACE_SECONDS:
            break  # everything from here on is in use now
        if _remove(path):
            result.removed += 1
            result.removed_bytes += size
        total -= size
    result.kept_bytes = total
    return result
