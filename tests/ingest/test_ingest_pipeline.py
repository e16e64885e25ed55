"""The ingest pipeline end to end on generated PDFs: statuses, stored records, relations, criteria, re-runs."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlmodel import select

from ingest import dispatch, ocr
from ingest.pipeline import ingest_paths
from kb import proposals, standards
from kb.models import (
    Criterion,
    Document,
    DocumentPage,
    IngestFile,
    IngestRun,
    RelationType,
    Standard,
    StandardRelation,
    StandardStatus,
)
from kb.records import OUTPUT_FIELDS
from tests.support.ingest_pdfs import make_criteria_standard_pdf
from tests.support.pdfs import make_scan_pdf, make_standard_pdf, make_text_pdf


def _one(kbase, path: Path, **kw) -> dict:
    results = ingest_paths(kbase, [path], **kw)
    assert len(results) == 1
    return results[0]


def test_standard_is_stored_with_pages_file_relations_and_run(kbase, tmp_path):
    pdf = make_standard_pdf(tmp_path / "tcvn3118.pdf")
    seen = []
    result = _one(kbase, pdf, progress=seen.append)

    assert set(result) == set(OUTPUT_FIELDS)
    assert seen == [result]
    assert result["status"] == "ingested", result["error"]
    assert result["kind"] == "standard"
    assert result["code"] == "TCVN 3118:2022"
    assert (result["doc_type"], result["number"], result["year"]) == ("TCVN", "3118", 2022)
    assert result["title_vi"] == "Bê tông - Phương pháp xác định cường độ chịu nén"
    assert result["replaces"] == ["TCVN 3118:1993"]
    assert result["equivalence"] == {"relation": "reference", "codes": ["GOST 10180-2012"]}
    assert result["error"] is None

    sha = hashlib.sha256(pdf.read_bytes()).hexdigest()
    stored = kbase.settings.files_dir / sha[:2] / f"{sha}.pdf"
    assert stored.read_bytes() == pdf.read_bytes()
    with kbase.session() as s:
        doc = s.exec(select(Document).where(Document.sha256 == sha)).one()
        assert doc.text_layer and doc.kind == "standard" and doc.pages == result["pages"] > 0
        assert (kbase.settings.data_dir / doc.stored_path) == stored
        pages = s.exec(select(DocumentPage).where(DocumentPage.document_id == doc.id)
                       .order_by(DocumentPage.page_no)).all()
        assert [p.page_no for p in pages] == list(range(1, doc.pages + 1))
        assert any("cường độ chịu nén" in p.text for p in pages)
        std = s.exec(select(Standard).where(Standard.code == "TCVN 3118:2022")).one()
        assert std.document_id == doc.id
        assert std.title_vi == result["title_vi"]
        assert std.provenance["title_vi"]["page"] is not None
        rels = {(r.relation, r.to_code) for r in s.exec(select(StandardRelation)).all()}
        assert (RelationType.replaces, "TCVN 3118:1993") in rels
        assert (RelationType.cites, "TCVN 3105:2022") in rels
        files = s.exec(select(IngestFile)).all()
        assert [(f.status.value, f.document_id, f.standard_id) for f in files] == [("ingested", doc.id, std.id)]
        run = s.exec(select(IngestRun)).one()
        assert run.finished_at is not None and run.counts["ingested"] == 1


def test_second_run_reports_unchanged_without_parsing(kbase, tmp_path, monkeypatch):
    pdf = make_standard_pdf(tmp_path / "a.pdf")
    first = _one(kbase, pdf)
    assert first["status"] == "ingested"

    def must_not_parse(*args, **kwargs):
        raise AssertionError("an unchanged file was parsed again")

    monkeypatch.setattr(dispatch, "process_file", must_not_parse)
    again = _one(kbase, pdf)
    assert again["status"] == "unchanged"
    with kbase.session() as s:
        assert [f.status.value for f in s.exec(select(IngestFile).order_by(IngestFile.id))] == ["ingested", "unchanged"]
    assert again["code"] == "TCVN 3118:2022" and again["title_vi"] == first["title_vi"]
    with kbase.session() as s:
        assert len(s.exec(select(Document)).all()) == 1
        assert len(s.exec(select(Standard).where(Standard.code == "TCVN 3118:2022")).all()) == 1


def test_folders_are_walked_for_pdfs_in_any_letter_case(kbase, tmp_path):
    root = tmp_path / "batch"
    (root / "sub" / "deeper").mkdir(parents=True)
    make_standard_pdf(root / "sub" / "deeper" / "A.PDF")
    make_standard_pdf(root / "b.Pdf", code="TCVN 3119:2022", title="Bê tông - Phương pháp xác định cường độ kéo")
    (root / "notes.txt").write_text("không phải PDF")
    results = ingest_paths(kbase, [root])
    assert sorted(Path(r["file"]).name for r in results) == ["A.PDF", "b.Pdf"]
    assert {r["status"] for r in results} == {"ingested"}
    # The same file named twice, and a path that does not exist, do not stop the batch.
    again = ingest_paths(kbase, [root / "b.Pdf", root / "b.Pdf", tmp_path / "missing.pdf"])
    assert [r["status"] for r in again] == ["unchanged", "failed"]
    assert "không tìm thấy" in again[1]["error"]


def test_scan_is_recorded_as_needing_ocr_and_not_indexed_as_empty(kbase, tmp_path, monkeypatch):
    scan = make_scan_pdf(tmp_path / "scan.pdf", pages=3)
    result = _one(kbase, scan)
    assert result["status"] == "needs_ocr"
    assert result["pages"] == 3
    assert result["code"] is None
    with kbase.session() as s:
        doc = s.exec(select(Document)).one()
        assert doc.text_layer is False and doc.pages == 3 and doc.stored_path
        assert s.exec(select(DocumentPage)).all() == []
        assert s.exec(select(IngestFile)).one().status.value == "needs_ocr"
    # Still needs OCR next time (not "unchanged"), and --ocr without the tools says how to get them.
    assert _one(kbase, scan)["status"] == "needs_ocr"
    monkeypatch.setattr(ocr, "missing", lambda: ocr.INSTALL_HINT)
    with_ocr = _one(kbase, scan, ocr=True)
    assert with_ocr["status"] == "needs_ocr"
    assert "apt-get install ocrmypdf tesseract-ocr-vie" in with_ocr["error"]
    assert "\n" not in with_ocr["error"]


def test_scan_message_says_how_to_install_ocr_when_it_is_missing(kbase, tmp_path, monkeypatch):
    monkeypatch.setattr(ocr, "missing", lambda: ocr.INSTALL_HINT)
    result = _one(kbase, make_scan_pdf(tmp_path / "scan.pdf"))
    assert result["status"] == "needs_ocr"
    assert "apt-get install ocrmypdf tesseract-ocr-vie" in result["error"] and "--ocr" in result["error"]


@pytest.mark.skipif(ocr.missing() is not None, reason="ocrmypdf + tesseract-ocr-vie not installed")
def test_scan_is_read_with_ocr_when_the_tools_are_installed(kbase, tmp_path):
    import pypdfium2 as pdfium
    from fpdf import FPDF

    text_pdf = make_text_pdf(tmp_path / "text.pdf", ["QUY TRÌNH KIỂM TRA CHẤT LƯỢNG NƯỚC MẮM\n\n"
                                                     "Nước mắm được lấy mẫu tại cơ sở sản xuất."], size=20)
    image = pdfium.PdfDocument(str(text_pdf))[0].render(scale=200 / 72).to_pil()
    scan = FPDF(format="A4")  # the page as a picture only: a scan
    scan.add_page()
    scan.image(image, x=0, y=0, w=210, h=297)
    scan.output(str(tmp_path / "scan.pdf"))
    assert _one(kbase, tmp_path / "scan.pdf")["status"] == "needs_ocr"
    result = _one(kbase, tmp_path / "scan.pdf", ocr=True)
    assert result["status"] == "ingested", result["error"]
    with kbase.session() as s:
        doc = s.exec(select(Document)).one()
        assert doc.text_layer is True
        assert "nước mắm" in s.exec(select(DocumentPage)).one().text.lower()


def test_document_without_designation_keeps_title_and_text_but_gets_no_code(kbase, tmp_path):
    pdf = make_text_pdf(tmp_path / "note.pdf", [
        "HƯỚNG DẪN KIỂM TRA CHẤT LƯỢNG GẠO\n\nTài liệu này hướng dẫn cách lấy mẫu gạo tại kho "
        "và ghi chép kết quả kiểm tra cảm quan cho cán bộ quản lý chất lượng của tỉnh.",
    ])
    result = _one(kbase, pdf)
    assert result["status"] == "ingested"
    assert result["code"] is None
    with kbase.session() as s:
        assert s.exec(select(Standard)).all() == []
        doc = s.exec(select(Document)).one()
        assert doc.title
        assert "lấy mẫu gạo" in s.exec(select(DocumentPage)).one().text


@pytest.mark.parametrize("older_first", [True, False])
def test_newer_edition_marks_older_replaced_both_ways(kbase, tmp_path, older_first):
    old = make_standard_pdf(tmp_path / "old.pdf", code="TCVN 3118:1993", foreword=None, edition=None)
    new = make_standard_pdf(tmp_path / "new.pdf", code="TCVN 3118:2022")
    for path in ((old, new) if older_first else (new, old)):
        assert _one(kbase, path)["status"] == "ingested"
    with kbase.session() as s:
        old_std = standards.require_standard(s, "TCVN 3118:1993")
        new_std = standards.require_standard(s, "TCVN 3118:2022")
        assert old_std.status == StandardStatus.replaced
        assert new_std.status != StandardStatus.replaced
        assert standards.replaced_by_chain(s, old_std) == ["TCVN 3118:2022"]
        incoming = standards.relations_of(s, old_std)["incoming"]
        assert any(r["relation"] == "replaces" and r["code"] == "TCVN 3118:2022" and r["in_kb"] for r in incoming)


def test_reingest_proposes_instead_of_overwriting_and_keeps_a_verified_field_on_accept(kbase, tmp_path):
    _one(kbase, make_standard_pdf(tmp_path / "v1.pdf"))
    with kbase.session() as s:
        std = s.exec(select(Standard).where(Standard.code == "TCVN 3118:2022")).one()
        std.title_vi = "Bê tông nặng - Xác định cường độ nén (đã hiệu đính)"
        std.provenance = {**std.provenance, "title_vi": {"page": None, "method": "curator", "verified": True}}
        s.add(std)
    # A corrected re-issue of the same file (other bytes, same code) comes in: a proposal, not a write.
    result = _one(kbase, make_standard_pdf(tmp_path / "v2.pdf", title="Bê tông - Phương pháp thử cường độ nén",
                                           edition=4))
    assert result["status"] == "ingested" and result["code"] == "TCVN 3118:2022"
    assert "chờ biên tập viên duyệt" in result["error"]
    with kbase.session() as s:
        std = s.exec(select(Standard).where(Standard.code == "TCVN 3118:2022")).one()
        assert (std.title_vi, std.edition) == ("Bê tông nặng - Xác định cường độ nén (đã hiệu đính)", "3")
        [proposal] = proposals.pending(s)
        assert proposal.entity_id == std.id and "edition" in proposal.reason
        # A default accept takes the unverified fields only.
        proposals.accept(s, proposal.id, None, std.version, "curator")
    with kbase.session() as s:
        std = s.exec(select(Standard).where(Standard.code == "TCVN 3118:2022")).one()
        assert std.title_vi == "Bê tông nặng - Xác định cường độ nén (đã hiệu đính)"
        assert std.provenance["title_vi"]["verified"] is True
        assert std.edition == "4"


def test_criteria_table_continued_on_next_page_becomes_rows_with_pages(kbase, tmp_path):
    pdf = make_criteria_standard_pdf(tmp_path / "gao.pdf")
    result = _one(kbase, pdf)
    assert result["status"] == "ingested", result["error"]
    assert result["code"] == "TCVN 99001:2024"
    with kbase.session() as s:
        std = s.exec(select(Standard).where(Standard.code == "TCVN 99001:2024")).one()
        rows = s.exec(select(Criterion).where(Criterion.standard_id == std.id).order_by(Criterion.position)).all()
    got = [(r.name, r.requirement, r.unit, r.method_code, r.page) for r in rows]
    assert got == [
        ("Độ ẩm, %", "≤ 14,0", "%", "TCVN 11888:2017", 2),
        ("Tạp chất, %", "≤ 0,2", "%", "TCVN 8372:2010", 2),
        ("Hạt vàng, %", "≤ 0,5", "%", "TCVN 8368:2010", 3),
    ]


def test_only_pages_showing_a_criteria_header_are_cut_into_tables(kbase, tmp_path, monkeypatch):

    log = tmp_path / "asked.txt"  # the spy runs in the worker process: it reports through a file
    real = dispatch.extract_criteria

    def spy(pdf, pages, **kw):
        with log.open("a") as fh:
            fh.write(f"{pdf.path.name} {list(pages)}\n")
        return real(pdf, pages, **kw)

    monkeypatch.setattr(dispatch, "extract_criteria", spy)
    _one(kbase, make_criteria_standard_pdf(tmp_path / "gao.pdf"))
    _one(kbase, make_standard_pdf(tmp_path / "plain.pdf"))
    assert log.read_text().splitlines() == ["gao.pdf [2, 3]", "plain.pdf []"]


def test_search_index_is_told_once_per_batch(kbase, tmp_path, monkeypatch):
    from kb import search

    calls = []
    monkeypatch.setattr(search, "update", lambda kb, **ids: calls.append(ids))
    make_standard_pdf(tmp_path / "a.pdf")
    make_standard_pdf(tmp_path / "b.pdf", code="TCVN 3119:2022", title="Bê tông - Cường độ kéo khi uốn")
    ingest_paths(kbase, [tmp_path])
    assert len(calls) == 1
    with kbase.session() as s:
        ids = set(s.exec(select(Standard.id)).all())
    assert set(calls[0]["standards"]) == ids


def test_the_same_batch_stores_alike_on_sqlite_and_postgres(any_kbase, tmp_path):
    from tests.support.ingest_pdfs import make_catalogue_pdf, make_lab_pdf

    files = [
        make_standard_pdf(tmp_path / "std.pdf"),
        make_criteria_standard_pdf(tmp_path / "gao.pdf"),
        make_lab_pdf(tmp_path / "lab.pdf"),
        make_catalogue_pdf(tmp_path / "cat.pdf", {"I Nhóm": [("TCVN 13937-1,2:2024", "Đường ray: Phần 1: Chung, Phần 2: Thiết kế")]}),
    ]
    results = ingest_paths(any_kbase, files)
    assert [(r["status"], r["kind"]) for r in results] == [
        ("ingested", "standard"), ("ingested", "standard"), ("ingested", "lab_scope"), ("ingested", "catalogue")]
    with any_kbase.session() as s:
        codes_stored = {x.code for x in s.exec(select(Standard)).all()}
        assert {"TCVN 3118:2022", "TCVN 99001:2024", "TCVN 13937-1:2024", "TCVN 13937-2:2024"} <= codes_stored
        assert len(s.exec(select(Criterion)).all()) == 3
        assert len(s.exec(select(DocumentPage)).all()) == sum(r["pages"] for r in results)
    assert {r["status"] for r in ingest_paths(any_kbase, files)} == {"unchanged"}
