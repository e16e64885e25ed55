"""Ingest never overwrites knowledge silently: changes to known records and low-confidence readings become
proposed changes (``kb.proposals``) that a curator accepts or rejects; on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib

import pytest
from sqlmodel import select

from ingest.pipeline import ingest_paths
from kb import documents, labs, proposals, standards, versioning
from kb.errors import BadInput, Conflict
from kb.models import (
    AuditEvent,
    Criterion,
    Document,
    DocumentPage,
    Lab,
    LabScope,
    ProposalStatus,
    ProposedChange,
    Standard,
    StandardCreate,
)
from kb.records import ExtractedStandard, IngestResult, Provenance
from kb.versioning import StaleEdit
from tests.support.ingest_pdfs import make_criteria_standard_pdf, make_lab_pdf
from tests.support.pdfs import make_standard_pdf

CODE = "TCVN 3118:2022"
V2_TITLE = "Bê tông - Phương pháp thử cường độ nén"


def _one(kbase, path) -> dict:
    [result] = ingest_paths(kbase, [path])
    assert result["status"] == "ingested", result["error"]
    return result


def _std(kbase, code: str = CODE) -> Standard:
    with kbase.session() as s:
        return s.exec(select(Standard).where(Standard.code == code)).one()


def _events(kbase, entity: str, action: str) -> list[AuditEvent]:
    with kbase.session() as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.entity == entity, AuditEvent.action == action)).all())


@pytest.fixture
def reissued(any_kbase, tmp_path):
    """TCVN 3118:2022 stored from one PDF, then a changed re-issue (new title, edition 4) ingested."""
    _one(any_kbase, make_standard_pdf(tmp_path / "v1.pdf"))
    before = _std(any_kbase)
    result = _one(any_kbase, make_standard_pdf(tmp_path / "v2.pdf", title=V2_TITLE, edition=4))
    return any_kbase, before, result


def test_a_changed_reissue_is_a_proposal_and_the_record_stays(reissued):
    kbase, before, result = reissued
    assert result["code"] == CODE and result["status"] == "ingested"
    assert result["error"].startswith("đề xuất thay đổi #")
    after = _std(kbase)
    assert (after.version, after.title_vi, after.edition, after.document_id) == \
        (before.version, before.title_vi, before.edition, before.document_id)
    with kbase.session() as s:
        [p] = proposals.pending(s)
        docs = s.exec(select(Document)).all()
        assert len(docs) == 2 and p.document_id == max(d.id for d in docs)  # the document is kept
        assert s.exec(select(DocumentPage).where(DocumentPage.document_id == p.document_id)).first() is not None
        assert p.entity == "standard" and p.entity_id == before.id and p.target == CODE
        fields = {d["field"]: d for d in p.diff}
        assert fields["edition"]["current"] == "3" and fields["edition"]["proposed"] == "4"
        assert fields["title_vi"]["proposed"] == V2_TITLE and fields["title_vi"]["page"] is not None
        assert not fields["title_vi"]["fill"]
    assert len(_events(kbase, "proposal", "ingest")) == 1


def test_a_rerun_of_the_file_says_its_proposal_still_waits(reissued, tmp_path):
    kbase, _, first = reissued
    [again] = ingest_paths(kbase, [tmp_path / "v2.pdf"])
    assert again["status"] == "unchanged" and again["error"] == first["error"]
    with kbase.session() as s:
        [p] = proposals.pending(s)
        proposals.reject(s, p.id, "bientap")
    [decided] = ingest_paths(kbase, [tmp_path / "v2.pdf"])
    assert decided["status"] == "unchanged" and decided["error"] is None


def test_accept_applies_through_the_version_check_with_audit(reissued):
    kbase, before, _ = reissued
    with kbase.session() as s:
        [p] = proposals.pending(s)
        proposals.accept(s, p.id, None, before.version, "bientap")
    after = _std(kbase)
    assert after.title_vi == V2_TITLE and after.edition == "4"
    assert after.version == before.version + 1
    assert after.document_id == p.document_id
    assert after.provenance["edition"]["verified"] is True and after.provenance["edition"]["by"] == "bientap"
    with kbase.session() as s:
        assert s.get(ProposedChange, p.id).status == ProposalStatus.accepted
        assert s.get(ProposedChange, p.id).decided_by == "bientap"
    [change] = [e for e in _events(kbase, "standard", "approve") if e.entity_id == before.id]
    assert change.actor == "bientap" and change.after["edition"] == "4" and change.before["edition"] == "3"
    assert len(_events(kbase, "proposal", "approved")) == 1
    with kbase.session() as s, pytest.raises(Conflict):
        proposals.accept(s, p.id, None, after.version, "bientap")  # decided once
    with kbase.session() as s:  # the accepted change is an ordinary logged update: it can be undone
        versioning.revert_event(s, change.id, "bientap")
    assert (_std(kbase).title_vi, _std(kbase).edition) == (before.title_vi, before.edition)


def test_reject_leaves_the_record(reissued):
    kbase, before, _ = reissued
    with kbase.session() as s:
        [p] = proposals.pending(s)
        proposals.reject(s, p.id, "bientap")
    after = _std(kbase)
    assert (after.version, after.title_vi, after.edition) == (before.version, before.title_vi, before.edition)
    with kbase.session() as s:
        assert proposals.pending(s) == []
        assert s.get(ProposedChange, p.id).status == ProposalStatus.rejected
    assert len(_events(kbase, "proposal", "rejected")) == 1


def test_a_stale_version_or_an_unknown_field_is_refused(reissued):
    kbase, before, _ = reissued
    with kbase.session() as s:
        [p] = proposals.pending(s)
        with pytest.raises(StaleEdit):
            proposals.accept(s, p.id, None, before.version - 1 or 99, "bientap")
        with pytest.raises(BadInput):
            proposals.accept(s, p.id, ["code"], before.version, "bientap")
        with pytest.raises(BadInput):
            proposals.accept(s, p.id, [], before.version, "bientap")
    assert _std(kbase).version == before.version


def test_a_verified_field_is_overwritten_only_when_the_curator_names_it(any_kbase, tmp_path):
    _one(any_kbase, make_standard_pdf(tmp_path / "v1.pdf"))
    with any_kbase.session() as s:
        std = s.exec(select(Standard).where(Standard.code == CODE)).one()
        standards.review_standard(s, std.id, standards.parse_corrections({"title_vi": "Tên đã hiệu đính"}),
                                  std.version, "bientap")
    for edition, take in ((4, None), (5, ["title_vi"])):
        _one(any_kbase, make_standard_pdf(tmp_path / f"v{edition}.pdf", title=V2_TITLE, edition=edition))
        with any_kbase.session() as s:
            [p] = proposals.pending(s)
            rec, _, diff = proposals.review_rows(s, p)
            assert {d["field"]: d["verified"] for d in diff}["title_vi"] is True
            proposals.accept(s, p.id, take, rec.version, "bientap")
        std = _std(any_kbase)
        if take is None:  # the review verified every field: a default accept takes none of them
            assert (std.title_vi, std.edition) == ("Tên đã hiệu đính", "3")
        else:  # named: that field only
            assert (std.title_vi, std.edition) == (V2_TITLE, "3")
            assert std.provenance["title_vi"]["verified"] is True


def test_a_new_document_read_with_low_confidence_waits_for_a_person(any_kbase, tmp_path):
    pdf = make_standard_pdf(tmp_path / "scan.pdf", code="TCVN 8827:2011", title="Lấy mẫu sơn")
    rec = ExtractedStandard(kind="standard", code="TCVN 8827:2011", doc_type="TCVN", number="8827", year=2011,
                            title_vi="Lấy mẫu sơn", provenance={"code": Provenance(1, "table cell", 0.2),
                                                               "title_vi": Provenance(1, "table header", 0.4)})
    result = IngestResult(path=pdf, status="ingested", sha256=hashlib.sha256(pdf.read_bytes()).hexdigest(),
                          page_count=1, kind="standard", pages=["Lấy mẫu sơn TCVN 8827:2011"], standard=rec,
                          designated=True, title_vi="Lấy mẫu sơn")
    run = documents.start_run(any_kbase, "test")
    changed = documents.store_ingested(any_kbase, result, run_id=run, actor="test")
    assert changed == {"standard": set(), "lab": set()}
    assert "độ tin cậy thấp (0.20)" in result.error
    with any_kbase.session() as s:
        assert s.exec(select(Standard)).all() == []
        [p] = proposals.pending(s)
        assert p.entity_id is None and p.min_confidence == 0.2
        assert {d["field"] for d in p.diff} == {"title_vi"}
        proposals.accept(s, p.id, None, 0, "bientap")
    std = _std(any_kbase, "TCVN 8827:2011")
    assert std.title_vi == "Lấy mẫu sơn" and std.provenance["title_vi"]["verified"] is True
    assert [e.entity_id for e in _events(any_kbase, "standard", "approve")] == [std.id]


def test_ungraded_confidence_and_filling_empty_fields_are_written_directly(any_kbase, tmp_path):
    with any_kbase.session() as s:  # known from an import by its code only
        standards.upsert_standard(s, StandardCreate(code=CODE), actor="import", source="import")
    _one(any_kbase, make_standard_pdf(tmp_path / "v1.pdf"))
    std = _std(any_kbase)
    assert std.title_vi and std.edition == "3"
    with any_kbase.session() as s:
        assert s.exec(select(ProposedChange)).all() == []


def test_changed_criteria_rows_are_proposed_then_replaced_on_accept(any_kbase, tmp_path):
    code = "TCVN 99001:2024"
    _one(any_kbase, make_criteria_standard_pdf(tmp_path / "gao1.pdf"))
    changed = [("1", "Độ ẩm, %", "≤ 13,5", "TCVN 11888:2017"), ("2", "Tạp chất, %", "≤ 0,2", "TCVN 8372:2010")]
    result = _one(any_kbase, make_criteria_standard_pdf(tmp_path / "gao2.pdf", first=changed))
    assert "bảng chỉ tiêu" in result["error"]
    std = _std(any_kbase, code)

    def rows():
        with any_kbase.session() as s:
            return [c.requirement for c in s.exec(select(Criterion).where(Criterion.standard_id == std.id)
                                                  .order_by(Criterion.position)).all()]

    assert rows() == ["≤ 14,0", "≤ 0,2", "≤ 0,5"]
    with any_kbase.session() as s:
        [p] = proposals.pending(s)
        assert [d["field"] for d in p.diff] == ["criteria"]
        proposals.accept(s, p.id, ["criteria"], std.version, "bientap")
    assert rows() == ["≤ 13,5", "≤ 0,2", "≤ 0,5"]


def test_a_known_lab_whose_scope_would_change_gets_a_proposal(any_kbase, tmp_path):
    _one(any_kbase, make_lab_pdf(tmp_path / "lab1.pdf"))
    with any_kbase.session() as s:
        lab = s.exec(select(Lab)).one()
        n = len(labs.scope_rows(s, lab))
    result = _one(any_kbase, make_lab_pdf(tmp_path / "lab2.pdf", groups={
        "I THỬ NGHIỆM XI MĂNG": [("Xác định độ mịn", "TCVN 4030:2003", "Sàng, cân")]}))
    assert "phạm vi" in result["error"]
    with any_kbase.session() as s:
        assert len(s.exec(select(LabScope)).all()) == n
        [p] = proposals.pending(s)
        assert p.entity == "lab" and p.entity_id == lab.id
        proposals.accept(s, p.id, None, lab.version, "bientap")
    with any_kbase.session() as s:
        assert [r.test for r in labs.scope_rows(s, s.get(Lab, lab.id))] == ["Xác định độ mịn"]


def test_pending_lists_the_least_sure_first(any_kbase):
    with any_kbase.session() as s:
        for target, conf in (("TCVN 1:2020", 0.9), ("TCVN 2:2020", None), ("TCVN 3:2020", 0.1), ("TCVN 4:2020", 0.5)):
            proposals.propose(s, document_id=None, entity="standard", entity_id=None, target=target,
                              values={"fields": {"title_vi": "x"}}, rows=None, diff=[], confidence=conf,
                              reason="thử", actor="test")
    with any_kbase.session() as s:
        assert [p.target for p in proposals.pending(s)] == ["TCVN 3:2020", "TCVN 4:2020", "TCVN 1:2020", "TCVN 2:2020"]
