"""OCR for scans through ocrmypdf + Tesseract (Vietnamese), when both are installed.

Neither is a Python dependency: they are Debian packages. Without them ``kb ingest --ocr`` says how
to install them instead of failing obscurely.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from kb.errors import IngestError

INSTALL_HINT = "cần OCR: cài đặt bằng `apt-get install ocrmypdf tesseract-ocr-vie` rồi chạy lại với --ocr"
NEEDS_OCR = "tệp scan không có lớp chữ, cần OCR (chạy lại với --ocr)"
NEEDS_OCR_AND_TOOLS = ("tệp scan không có lớp chữ, cần OCR: cài `apt-get install ocrmypdf tesseract-ocr-vie` "
                       "rồi chạy lại với --ocr")


def needs_ocr_message() -> str:
    """What to tell about a scan when OCR was not asked for: how to get it, if it is not installed."""
    return NEEDS_OCR if missing() is None else NEEDS_OCR_AND_TOOLS


def missing() -> str | None:
    """Why OCR cannot run here, or None when it can."""
    if shutil.which("ocrmypdf") is None or shutil.which("tesseract") is None:
        return INSTALL_HINT
    try:
        langs = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return INSTALL_HINT
    if "vie" not in langs.split():
        return INSTALL_HINT
    return None


def run_ocr(source: Path, target: Path, *, timeout: float) -> Path:
    """Write an OCR'd copy of ``source`` to ``target`` (text layer added, pages otherwise unchanged)."""
    reason = missing()
    if reason:
        raise IngestError(reason)
    # The OCR'd copy is only read for its text (the original file is kept): no PDF/A, no optimising.
    # --force-ocr rasterises every page (a junk text layer is replaced, not kept), each image at its own
    # resolution. --oversample 300 was measured and left out: on the corpus's 150 dpi scan it took 2.5× as long
    # (59 s against 23.5 s for 11 pages) and read no more marks (72 % of words marked against 73 %).
    cmd = ["ocrmypdf", "-l", "vie+eng", "--force-ocr", "--output-type", "pdf", "--optimize", "0", "--quiet",
           str(source), str(target)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise IngestError(f"OCR quá thời gian ({timeout:.0f} s)") from None
    except OSError as exc:
        raise IngestError(f"không chạy được ocrmypdf: {exc}") from None
    if proc.returncode != 0 or not target.exists():
        last = (proc.stderr.strip().splitlines() or ["lỗi không rõ"])[-1]
        raise IngestError(f"OCR thất bại: {last[:200]}")
    return target
