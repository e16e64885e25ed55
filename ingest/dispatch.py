"""One file → one ``IngestResult``: bomb checks, text layer (or OCR), kind, and the reader for that kind.

Runs inside a worker process (``ingest.workers``). The PDF is opened once; the same open document
goes to the page count, the text reader and the lab, catalogue or criteria reader.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path

from ingest import diacritics
from ingest import ocr as ocr_mod
from ingest.catalogue import looks_like_catalogue, parse_catalogue
from ingest.criteria.extract import criteria_pages, extract_criteria
from ingest.extract.fields import extract_fields
from ingest.lab import looks_like_lab_declaration, parse_lab
from ingest.pdf import OpenPdf, open_pdf, read_text
from kb import codes
from kb.errors import IngestError
from kb.records import FIELDS, STANDARD_KINDS, IngestResult, Provenance

#: More pages than this is a page-tree bomb, not a standard.
MAX_PAGES = 5000
#: Text kept per page; a decompression bomb's page text is cut here.
MAX_PAGE_CHARS = 200_000
#: A compressed stream this big is test-inflated before pdfium sees it ...
BOMB_STREAM_MIN_BYTES = 512 * 1024
#: ... and the file is refused when that much of it inflates past this size.
BOMB_INFLATED_MB = 256
#: OCR gets this many times the per-file limit.
OCR_TIME_FACTOR = 10


def find_codes(text: str) -> list[str]:
    return [d.format() for d in codes.find_all(text or "")]


_STREAM = re.compile(rb"stream\r?\n")


def check_streams(path: Path) -> None:
    """Refuse a decompression bomb before pdfium inflates it.

    Deflate cannot shrink data more than ~1000:1, so only streams of at least ``BOMB_STREAM_MIN_BYTES``
    can inflate to hundreds of megabytes; their first chunk is inflated with an output cap.
    """
    data = path.read_bytes()
    cap = BOMB_INFLATED_MB * 1024 * 1024
    pos = 0
    while True:
        m = _STREAM.search(data, pos)
        if m is None:
            return
        end = data.find(b"endstream", m.end())
        if end < 0:
            return
        pos = end + 9
        if end - m.end() < BOMB_STREAM_MIN_BYTES or b"FlateDecode" not in data[max(0, m.start() - 512):m.start()]:
            continue
        inflater = zlib.decompressobj()
        try:
            out = inflater.decompress(data[m.end():min(end, m.end() + BOMB_STREAM_MIN_BYTES)], cap)
        except zlib.error:
            continue  # broken stream: pdfium reports what it can
        if len(out) >= cap:
            raise IngestError(f"PDF bomb: một luồng dữ liệu giải nén vượt {BOMB_INFLATED_MB} MB, bỏ qua")


def process_file(path: Path, *, ocr: bool = False, timeout: float = 120,
                 notify: Callable[[tuple], None] | None = None, vocabulary: diacritics.Vocabulary | None = None) -> IngestResult:
    """Everything that can be known from the file alone. Raises ``IngestError`` for unreadable files.

    ``vocabulary``: words OCR'd text is repaired against (``ingest.diacritics``), besides its own."""
    path = Path(path)
    check_streams(path)
    with open_pdf(path) as pdf:
        if len(pdf) > MAX_PAGES:
            raise IngestError(f"quá nhiều trang ({len(pdf)} > {MAX_PAGES}): nghi là PDF bomb, bỏ qua")
        text = read_text(pdf, max_pages=MAX_PAGES)
        result = IngestResult(path=path, status="ingested", page_count=text.page_count, legacy_font=text.legacy_font)
        if not text.needs_ocr:
            _read_kind(result, pdf, [p[:MAX_PAGE_CHARS] for p in text.pages])
            return result
    if not ocr:
        return _needs_ocr(result, ocr_mod.needs_ocr_message())
    reason = ocr_mod.missing()
    if reason:
        return _needs_ocr(result, reason)
    if notify:
        notify(("extend", timeout * OCR_TIME_FACTOR))
    tmpdir = tempfile.mkdtemp(prefix="kb-ocr-")
    try:
        source = ocr_mod.run_ocr(path, Path(tmpdir) / "ocr.pdf", timeout=timeout * OCR_TIME_FACTOR)
        with open_pdf(source) as pdf:
            again = read_text(pdf, max_pages=MAX_PAGES)
            if again.needs_ocr:
                return _needs_ocr(result, "OCR không cho ra chữ đọc được")
            result.ocr = True
            vocab = vocabulary.copy() if vocabulary is not None else diacritics.base_vocabulary()
            _read_kind(result, pdf, vocab.repair_own_text([p[:MAX_PAGE_CHARS] for p in again.pages]))
            _mark_ocr(result)
            return result
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def _mark_ocr(result: IngestResult) -> None:
    """Every field read from OCR'd text says so in its provenance method (``ocr; <rule>``), so curators see it."""
    rec = result.standard
    if rec is None:
        return
    for name in FIELDS:
        if getattr(rec, name) not in (None, "", []) and name not in rec.provenance:
            rec.provenance[name] = Provenance(None, None)
    for prov in rec.provenance.values():
        prov.method = f"ocr; {prov.method}" if prov.method else "ocr"


def _needs_ocr(result: IngestResult, message: str) -> IngestResult:
    result.status, result.error = "needs_ocr", message
    return result


def _read_kind(result: IngestResult, pdf: OpenPdf, pages: list[str]) -> None:
    """Fields, kind, and the lab, catalogue or criteria reader the kind calls for."""
    fields = extract_fields(pages)
    kind = fields.kind or "other"
    # A document with a designation of its own is a standard, whatever lists it contains.
    designated = kind in STANDARD_KINDS and bool(fields.code)
    if kind == "lab_scope" or (not designated and looks_like_lab_declaration(pages)):
        kind = "lab_scope"
        result.lab = parse_lab(pdf, pages, find_codes=find_codes)
    elif kind == "catalogue" or (not designated and looks_like_catalogue(pages)):
        kind = "catalogue"
        result.catalogue = parse_catalogue(pdf, pages)
    elif kind in STANDARD_KINDS:
        result.criteria = extract_criteria(pdf, criteria_pages(pages), find_codes=find_codes)
    result.kind, result.standard, result.designated, result.pages = kind, fields, designated, pages
    result.title_vi = fields.display_title() or (result.catalogue.title if result.catalogue else None)
