"""kb.labs for a listing that links itself: method cells read through the designation grammar, undo of a
deleted row, validity a lab claims (stored, verified, carried through dated answers), on SQLite and
PostgreSQL where storage matters."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from kb import labs
from kb.errors import Conflict, NotFound
from kb.models import AuditEvent, LabScope, LabScopeCreate, LabUpdate
from kb.read.dated import DatedAnswers
from kb.read.labs import lab_detail, redate
from kb.read.products import product_answer, product_detail
from kb.versioning import StaleEdit
from tests.support.records import build_world


@pytest.mark.parametrize(("typed", "text", "codes"), [
    ("tcvn 7570 2006", "TCVN 7570:2006", ["TCVN 7570:2006"]),
    ("TCVN7570:2006", "TCVN 7570:2006", ["TCVN 7570:2006"]),
    ("tcvn 7570-2006", "TCVN 7570:2006", ["TCVN 7570:2006"]),
    ("qcvn 8 1 2011/byt", "QCVN 8-1:2011/BYT", ["QCVN 8-1:2011/BYT"]),
    ("tcvn 7572 12", "TCVN 7572-12", ["TCVN 7572-12"]),  # the reading that spells what was typed: part 12
    ("tcvn 7570 2006, tcvn 7572-2:2006", "TCVN 7570:2006, TCVN 7572-2:2006", ["TCVN 7570:2006", "TCVN 7572-2:2006"]),
    ("TCVN 7570:2006;TCVN 7572-2:2006\nASTM C39", "TCVN 7570:2006; TCVN 7572-2:2006; ASTM C39",
     ["TCVN 7570:2006", "TCVN 7572-2:2006", "ASTM C39"]),
    ("TCVN 5408 : 2007 (ISO 1461:1999)", "TCVN 5408:2007 (ISO 1461:1999)", ["TCVN 5408:2007", "ISO 1461:1999"]),
    ("ASTM C143, C172", "ASTM C143, C172", ["ASTM C143", "ASTM C172"]),  # a shorthand stays as printed
    ("Độ ẩm GOST\n12730.1-2020; ISO 5735-\n1:2024", "Độ ẩm GOST 12730.1-2020; ISO 5735-1:2024",
     ["GOST 12730.1-2020", "ISO 5735-1:2024"]),  # a line break inside a code (a wrapped PDF cell) is no separator
    ("TCVN 13937-1,2,3:2024", "TCVN 13937-1,2,3:2024", ["TCVN 13937-1:2024", "TCVN 13937-2:2024", "TCVN 13937-3:2024"]),
])
def test_method_cells_are_normalised_and_the_normal_form_is_stable(typed, text, codes):
    cell = labs.parse_method(typed)
    assert (cell.text, cell.codes, cell.unrecognised) == (text, codes, [])
    assert labs.parse_method(cell.text) == cell  # so an exported scope re-imports unchanged


@pytest.mark.parametrize("typed", ["Theo hướng dẫn của nhà sản xuất", "SMEWW 3111B", "3118-2022", "Ref. tcvn 6121 2018"])
def test_text_that_is_no_designation_is_kept_as_typed_and_flagged(typed):
    cell = labs.parse_method(typed)
    assert (cell.text, cell.codes, cell.series, cell.unrecognised) == (typed, [], "", [typed])


def test_every_way_in_fills_method_series_from_the_normal_form(any_kbase):
    with any_kbase.session() as s:
        lab = labs.require_lab(s, labs.upsert_lab(s, labs.parse_lab({"accreditation": "vilas 9", "name": "PTN"}), "t")[0].id)
        added = labs.add_scope_row(s, lab, labs.parse_scope_row({"test": "A", "method": "tcvn 7570 2006"}), "t")
        assert (added.method, added.method_series) == ("TCVN 7570:2006", "|tcvn7570|")
        labs.update_scope(s, lab, added.id, labs.parse_scope_row({"test": "A", "method": "tcvn 3118-2022"}), None, "t")
        assert s.get(LabScope, added.id).method_series == "|tcvn3118|"
        counts = labs.replace_scope(s, lab, [labs.parse_scope_row({"test": "A", "method": "TCVN3118:2022"})], "t")
        assert counts == {"created": 0, "updated": 0, "unchanged": 1, "deleted": 0}  # the same row, spelt loosely
        assert [r.id for r in labs.labs_for_standard(s, _standard(s, "TCVN 3118:2022"))] == [lab.id]


def _standard(s, code):
    from kb import standards
    from kb.models import StandardCreate

    return standards.upsert_standard(s, StandardCreate(code=code, title_vi="x"), actor="t", source="import")[0]


def test_restore_brings_the_row_back_once_and_only_for_its_lab(any_kbase):
    with any_kbase.session() as s:
        a = labs.upsert_lab(s, labs.parse_lab({"accreditation": "VILAS 1", "name": "A"}), "t")[0]
        b = labs.upsert_lab(s, labs.parse_lab({"accreditation": "VILAS 2", "name": "B"}), "t")[0]
        rows = [labs.add_scope_row(s, a, LabScopeCreate(test=t, method="TCVN 7570:2006"), "t") for t in ("x", "y", "z")]
        kept = {f: getattr(rows[1], f) for f in ("test", "method", "method_codes", "method_series", "position")}
        event_id = labs.delete_scope(s, a, rows[1].id, rows[1].version, "lab")
        with pytest.raises(StaleEdit):
            labs.delete_scope(s, a, rows[0].id, rows[0].version + 1, "lab")
        a_id, b_id = a.id, b.id
    with any_kbase.session() as s:
        a, b = labs.require_lab(s, a_id), labs.require_lab(s, b_id)
        with pytest.raises(NotFound):
            labs.restore_scope(s, b, event_id, "lab")
        back = labs.restore_scope(s, a, event_id, "lab")
        assert {f: getattr(back, f) for f in kept} == kept
        assert [r.test for r in labs.scope_rows(s, a)] == ["x", "y", "z"]  # in its place
    with any_kbase.session() as s:
        with pytest.raises(Conflict):
            labs.restore_scope(s, labs.require_lab(s, a_id), event_id, "lab")
        actions = s.exec(select(AuditEvent.action).where(AuditEvent.entity == "lab_scope")
                         .order_by(AuditEvent.id)).all()
        assert actions[-2:] == ["delete", "create"]


def test_a_labs_own_validity_is_stored_unverified_until_verified(any_kbase):
    with any_kbase.session() as s:
        lab = labs.upsert_lab(s, labs.parse_lab({"accreditation": "VILAS 3", "name": "C", "valid_until": "2027-01-01"}),
                              "t")[0]
        assert lab.validity_verified is True
        labs.update_lab_profile(s, lab, LabUpdate(valid_until=date(2099, 12, 31)), lab.version, "lab", confirmed=False)
        lab_id = lab.id
    with any_kbase.session() as s:
        lab = labs.require_lab(s, lab_id)
        assert lab.validity_verified is False
        detail = lab_detail(s, lab_id, today=date(2026, 12, 6))
        assert detail["validity"] == {"state": "valid", "label": "Còn hiệu lực (chưa xác minh)",
                                      "days_left": (date(2099, 12, 31) - date(2026, 12, 6)).days, "verified": False}
        # redate (the dated answers' day shift) keeps the flag
        shifted = redate({"labs": [{"valid_until": "2099-12-31", "validity": detail["validity"]}]}, date(2030, 1, 1))
        assert shifted["labs"][0]["validity"]["verified"] is False
        labs.verify_lab(s, lab, "cur")
    with any_kbase.session() as s:
        lab = labs.require_lab(s, lab_id)
        assert lab.validity_verified is True and labs.changed_since_verification(s, lab) is False
        # An import by curators confirms the dates it changes.
        labs.update_lab_profile(s, lab, LabUpdate(valid_until=date(2098, 1, 1)), lab.version, "lab", confirmed=False)
        labs.upsert_lab(s, labs.parse_lab({"accreditation": "VILAS 3", "valid_until": "2028-01-01"}), "cli")
        assert labs.require_lab(s, lab_id).validity_verified is True


def test_dated_answers_see_the_verification_at_once(any_kbase):
    w = build_world(any_kbase)
    answers = DatedAnswers()
    day = date.today()

    def flag(answer):
        return {lab["validity"]["verified"] for std in answer["standards"] for lab in std["labs"] if lab["id"] == w.lab_id}

    with any_kbase.session() as s:
        lab = labs.require_lab(s, w.lab_id)
        labs.update_lab_profile(s, lab, LabUpdate(valid_until=day + timedelta(days=4000)), lab.version, "lab",
                                confirmed=False)
    with any_kbase.session() as s:
        assert flag(product_answer(s, answers, w.product_id, day)) == {False}
        labs.verify_lab(s, labs.require_lab(s, w.lab_id), "cur")
    with any_kbase.session() as s:
        after = product_answer(s, answers, w.product_id, day)
        assert flag(after) == {True} and after == product_detail(s, w.product_id, day)
