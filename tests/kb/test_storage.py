"""Storage services on SQLite and PostgreSQL: schema, lookup by any spelling, provenance locks, relations."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect
from sqlmodel import select

from kb import standards
from kb.errors import BadInput, NotFound
from kb.models import AuditEvent, RelationType, Standard, StandardCreate, StandardStatus


def test_init_is_idempotent_and_creates_every_table(any_kbase):
    any_kbase.init()  # second run: nothing to do, no error
    tables = set(inspect(any_kbase.engine).get_table_names())
    assert {"standard", "standardrelation", "product", "mapping", "lab", "labscope", "user",
            "auditevent", "ingestrun", "ingestfile", "document", "criterion"} <= tables


def test_upsert_then_find_by_loose_spellings(any_kbase):
    with any_kbase.session() as s:
        std, outcome = standards.upsert_standard(
            s, StandardCreate(code="TCVN 3118:2022", title_vi="Bê tông - Phương pháp xác định cường độ chịu nén",
                              status=StandardStatus.in_force),
            actor="test", source="import")
        assert outcome == "created"
        assert (std.doc_type, std.number, std.year, std.mandatory) == ("TCVN", "3118", 2022, False)
    with any_kbase.session() as s:
        for spelling in ("TCVN 3118:2022", "tcvn3118", "3118-2022", "TCVN 3118 : 2022", "TCVN 3118"):
            found = standards.get_standard(s, spelling)
            assert found is not None and found.code == "TCVN 3118:2022", spelling
        assert standards.get_standard(s, "TCVN 3118:1993") is None
        with pytest.raises(NotFound):
            standards.require_standard(s, "TCVN 99999:2020")


def test_regulations_are_mandatory(any_kbase):
    with any_kbase.session() as s:
        std, _ = standards.upsert_standard(s, StandardCreate(code="QCVN 8-1:2011/BYT", title_vi="Quy chuẩn"), actor="t", source="import")
        assert std.mandatory and std.part == "1" and std.issuer_suffix == "BYT"


def test_reimport_is_unchanged_and_not_audited_twice(any_kbase):
    fields = StandardCreate(code="TCVN 5107:2018", title_vi="Nước mắm", status=StandardStatus.in_force)
    with any_kbase.session() as s:
        standards.upsert_standard(s, fields, actor="t", source="import")
    with any_kbase.session() as s:
        _, outcome = standards.upsert_standard(s, fields, actor="t", source="import")
        assert outcome == "unchanged"
        assert len(s.exec(select(AuditEvent)).all()) == 1


def test_verified_field_is_never_overwritten(any_kbase):
    with any_kbase.session() as s:
        std, _ = standards.upsert_standard(s, StandardCreate(code="TCVN 3118:2022", title_vi="Tên đã sửa"), actor="t", source="ingest",
                                           provenance={"title_vi": {"page": 1, "method": "cover"}})
        std.provenance = {**std.provenance, "title_vi": {**std.provenance["title_vi"], "verified": True}}
        s.add(std)
    with any_kbase.session() as s:
        std, outcome = standards.upsert_standard(s, StandardCreate(code="TCVN 3118:2022", title_vi="Tên trích xuất sai", ics="91.100.30"),
                                                 actor="t", source="ingest", provenance={"title_vi": {"page": 2, "method": "x"}})
        assert std.title_vi == "Tên đã sửa" and std.ics == "91.100.30" and outcome == "updated"
        assert std.provenance["title_vi"]["page"] == 1


def test_replacement_marks_older_edition_and_links_both_ways(any_kbase):
    with any_kbase.session() as s:
        old, _ = standards.upsert_standard(s, StandardCreate(code="TCVN 3118:1993", status=StandardStatus.in_force),
                                          actor="t", source="import")
        new, _ = standards.upsert_standard(s, StandardCreate(code="TCVN 3118:2022", status=StandardStatus.in_force),
                                          actor="t", source="import")
        standards.add_relation(s, new.code, RelationType.replaces, old.code)
        standards.add_relation(s, new.code, RelationType.replaces, old.code)  # idempotent
    with any_kbase.session() as s:
        old = standards.require_standard(s, "TCVN 3118:1993")
        new = standards.require_standard(s, "TCVN 3118:2022")
        assert old.status == StandardStatus.replaced
        assert standards.replaced_by_chain(s, old) == ["TCVN 3118:2022"]
        rel_new, rel_old = standards.relations_of(s, new), standards.relations_of(s, old)
        assert rel_new["outgoing"] == [{"relation": "replaces", "code": "TCVN 3118:1993", "qualifier": None,
                                        "in_kb": True, "canonical": "TCVN 3118:1993"}]
        assert rel_old["incoming"][0]["code"] == "TCVN 3118:2022"
        # The undated code now means the edition in force.
        assert standards.get_standard(s, "tcvn 3118").code == "TCVN 3118:2022"


def test_relation_before_the_old_edition_exists(any_kbase):
    with any_kbase.session() as s:
        standards.add_relation(s, "TCVN 3118:2022", "replaces", "TCVN 3118:1993")
        old, _ = standards.upsert_standard(s, StandardCreate(code="TCVN 3118:1993", title_vi="cũ"), actor="t", source="import")
        assert old.status == StandardStatus.replaced
        assert s.exec(select(Standard)).all() == [old]


def test_unparseable_code_is_a_clear_error(any_kbase):
    with any_kbase.session() as s, pytest.raises(BadInput, match="không nhận ra"):
        standards.upsert_standard(s, StandardCreate(code="nước mắm"), actor="t", source="import")


def test_regulation_typed_without_its_issuer(any_kbase):
    with any_kbase.session() as s:
        standards.upsert_standard(s, StandardCreate(code="QCVN 8-1:2011/BYT", status=StandardStatus.in_force), actor="t", source="import")
    with any_kbase.session() as s:
        for spelling in ("qcvn 8 1 2011", "QCVN 8-1", "qcvn8-1:2011"):
            found = standards.get_standard(s, spelling)
            assert found is not None and found.code == "QCVN 8-1:2011/BYT", spelling
        assert standards.get_standard(s, "qcvn 8 1 2012") is None
