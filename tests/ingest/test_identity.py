"""A designation is a document's own only where the document names itself (cover, running header,
foreword); a code it cites elsewhere never becomes a record. Checked through ``ingest_paths`` (what
``kb ingest --json`` prints) and through what is stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import func, select

from ingest.dispatch import process_file
from ingest.extract.confidence import METHOD_CONFIDENCE, code_confidence, method_confidence
from ingest.pipeline import ingest_paths
from kb.models import Criterion, Document, DocumentPage, Standard
from tests.support.pdfs import make_standard_pdf
from tests.support.unseen_pdfs import (
    CITED,
    HELD_BACK,
    make_body_code_pdf,
    make_foreword_only_code_pdf,
    make_header_only_code_pdf,
    make_references_code_pdf,
    make_table_cell_code_pdf,
    make_test_list_standard_pdf,
)


def _one(kbase, path: Path) -> dict:
    (result,) = ingest_paths(kbase, [path])
    assert result["status"] == "ingested", result["error"]
    return result


def _count(kbase, model, *where) -> int:
    with kbase.session() as s:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()


# Each designation-less document: its builder and the title it prints for itself.
UNDESIGNATED = [
    pytest.param(make_table_cell_code_pdf, "Danh mục các phép thử vật liệu xây dựng", id="table-cell"),
    pytest.param(make_body_code_pdf, "Hướng dẫn kiểm tra chất lượng sơn tại công trình", id="body"),
    pytest.param(make_references_code_pdf, "Ghi chú kỹ thuật về sơn tường nhũ tương", id="references"),
]


@pytest.mark.parametrize(("build", "title"), UNDESIGNATED)
def test_a_code_cited_outside_the_places_a_document_names_itself_is_not_its_designation(kbase, tmp_path,
                                                                                         build, title):
    result = _one(kbase, build(tmp_path / "doc.pdf"))

    assert result["kind"] == "other"
    assert {k: result[k] for k in ("code", "doc_type", "number", "year")} == dict.fromkeys(
        ("code", "doc_type", "number", "year"))
    assert result["title_vi"].casefold() == title.casefold()
    assert result["criteria"] == []
    assert _count(kbase, Standard) == 0
    # The document and its pages are kept all the same.
    with kbase.session() as s:
        doc = s.exec(select(Document)).one()
        assert doc.kind == "other" and doc.title.casefold() == title.casefold()
        assert _count(kbase, DocumentPage, DocumentPage.document_id == doc.id) == result["pages"] > 0


def test_the_references_of_a_designation_less_document_are_printed_as_references(kbase, tmp_path):
    result = _one(kbase, make_references_code_pdf(tmp_path / "refs.pdf"))
    assert result["code"] is None
    assert result["normative_references"] == [CITED, "TCVN 2097:2015"]


def test_a_cited_code_never_changes_the_standard_it_names(kbase, tmp_path):
    real = _one(kbase, make_standard_pdf(tmp_path / "real.pdf", code=CITED, title="Sơn tường dạng nhũ tương"))
    assert real["code"] == CITED
    with kbase.session() as s:
        before = s.exec(select(Standard)).one().model_dump()

    listing = _one(kbase, make_table_cell_code_pdf(tmp_path / "list.pdf", rows=40))

    assert listing["code"] is None and listing["kind"] == "other"
    with kbase.session() as s:
        assert s.exec(select(Standard)).one().model_dump() == before
        assert _count(kbase, Criterion) == 0
        assert _count(kbase, Document) == 2


@pytest.mark.parametrize(("build", "code", "method"), [
    pytest.param(make_header_only_code_pdf, "TCVN 99310:2024", "running header", id="running-header"),
    pytest.param(make_foreword_only_code_pdf, "TCVN 99320:2024", "foreword subject", id="foreword"),
])
def test_a_designation_printed_only_in_the_header_or_the_foreword_is_found(kbase, tmp_path, build, code, method):
    result = _one(kbase, build(tmp_path / "std.pdf"))

    assert (result["kind"], result["code"]) == ("standard", code)
    # One place alone: trusted less than a cover the header and foreword agree with.
    assert result["confidence"]["code"] == method_confidence(method) < 1.0
    with kbase.session() as s:
        std = s.exec(select(Standard)).one()
        assert std.code == code and std.provenance["code"]["method"] == method


def test_a_cover_designation_agreed_by_header_and_foreword_is_certain(kbase, tmp_path):
    result = _one(kbase, make_standard_pdf(tmp_path / "tcvn.pdf"))
    assert result["code"] == "TCVN 3118:2022"
    assert result["confidence"]["code"] == result["confidence"]["year"] == result["confidence"]["kind"] == 1.0
    assert result["drafted_by"] == "Viện Khoa học Công nghệ Xây dựng"
    assert _count(kbase, Standard) == 1


def test_a_test_list_in_a_real_standard_gives_no_criteria(kbase, tmp_path):
    result = _one(kbase, make_test_list_standard_pdf(tmp_path / "tests.pdf"))
    assert (result["kind"], result["code"]) == ("standard", "TCVN 99330:2024")
    assert result["criteria"] == []
    assert _count(kbase, Criterion) == 0


def test_confidence_grades_by_agreement_and_rule():
    assert code_confidence({"cover", "foreword"}, 1.0) == 1.0
    assert code_confidence({"cover"}, 1.0) > code_confidence({"foreword"}, 1.0) > code_confidence({"header"}, 1.0)
    assert code_confidence({"cover", "header"}, 0.6) == 0.6  # another designation got 40 % of the votes
    assert method_confidence("cover block after designation") > method_confidence("first upper-case block")
    assert method_confidence("a rule nobody graded") == 0.5
    assert all(0 < value <= 1 for _, value in METHOD_CONFIDENCE)


def test_held_back_documents_get_their_own_designation_and_no_invented_one(tmp_path):
    """Documents written after the rules and not tuned on: each names itself or not."""
    got = [process_file(build(tmp_path / f"{n}.pdf")).standard.code for n, (build, _) in enumerate(HELD_BACK)]
    assert got == [want for _, want in HELD_BACK]
