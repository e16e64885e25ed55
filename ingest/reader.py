"""Read a PDF's text layer with pypdfium2 (fast), NFC-normalised, legacy fonts transcoded."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kb.errors import IngestError


@dataclass
class PdfText:
    pages: list[str]
    page_count: int
    needs_ocr: bool
    legacy_font: str | None


def read_pdf(path: Path, *, max_pages: int | None = None) -> PdfText:  # pragma: no cover - stub
    raise IngestError("not implemented yet")
