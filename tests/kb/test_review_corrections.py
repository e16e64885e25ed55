"""Corrections a curator makes on the document review beyond the columns (kb.standards.review_standard): the
relation fields (replaces, converted_from, equivalence, normative references) kept in ``extra`` and as edges,
and the criteria table; each inside the one versioned, audited approve. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from kb import standards
from kb.errors import BadInput
from kb.models import (
    AuditEvent,
    Criterion,
    RelationType,
    Standard,
    StandardCreate,
    StandardRelation,
    StandardStatus,
    StandardUpdate,
)
from kb.records import CriterionRow
from kb.versioning import StaleEdit, revertable
from tests.support.records import make_relation, make_standard

NEW, OLD, OLDER = "TCVN 3118:2022", "TCVN 3118:1993", "TCVN 3118:1985"


@pytest.fixture
def world(any_kbase) -> int:
    """TCVN 3118:2022 as an ingest leaves it: extras read from its foreword and references clause, their
    edges, a criteria table; TCVN 3118:1993 (replaced by it) and TCVN 3118:1985 in the knowledge base."""
    with any_kbase.session() as s:
        make_standard(s, OLD)
        make_standard(s, OLDER, status="withdrawn")
        std = make_standard(s, NEW, provenance={
            "replaces": {"page": 2, "method": "foreword", "verified": False, "confidence": 0.9},
            "equivalence": {"page": 2, "method": "foreword", "verified": False, "confidence": 0.6},
            "normative_references": {"page": 4, "method": "references", "verified": False},
        })
        std.extra = {"replaces": [OLD], "equivalence": {"relation": "reference", "codes": ["GOST 10180-2012"]},
                     "normative_references": ["TCVN 3105:2022", "Luật Tiêu chuẩn và Quy chuẩn kỹ thuật"]}
        s.add(std)
        make_relation(s, NEW, "replaces", OLD)
        make_relation(s, NEW, "equivalent", "GOST 10180-2012", qualifier="reference")
        make_relation(s, NEW, "cites", "TCVN 3105:2022", qualifier="dated")
        standards.replace_criteria(s, std, [
            CriterionRow(1, "Cường độ chịu nén", "≥ 20", "MPa", "TCVN 3118:1993", "TCVN 3118:1993", page=5),
            CriterionRow(2, "Độ sụt", "60 ± 20", "mm", "TCVN 3106:1993", "TCVN 3106:1993", page=5),
        ])
        assert s.exec(select(Standard).where(Standard.code == OLD)).one().status == StandardStatus.replaced
        return std.id


def _review(kbase, std_id: int, *, relations=None, criteria=None, version=None, confirmed=()) -> Standard:
    with kbase.session() as s:
        std = s.get(Standard, std_id)
        return standards.review_standard(s, std_id, StandardUpdate(), std.version if version is None else version,
                                         "cur1", list(confirmed), relations=relations, criteria=criteria)


def _edges(s, relation: RelationType) -> list[tuple[str, str | None, str]]:
    rows = s.exec(select(StandardRelation).where(StandardRelation.from_code == NEW, StandardRelation.relation == relation)
                  .order_by(col(StandardRelation.position))).all()
    return [(e.to_code, e.qualifier, e.source) for e in rows]


def _status(s, code: str) -> StandardStatus:
    return s.exec(select(Standard).where(Standard.code == code)).one().status


def _approvals(s, std_id: int) -> list[AuditEvent]:
    return list(s.exec(select(AuditEvent).where(AuditEvent.entity == "standard", AuditEvent.entity_id == std_id,
                                                AuditEvent.action == "approve").order_by(col(AuditEvent.id))).all())


def _stored_rows(s, std_id: int) -> list[tuple]:
    return [(c.position, c.name, c.requirement, c.unit, c.method, c.method_code, c.page)
            for c in s.exec(select(Criterion).where(Criterion.standard_id == std_id).order_by(col(Criterion.position)))]


def _form_rows(s, std_id: int) -> list[dict[str, str]]:
    """The criteria table as the review form sends it back unchanged, with three blank rows."""
    rows = [{"id": str(c.id), "name": c.name, "requirement": c.requirement or "", "unit": c.unit or "",
             "method": c.method or "", "delete": ""}
            for c in s.exec(select(Criterion).where(Criterion.standard_id == std_id).order_by(col(Criterion.position)))]
    return rows + [{"id": "", "name": "", "requirement": "", "unit": "", "method": "", "delete": ""}] * 3


def test_correcting_replaces_moves_the_edge_the_extra_and_the_older_status(any_kbase, world):
    with any_kbase.session() as s:
        version = s.get(Standard, world).version
    _review(any_kbase, world, relations={"replaces": "tcvn 3118 1985"})  # typed loosely: read by the grammar
    with any_kbase.session() as s:
        std = s.get(Standard, world)
        assert _edges(s, RelationType.replaces) == [(OLDER, None, "review")]
        assert std.extra["replaces"] == [OLDER]
        assert std.provenance["replaces"] | {} == {"page": 2, "method": "curator", "verified": True, "by": "cur1",
                                                 "confidence": 0.9}
        assert not std.provenance["equivalence"]["verified"]  # neither corrected nor confirmed
        assert std.version == version + 1
        # The newly replaced edition is marked so; the one only that edge marked is no longer said to be.
        assert _status(s, OLDER) == StandardStatus.replaced
        assert _status(s, OLD) == StandardStatus.unknown
        [event] = _approvals(s, world)
        assert event.actor == "cur1" and "sửa replaces" in event.summary
        assert event.before["extra"]["replaces"] == [OLD] and event.after["extra"]["replaces"] == [OLDER]
        # The edges are logged too; reverting would restore the extra alone, so the event is not offered.
        assert (event.before["replaces"], event.after["replaces"]) == ([OLD], [OLDER])
        assert not revertable(s, event)
        unmarked = s.exec(select(AuditEvent).where(AuditEvent.summary.contains("không còn ghi là bị thay thế"))).one()
        assert unmarked.entity_id == s.exec(select(Standard.id).where(Standard.code == OLD)).one()
        assert unmarked.before["status"] == "replaced" and unmarked.after["status"] == "unknown"


@pytest.mark.parametrize("why", ["another edge", "verified status"])
def test_the_older_standard_stays_replaced_when_the_edge_was_not_the_only_reason(any_kbase, world, why):
    with any_kbase.session() as s:
        old = s.exec(select(Standard).where(Standard.code == OLD)).one()
        if why == "another edge":
            make_standard(s, "TCVN 3118:2010")
            make_relation(s, "TCVN 3118:2010", "replaces", OLD)
        else:
            old.provenance = {"status": {"page": None, "method": "curator", "verified": True, "by": "cur2"}}
            s.add(old)
    _review(any_kbase, world, relations={"replaces": ""})
    with any_kbase.session() as s:
        assert _edges(s, RelationType.replaces) == []
        assert "replaces" not in s.get(Standard, world).extra
        assert _status(s, OLD) == StandardStatus.replaced


def test_an_unreadable_code_is_refused_naming_it_and_nothing_is_saved(any_kbase, world):
    with any_kbase.session() as s:
        version = s.get(Standard, world).version
    with pytest.raises(standards.BadCode) as exc:
        _review(any_kbase, world, relations={"replaces": OLDER, "converted_from": "TCVN 1; tiêu chuẩn cũ XYZ"},
                criteria=[{"id": "", "name": "Độ hút nước", "method": "TCVN 3113:1993"}])
    assert exc.value.field == "converted_from" and "“tiêu chuẩn cũ XYZ”" in exc.value.message
    assert exc.value.status == 400
    with any_kbase.session() as s:
        std = s.get(Standard, world)
        assert std.version == version and std.extra["replaces"] == [OLD]
        assert _edges(s, RelationType.replaces) == [(OLD, None, "import")]
        assert len(_stored_rows(s, world)) == 2 and not _approvals(s, world)
    # Its own code is no relation either.
    with pytest.raises(BadInput, match="chính nó"):
        _review(any_kbase, world, relations={"replaces": f"{OLD}; {NEW}"})


def test_a_field_left_as_shown_is_not_read_again(any_kbase, world):
    """The references hold an entry the grammar cannot read (as extracted): sent back untouched, it neither
    blocks the review nor counts as a correction."""
    with any_kbase.session() as s:
        std = s.get(Standard, world)
        shown = {f: standards.relation_text(std, f) for f in standards.RELATION_FIELDS}
        shown["equivalence_relation"] = standards.equivalence_relation(std)
    assert shown["normative_references"] == "TCVN 3105:2022; Luật Tiêu chuẩn và Quy chuẩn kỹ thuật"
    _review(any_kbase, world, relations=shown, confirmed=["normative_references"])
    with any_kbase.session() as s:
        std = s.get(Standard, world)
        assert std.provenance["normative_references"]["method"] == "references"  # confirmed, not corrected
        assert std.provenance["normative_references"]["verified"]
        [event] = _approvals(s, world)
        assert "sửa" not in event.summary and revertable(s, event)  # a plain approve can still be undone
        assert _edges(s, RelationType.cites) == [("TCVN 3105:2022", "dated", "import")]


def test_equivalence_codes_and_level(any_kbase, world):
    _review(any_kbase, world, relations={"equivalence": "ISO 1920-4:2005; iso 679 2009",
                                         "equivalence_relation": "MOD"})
    with any_kbase.session() as s:
        assert _edges(s, RelationType.equivalent) == [("ISO 1920-4:2005", "MOD", "review"),
                                                      ("ISO 679:2009", "MOD", "review")]
        assert s.get(Standard, world).extra["equivalence"] == {"relation": "MOD",
                                                               "codes": ["ISO 1920-4:2005", "ISO 679:2009"]}
    # The level alone changes the kept edges' qualifier.
    _review(any_kbase, world, relations={"equivalence": "ISO 1920-4:2005; ISO 679:2009", "equivalence_relation": "IDT"})
    with any_kbase.session() as s:
        assert [q for _, q, _ in _edges(s, RelationType.equivalent)] == ["IDT", "IDT"]
        assert s.get(Standard, world).provenance["equivalence"]["method"] == "curator"
    with pytest.raises(BadInput, match="mức tương đương"):
        _review(any_kbase, world, relations={"equivalence": "ISO 1920-4:2005", "equivalence_relation": ""})
    with pytest.raises(BadInput):
        _review(any_kbase, world, relations={"equivalence": "ISO 1920-4:2005", "equivalence_relation": "XYZ"})


def test_references_dated_undated_in_the_typed_order(any_kbase, world):
    _review(any_kbase, world, relations={
        "normative_references": "ISO 1920; TCVN 5878:2007 (ISO 2178:1982); TCVN 3105:2022, TCVN 3106:1993",
        "converted_from": "TCXDVN 326:2004"})
    with any_kbase.session() as s:
        assert _edges(s, RelationType.cites) == [
            ("ISO 1920", "undated", "review"), ("TCVN 5878:2007", "dated", "review"),
            ("TCVN 3105:2022", "dated", "import"), ("TCVN 3106:1993", "dated", "review")]
        assert _edges(s, RelationType.converted_from) == [("TCXDVN 326:2004", None, "review")]
        extra = s.get(Standard, world).extra
        assert extra["normative_references"] == ["ISO 1920", "TCVN 5878:2007", "TCVN 3105:2022", "TCVN 3106:1993"]
        assert extra["converted_from"] == ["TCXDVN 326:2004"]


def test_parse_criteria_normalises_methods_and_drops_blank_and_deleted_rows():
    rows = standards.parse_criteria([
        {"name": " Cường  độ chịu nén ", "requirement": "≥ 25", "unit": "MPa", "method": "tcvn 3118 2022"},
        {"name": "Độ sụt", "method": "TCVN 3106:1993", "delete": "1"},
        {"name": "", "requirement": "", "unit": "", "method": ""},
        {"name": "Hàm lượng ion clo", "method": "Theo phụ lục A; TCVN7572-15:2006"},
        {"name": "Ghi chú", "method": "theo thỏa thuận"},
    ])
    assert [(r.position, r.name, r.requirement, r.unit, r.method, r.method_code) for r in rows] == [
        (1, "Cường độ chịu nén", "≥ 25", "MPa", "TCVN 3118:2022", "TCVN 3118:2022"),
        (2, "Hàm lượng ion clo", None, None, "Theo phụ lục A; TCVN 7572-15:2006", "TCVN 7572-15:2006"),
        (3, "Ghi chú", None, None, "theo thỏa thuận", None),
    ]
    with pytest.raises(BadInput, match="dòng chỉ tiêu thứ 2 thiếu tên"):
        standards.parse_criteria([{"name": "A"}, {"name": " ", "requirement": "≥ 1"}])
    with pytest.raises(BadInput, match="quá dài"):
        standards.parse_criteria([{"name": "A"}] * (standards.MAX_CRITERIA + 1))


def test_correcting_the_criteria_table(any_kbase, world):
    with any_kbase.session() as s:
        form = _form_rows(s, world)
        version = s.get(Standard, world).version
    form[0] = {**form[0], "requirement": "≥ 25", "method": "tcvn 3118 2022"}
    form[1] = {**form[1], "delete": "1"}
    form[2] = {**form[2], "name": "Độ hút nước", "unit": "%", "method": "TCVN 3113:1993"}
    _review(any_kbase, world, criteria=form)
    with any_kbase.session() as s:
        assert _stored_rows(s, world) == [
            (1, "Cường độ chịu nén", "≥ 25", "MPa", "TCVN 3118:2022", "TCVN 3118:2022", 5),  # keeps its page
            (2, "Độ hút nước", None, "%", "TCVN 3113:1993", "TCVN 3113:1993", None),
        ]
        std = s.get(Standard, world)
        assert std.version == version + 1
        assert std.provenance["criteria"] == {"page": None, "method": "curator", "verified": True, "by": "cur1"}
        [event] = _approvals(s, world)
        assert "criteria: 2 → 2 dòng" in event.summary
        form = _form_rows(s, world)
        version = std.version
    # Sent back unchanged: nothing rewritten, no second event.
    _review(any_kbase, world, criteria=form)
    with any_kbase.session() as s:
        assert s.get(Standard, world).version == version and len(_approvals(s, world)) == 1
    # A second correction changes no column of the standard: its version still moves and the event is logged.
    form[1] = {**form[1], "delete": "1"}
    _review(any_kbase, world, criteria=form)
    with any_kbase.session() as s:
        assert [r[1] for r in _stored_rows(s, world)] == ["Cường độ chịu nén"]
        assert s.get(Standard, world).version == version + 1
        events = _approvals(s, world)
        assert len(events) == 2 and "criteria: 2 → 1 dòng" in events[-1].summary
        assert events[-1].before["criteria"] == ["Cường độ chịu nén | ≥ 25 | MPa | TCVN 3118:2022",
                                                 "Độ hút nước | — | % | TCVN 3113:1993"]
        assert events[-1].after["criteria"] == ["Cường độ chịu nén | ≥ 25 | MPa | TCVN 3118:2022"]
        assert not any(revertable(s, e) for e in events)


def test_a_stale_form_changes_nothing(any_kbase, world):
    with any_kbase.session() as s:
        version = s.get(Standard, world).version
        form = _form_rows(s, world)
    _review(any_kbase, world, relations={"converted_from": "TCXDVN 326:2004"})
    form[0] = {**form[0], "delete": "1"}
    with pytest.raises(StaleEdit):
        _review(any_kbase, world, relations={"replaces": OLDER}, criteria=form, version=version)
    with any_kbase.session() as s:
        assert _edges(s, RelationType.replaces) == [(OLD, None, "import")]
        assert len(_stored_rows(s, world)) == 2 and _status(s, OLD) == StandardStatus.replaced


def test_a_later_ingest_leaves_a_corrected_relation_alone(any_kbase, world):
    """Verified like a column: the document read again (its extras and edges) changes neither the list nor
    the edges, nor the older edition's status."""
    _review(any_kbase, world, relations={"replaces": OLDER})
    with any_kbase.session() as s:
        standards.upsert_standard(s, StandardCreate(code=NEW), actor="ingest", source="ingest",
                                  extra={"replaces": [OLD], "converted_from": ["TCXDVN 326:2004"]})
        assert standards.add_relation(s, NEW, "replaces", OLD, source="ingest") is None
        standards.add_relation(s, NEW, "converted_from", "TCXDVN 326:2004", source="ingest")
    with any_kbase.session() as s:
        std = s.get(Standard, world)
        assert std.extra["replaces"] == [OLDER] and std.extra["converted_from"] == ["TCXDVN 326:2004"]
        assert _edges(s, RelationType.replaces) == [(OLDER, None, "review")]
        assert _edges(s, RelationType.converted_from) == [("TCXDVN 326:2004", None, "ingest")]  # not verified
        assert _status(s, OLD) == StandardStatus.unknown
