"""OCR as a first-class path: diacritics repair, generated scans read end to end, the corpus's three scans.

The end-to-end tests need Debian's ``ocrmypdf`` and ``tesseract-ocr-vie`` (``.ci/run`` installs them) and
skip without them. Each OCRs a few pages only, to keep ``make test`` short; ``bench/ocr.py`` reads the
corpus scans whole and reports seconds per page.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from rapidfuzz import fuzz
from sqlmodel import select

from ingest import ocr
from ingest.diacritics import Vocabulary, kb_vocabulary, repair
from ingest.pipeline import ingest_paths
from kb.models import Standard
from tests.support.pdfs import make_standard_pdf

needs_ocr_tools = pytest.mark.skipif(ocr.missing() is not None, reason="ocrmypdf + tesseract-ocr-vie not installed")

#: The corpus scans (file, printed designation, labelled title or None where the file has no label).
CORPUS_SCANS = (
    ("tcvn/TCVN 5979-2021.pdf", "TCVN 5979:2021"),
    ("tcvn/TCVN 2790-2020.pdf", "TCVN 12790:2020"),
    ("tcvn/TCVN 3736-1982.pdf", "TCVN 3736:1982"),
)


def similarity(a: str | None, b: str | None) -> float:
    """rapidfuzz ratio on NFC text, marks and case included."""
    return fuzz.ratio(unicodedata.normalize("NFC", a or ""), unicodedata.normalize("NFC", b or ""))


def scan_of(source: Path, target: Path, *, dpi: int = 200, pages: list[int] | None = None) -> Path:
    """``source``'s pages as pictures only (no text layer), as a scanner would give them."""
    doc = pdfium.PdfDocument(str(source))
    images = [doc[i].render(scale=dpi / 72).to_pil().convert("L") for i in (pages or range(len(doc)))]
    images[0].save(target, "PDF", resolution=dpi, save_all=True, append_images=images[1:])
    return target


# --- Diacritics repair ----------------------------------------------------------------------------------

BODY = ("Tiêu chuẩn này quy định phương pháp xác định pH của đất, chất thải sinh học đã xử lý và bùn. "
        "Mẫu đất và mẫu bùn được sấy khô. Chất thải sinh học được nghiền nhỏ.")


def test_capitals_read_without_marks_get_them_back_from_the_documents_own_words():
    vocab = Vocabulary()
    vocab.add(BODY, ocr=True)
    assert repair("DAT, CHAT THAI SINH HỌC ĐÃ XỬ LÝ VA BUN - XÁC ĐỊNH pH", vocab) == (
        "ĐẤT, CHẤT THẢI SINH HỌC ĐÃ XỬ LÝ VÀ BÙN - XÁC ĐỊNH pH")
    assert repair("Dat, chat thai sinh học đã xử lý va bun", vocab) == "Đất, chất thải sinh học đã xử lý và bùn"


def test_repair_keeps_what_it_cannot_improve():
    vocab = Vocabulary(["Hà Nam có nhiều đất nông nghiệp."])
    # A spelling OCR read with marks is kept, though the vocabulary knows another; unknown words stay.
    assert repair("HÀ NỘI - 2021", vocab) == "HÀ NỘI - 2021"
    assert repair("Proctor Compaction Test, ISO 10390", vocab) == "Proctor Compaction Test, ISO 10390"
    assert repair("", vocab) == ""


def test_capital_words_and_words_without_marks_of_ocr_text_do_not_outvote_the_vocabulary():
    vocab = Vocabulary(["Đất và bùn - Xác định pH", "Bùn thải - Lấy mẫu", "Đất, cát và bùn"])
    # OCR lost the marks of the capitals here, and of the lower-case title line below them.
    vocab.add("VA BUN\nva bun\nva bun", ocr=True)
    assert repair("va bun", vocab) == "và bùn"
    # A stopped syllable without sắc or nặng (dat, chat) is never Vietnamese: never counted, never kept.
    vocab.add("dat chat", ocr=True)
    assert "dat" not in vocab.unigrams and repair("DAT", vocab) == "ĐẤT"


def test_a_line_that_lost_its_marks_is_repaired_from_the_other_lines_not_from_itself():
    pages = ["Xi măng - Phuong pháp nhanh xác định giới hạn bền khi nén",
             "Phương pháp này dùng mẫu 4 x 4 x 16 cm. Phương pháp thử nhanh."]
    fixed = Vocabulary().repair_own_text(pages)
    assert fixed[0] == "Xi măng - Phương pháp nhanh xác định giới hạn bền khi nén"
    assert fixed[1] == pages[1]


def test_the_knowledge_bases_own_titles_are_the_vocabulary(kbase, tmp_path):
    ingest_paths(kbase, [make_standard_pdf(tmp_path / "soil.pdf", code="TCVN 5979:2007",
                                           title="Chất lượng đất - Xác định pH của đất và bùn")])
    vocab = kb_vocabulary(kbase)
    assert vocab.bigrams["đất", "và"] and vocab.bigrams["và", "bùn"]
    assert repair("CHAT LUONG DAT VA BUN", vocab) == "CHẤT LƯỢNG ĐẤT VÀ BÙN"


# --- End to end -----------------------------------------------------------------------------------------

TITLE = "Bê tông - Phương pháp xác định cường độ chịu nén"


@needs_ocr_tools
def test_generated_scan_is_read_with_designation_title_marks_and_ocr_provenance(kbase, tmp_path):
    printed = make_standard_pdf(tmp_path / "printed.pdf", title=TITLE)
    scan = scan_of(printed, tmp_path / "scan.pdf", pages=[0, 2])  # the cover and the first body page
    assert ingest_paths(kbase, [scan])[0]["status"] == "needs_ocr"
    result = ingest_paths(kbase, [scan], ocr=True)[0]
    assert result["status"] == "ingested", result["error"]
    assert result["code"] == "TCVN 3118:2022"
    assert similarity(result["title_vi"], TITLE) >= 95, result["title_vi"]
    with kbase.session() as s:
        std = s.exec(select(Standard)).one()
        assert std.code == "TCVN 3118:2022"
        assert similarity(std.title_vi, TITLE) >= 95, std.title_vi
        # Every stored field read from OCR says so, for curators.
        assert std.provenance and all(p["method"].startswith("ocr") for p in std.provenance.values())
        assert std.provenance["code"]["method"].startswith("ocr; ")


# --- The corpus scans -----------------------------------------------------------------------------------


@needs_ocr_tools
@pytest.mark.corpus
def test_corpus_scans_get_their_designation_and_a_title_with_marks(corpus_dir, kbase, tmp_path, capsys):
    """The cover and first body page of each scan: designation right on every one; title similarity reported."""
    lines = []
    for rel, code in CORPUS_SCANS:
        source = corpus_dir / "pdf" / rel
        if not source.exists():
            pytest.skip(f"{rel} not in the corpus")
        part = tmp_path / Path(rel).name
        doc, out = pdfium.PdfDocument(str(source)), pdfium.PdfDocument.new()
        out.import_pages(doc, [0, 1, 2] if len(doc) > 3 else None)
        out.save(str(part))
        result = ingest_paths(kbase, [part], ocr=True)[0]
        assert result["status"] == "ingested", (rel, result["error"])
        assert result["code"] == code, (rel, result["code"])
        label = corpus_dir / "labels" / Path(rel).with_suffix(".json")
        expected = json.loads(label.read_text())["title_vi_normalised"] if label.exists() else None
        score = f"{similarity(result['title_vi'], expected):.1f} %" if expected else "no label"
        lines.append(f"{rel}: {code}, title {result['title_vi']!r}: {score}")
    with capsys.disabled():
        print("\nOCR of the corpus scans (first pages)\n" + "\n".join(lines))
