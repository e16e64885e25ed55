"""``kb ingest --json``: every label field, a confidence per field found, and the same keys for every
file whatever its kind or status."""

from __future__ import annotations

import json
from pathlib import Path

from ingest.pipeline import ingest_paths
from kb.records import LABEL_FIELDS, OUTPUT_FIELDS, CriterionRow, Equivalence, ExtractedStandard, IngestResult, Provenance
from tests.support.ingest_pdfs import make_catalogue_pdf, make_criteria_standard_pdf, make_lab_pdf
from tests.support.pdfs import make_not_pdf, make_scan_pdf, make_standard_pdf
from tests.support.unseen_pdfs import make_table_cell_code_pdf

SCHEMA_FIELDS = ("kind", "code", "doc_type", "number", "part", "year", "issuer_suffix", "title_vi", "title_en",
                 "edition", "replaces", "equivalence", "converted_from", "drafted_by", "proposed_by",
                 "appraised_by", "published_by", "normative_references", "sections", "ics", "scope",
                 "scope_first_sentence", "criteria")


def test_the_output_names_every_field_of_the_label_schema():
    assert set(SCHEMA_FIELDS) == set(LABEL_FIELDS)
    assert set(OUTPUT_FIELDS) == {*SCHEMA_FIELDS, "file", "status", "confidence", "pages", "error"}


def test_every_file_prints_the_same_keys(kbase, tmp_path):
    files = [
        make_standard_pdf(tmp_path / "standard.pdf"),
        make_standard_pdf(tmp_path / "regulation.pdf", code="QCVN 16:2023/BXD", heading="QUY CHUẨN KỸ THUẬT QUỐC GIA"),
        make_lab_pdf(tmp_path / "lab.pdf"),
        make_catalogue_pdf(tmp_path / "catalogue.pdf", {"I Bê tông": [
            (f"TCVN {3100 + k}:2022", f"Bê tông - phép thử {k}") for k in range(35)]}),
        make_table_cell_code_pdf(tmp_path / "other.pdf"),
        make_scan_pdf(tmp_path / "scan.pdf"),
        make_not_pdf(tmp_path / "broken.pdf"),
    ]
    first = ingest_paths(kbase, files)
    again = ingest_paths(kbase, files[:1])

    statuses = {(r["kind"], r["status"]) for r in first + again}
    assert {("standard", "ingested"), ("regulation", "ingested"), ("lab_scope", "ingested"),
            ("catalogue", "ingested"), ("other", "ingested"), ("standard", "unchanged")} <= statuses
    assert {r["status"] for r in first} >= {"needs_ocr", "failed"}
    for result in first + again:
        assert list(result) == list(OUTPUT_FIELDS), result["file"]
        json.dumps(result)  # printable as it is
        for f in ("replaces", "converted_from", "normative_references", "sections", "criteria"):
            assert isinstance(result[f], list), (result["file"], f)
        assert isinstance(result["confidence"], dict)


def test_an_official_standard_prints_its_drafting_chain_scope_and_confidence(kbase, tmp_path):
    (result,) = ingest_paths(kbase, [make_standard_pdf(tmp_path / "tcvn.pdf")])

    assert (result["drafted_by"], result["proposed_by"], result["appraised_by"], result["published_by"]) == (
        "Viện Khoa học Công nghệ Xây dựng", "Bộ Xây dựng", "Tổng cục Tiêu chuẩn Đo lường Chất lượng",
        "Bộ Khoa học và Công nghệ")
    assert result["scope"] == result["scope_first_sentence"] == \
        "Tiêu chuẩn này quy định phương pháp xác định cường độ chịu nén của bê tông."
    assert result["title_en"] == "Hardened concrete - Test method for compressive strength"
    assert result["edition"] == 3
    # A confidence for each field found, and only for those.
    found = {f for f in LABEL_FIELDS if result[f] not in (None, [], {"relation": None, "codes": []})}
    assert set(result["confidence"]) == found
    assert all(0 < c <= 1 for c in result["confidence"].values())


def test_an_unchanged_file_prints_what_was_stored(kbase, tmp_path):
    pdf = make_standard_pdf(tmp_path / "tcvn.pdf")
    (first,) = ingest_paths(kbase, [pdf])
    (again,) = ingest_paths(kbase, [pdf])

    assert again["status"] == "unchanged"
    for f in ("code", "year", "title_vi", "title_en", "edition", "replaces", "equivalence", "normative_references",
              "sections", "drafted_by", "published_by", "scope_first_sentence"):
        assert again[f] == first[f], f


def test_criteria_rows_are_printed(kbase, tmp_path):
    (result,) = ingest_paths(kbase, [make_criteria_standard_pdf(tmp_path / "rice.pdf")])
    assert [(r["name"], r["requirement"], r["method_code"]) for r in result["criteria"]] == [
        ("Độ ẩm, %", "≤ 14,0", "TCVN 11888:2017"), ("Tạp chất, %", "≤ 0,2", "TCVN 8372:2010"),
        ("Hạt vàng, %", "≤ 0,5", "TCVN 8368:2010")]


def test_a_designation_less_file_prints_what_it_states():
    rec = ExtractedStandard(kind="other", title_vi="HƯỚNG DẪN", title_en="Guidance", edition=2, ics="91.100.10",
                            normative_references=["TCVN 2097:2015"], equivalence=Equivalence("IDT", ["ISO 2409:2020"]),
                            provenance={"title_en": Provenance(1, "English lines after cover title", 0.8)})
    result = IngestResult(path=Path("x.pdf"), status="ingested", kind="other", standard=rec, title_vi="Hướng dẫn",
                          criteria=[CriterionRow(1, "Độ mịn", "≤ 40")]).to_json()

    assert (result["title_en"], result["edition"], result["ics"]) == ("Guidance", 2, "91.100.10")
    assert result["normative_references"] == ["TCVN 2097:2015"]
    assert result["equivalence"] == {"relation": "IDT", "codes": ["ISO 2409:2020"]}
    assert result["code"] is None and result["confidence"] == {"title_en": 0.8}
    assert result["criteria"][0]["name"] == "Độ mịn"


def test_a_failed_file_prints_nulls_and_empty_lists():
    result = IngestResult(path=Path("x.pdf"), status="failed", error="không phải PDF").to_json()
    assert list(result) == list(OUTPUT_FIELDS)
    assert result["criteria"] == result["sections"] == [] and result["confidence"] == {}
    assert result["code"] is None and result["scope"] is None
