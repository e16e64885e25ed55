"""Read a PDF's text layer with pypdfium2 (fast), NFC-normalised, legacy fonts transcoded.

pdfplumber is deliberately not used for text: pypdfium2 extracts plain text about 80× faster, and field
extraction only needs the text in reading order. ``open_pdf`` opens a file once; the same ``OpenPdf``
then goes to the text reader here and to the table readers (``ingest.grid``, ``ingest.criteria``,
``ingest.lab``, ``ingest.catalogue``), with pdfplumber opened only when a criteria page needs its fallback.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from ingest import legacy_fonts
from kb.errors import IngestError


@dataclass
class PdfText:
    pages: list[str]  # NFC text per page (index 0 = page 1); running headers kept
    page_count: int
    needs_ocr: bool  # no text layer, or junk text only
    legacy_font: str | None  # "tcvn3" | "vni" | None


# A page "has text" when it holds at least this many letters and at least half of its word tokens
# are Vietnamese syllables or plain ASCII words; a document needs OCR when under half its pages do.
MIN_PAGE_LETTERS = 40
MIN_WORDLIKE = 0.5
MIN_TEXT_PAGES_SHARE = 0.5

# Control characters pdfium may emit (STX for soft hyphens and the like); newline and tab are kept.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff\u200b]")


def _visible_count(text: str) -> int:
    return len("".join(text.split()))  # non-whitespace characters, counted at C speed


@dataclass
class OpenPdf:
    """One PDF opened once per worker: the pypdfium2 document, and pdfplumber when first needed."""

    path: Path
    doc: pdfium.PdfDocument
    _plumber: Any = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.doc)

    def plumber(self, pages: list[int]) -> Any:
        """pdfplumber on the file, limited to ``pages`` (1-based) the first time it is asked for."""
        if self._plumber is None:
            import pdfplumber

            self._plumber = pdfplumber.open(str(self.path), pages=pages)
        return self._plumber

    def close(self) -> None:
        if self._plumber is not None:
            self._plumber.close()
            self._plumber = None
        self.doc.close()

    def __enter__(self) -> OpenPdf:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_pdf(path: Path) -> OpenPdf:
    """Open ``path`` once for every reader; raises ``IngestError`` with the reason it cannot be read."""
    path = Path(path)
    return OpenPdf(path, _open(path))


def _open(path: Path) -> pdfium.PdfDocument:
    try:
        with path.open("rb") as fh:
            head = fh.read(1024)
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - 2048))
            tail = fh.read()
    except OSError as exc:
        raise IngestError(f"không đọc được tệp: {exc.strerror or exc}") from None
    if size == 0:
        raise IngestError("tệp rỗng (0 byte)")
    if b"%PDF-" not in head:
        raise IngestError("không phải tệp PDF (thiếu tiêu đề %PDF)")
    # pdfium silently rebuilds a cut-off file from what is left, so test the end marker ourselves.
    if b"%%EOF" not in tail:
        raise IngestError("tệp PDF bị cắt cụt hoặc hỏng (thiếu %%EOF)")
    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError:
        # pdfium's last-error code is process-wide and not reset by every failure path (an empty page
        # tree reports whatever failed before), so the reason is read from the file itself.
        raise IngestError(_failure_reason(path)) from None


_PROBE = 2 * 1024 * 1024  # bytes read from each end of a file pdfium refused (not the whole file)


def _failure_reason(path: Path) -> str:
    try:
        with path.open("rb") as fh:
            data = fh.read(_PROBE)
            size = fh.seek(0, 2)
            if size > 2 * _PROBE:
                fh.seek(size - _PROBE)
                data += fh.read()
            elif size > _PROBE:
                fh.seek(_PROBE)
                data += fh.read()
    except OSError as exc:
        return f"không đọc được tệp: {exc.strerror or exc}"
    if b"/Encrypt" in data:
        return "tệp PDF được mã hoá, cần mật khẩu"
    if re.search(rb"/Count\s+0\b", data) and not re.search(rb"/Type\s*/Page\b", data):
        return "tệp PDF không có trang nào (cây trang rỗng)"
    return "tệp PDF hỏng, không mở được"


def _font_names(textpage, text: str, limit: int = 12) -> list[str]:
    """Font names at a few characters of the page (cheap: only called when legacy bytes show up)."""
    names = []
    n = len(text)
    buf = bytes(128)
    step = max(1, n // limit)
    for i in range(0, n, step):
        if text[i].isspace():
            continue
        got = pdfium_c.FPDFText_GetFontInfo(textpage, i, buf, len(buf), None)
        if got:
            names.append(buf[: got - 1].decode("utf-8", "replace"))
    return names


def _page_text(page) -> tuple[str, list[str] | None]:
    textpage = page.get_textpage()
    try:
        text = ranged = textpage.get_text_range()
        left, bottom, right, top = page.get_bbox()  # crop box ∩ media box, inherited boxes resolved
        bounded = textpage.get_text_bounded(left, bottom, right, top)
        ranged_chars = _visible_count(text) - text.count("\ufffe")
        bounded_chars = _visible_count(bounded)
        if ranged_chars > bounded_chars:
            # Text drawn outside the visible page (hidden keywords, off-page stamps): keep what shows.
            text = bounded
        elif text.count("\n") > 1.5 * bounded.count("\n") + 10:
            # Accented glyphs on their own baseline split words over lines ("Vi" / "ện"); the
            # bounded extraction joins them back.
            text = bounded
        # font lookups index the text page's characters, which the ranged text follows one to one
        fonts = _font_names(textpage, ranged) if legacy_fonts.has_legacy_bytes(text) else None
    finally:
        textpage.close()
    return text, fonts


def normalise_page_text(text: str) -> str:
    """pdfium output → clean NFC text with ``\\n`` line ends and real characters for odd glyphs."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\ufffe", "-")  # pdfium marks a hyphen it joined across a line end
    text = _CONTROL.sub("", text)
    text = legacy_fonts.fix_symbol_glyphs(text)
    return unicodedata.normalize("NFC", text)


SAMPLE_CHARS = 2000  # the word-likeness of a page is judged on its first characters


def page_has_text(text: str) -> bool:
    """At least ``MIN_PAGE_LETTERS`` letters and a word-like share of at least ``MIN_WORDLIKE``."""
    sample = text[:SAMPLE_CHARS]
    letters = legacy_fonts.count_letters(sample)
    return letters >= MIN_PAGE_LETTERS and legacy_fonts.wordlike_ratio(sample) >= MIN_WORDLIKE


def read_pdf(path: Path, *, max_pages: int | None = None) -> PdfText:
    """Text of every page (or the first ``max_pages``); raises ``IngestError`` for unreadable files."""
    with open_pdf(path) as pdf:
        return read_text(pdf, max_pages=max_pages)


def read_text(pdf: OpenPdf, *, max_pages: int | None = None) -> PdfText:
    """Text of every page of an open PDF (or the first ``max_pages``)."""
    doc = pdf.doc
    page_count = len(doc)
    if page_count == 0:
        raise IngestError("tệp PDF không có trang nào")
    wanted = page_count if max_pages is None else max(0, min(page_count, max_pages))
    pages: list[str] = []
    encodings: Counter[str] = Counter()
    for index in range(wanted):
        try:
            page = doc[index]
            try:
                raw, fonts = _page_text(page)
            finally:
                page.close()
        except pdfium.PdfiumError:
            raise IngestError(f"tệp PDF hỏng ở trang {index + 1}") from None
        text = normalise_page_text(raw)
        if fonts is not None:
            encoding = legacy_fonts.detect(text, fonts)
            if encoding:
                encodings[encoding] += 1
                text = legacy_fonts.transcode(text, encoding)
        pages.append(text)
    good = sum(1 for text in pages if page_has_text(text))
    needs_ocr = good < max(1, MIN_TEXT_PAGES_SHARE * len(pages))
    legacy = encodings.most_common(1)[0][0] if encodings else None
    return PdfText(pages=pages, page_count=page_count, needs_ocr=needs_ocr, legacy_font=legacy)


def render_page_png(path: Path, page_no: int, width: int, max_pixels: int) -> bytes | None:
    """Page ``page_no`` (1-based) of the PDF at ``path`` as PNG bytes, ``width`` pixels wide (narrower when a
    very tall page would exceed ``max_pixels``); None when the document has no such page."""
    import io

    pdf = _open(path)
    try:
        if not 1 <= page_no <= len(pdf):
            return None
        page = pdf[page_no - 1]
        w, h = page.get_size()
        scale = min(width / w, (max_pixels / (w * h)) ** 0.5)
        image = page.render(scale=scale).to_pil()
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
        page.close()
        return out.getvalue()
    finally:
        pdf.close()
