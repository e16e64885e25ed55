"""The rendered-page cache stays under its cap: least recently used first, images of files no longer stored
removed, files in use (or just written) never removed, half-written leftovers cleaned."""

from __future__ import annotations

import os
from pathlib import Path

from kb.page_cache import GRACE_SECONDS, prune

NOW = 1_800_000_000.0
KB = 1024


def _stored(data_dir: Path, sha: str) -> None:
    pdf = data_dir / "files" / sha[:2] / f"{sha}.pdf"
    pdf.parent.mkdir(parents=True, exist_ok=True)
    pdf.write_bytes(b"%PDF-1.4")


def _image(data_dir: Path, name: str, size: int, used: float) -> Path:
    path = data_dir / "page-images" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\0" * size)
    os.utime(path, (used, used))
    return path


def test_least_recently_used_images_go_first_until_under_the_cap(tmp_path):
    sha = "ab" * 32
    _stored(tmp_path, sha)
    old = _image(tmp_path, f"{sha}-1-900.png", 400 * KB, NOW - 3000)
    middle = _image(tmp_path, f"{sha}-2-900.png", 400 * KB, NOW - 2000)
    recent = _image(tmp_path, f"{sha}-3-900.png", 400 * KB, NOW - 1000)
    # Read recently (access time), written long ago: counts as recently used.
    read = _image(tmp_path, f"{sha}-4-900.png", 400 * KB, NOW - 5000)
    os.utime(read, (NOW - 500, NOW - 5000))
    result = prune(tmp_path, cap_mb=1, now=NOW)  # 1 MiB holds two of the four
    assert not old.exists() and not middle.exists()
    assert recent.exists() and read.exists()
    assert (result.removed, result.removed_bytes, result.kept_bytes) == (2, 800 * KB, 800 * KB)
    # Under the cap: nothing more goes.
    assert prune(tmp_path, cap_mb=1, now=NOW).removed == 0 and recent.exists()


def test_images_in_use_stay_even_over_the_cap(tmp_path):
    sha = "cd" * 32
    _stored(tmp_path, sha)
    just_written = _image(tmp_path, f"{sha}-1-900.png", 300 * KB, NOW - GRACE_SECONDS / 2)
    older = _image(tmp_path, f"{sha}-2-900.png", 300 * KB, NOW - 2 * GRACE_SECONDS)
    result = prune(tmp_path, cap_mb=0.0001, now=NOW)
    assert just_written.exists() and not older.exists()
    assert result.kept_bytes == 300 * KB


def test_images_of_files_no_longer_stored_and_stale_temporaries_are_removed(tmp_path):
    kept, gone = "ef" * 32, "01" * 32
    _stored(tmp_path, kept)
    mine = _image(tmp_path, f"{kept}-1-900.png", KB, NOW - 10)
    orphan = _image(tmp_path, f"{gone}-1-900.png", KB, NOW - 10)  # its PDF is not in files/
    crashed = _image(tmp_path, "tmpabc.tmp", KB, NOW - 2 * GRACE_SECONDS)
    writing = _image(tmp_path, "tmpdef.tmp", KB, NOW - 1)  # a render being written right now
    result = prune(tmp_path, cap_mb=200, now=NOW)
    assert mine.exists() and writing.exists()
    assert not orphan.exists() and not crashed.exists()
    assert result.removed == 2


def test_no_cache_directory_is_nothing_to_do(tmp_path):
    assert prune(tmp_path, cap_mb=1).removed == 0
