"""Curation services on their own: revert rules, re-pointing, review locks (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from kb import audit, mappings, products, standards, versioning
from kb.errors import BadInput, Conflict, KBError
from kb.models import (
    AuditEvent,
    Mapping,
    MappingSource,
    MappingStatus,
    MappingUpdate,
    ProductCreate,
    ProductKind,
    Standard,
    StandardCreate,
    StandardUpdate,
)
from tests.support.accounts import seed


def _last(s, **kw) -> AuditEvent:
    return audit.audit_events(s, limit=1, **kw)[0]


def test_revert_refuses_when_the_field_moved_on(any_kbase):
    w = seed(any_kbase)
    with any_kbase.session() as s:
        mappings.update_mapping(s, w.mapping, MappingUpdate(rationale="lần 1"), 1, "a")
        first = _last(s, entity="mapping")
        mappings.update_mapping(s, w.mapping, MappingUpdate(rationale="lần 2"), 2, "b")
    # superseded by the later change: refused, naming it
    with pytest.raises(Conflict, match=r"sửa sau đó \(sự kiện #\d+\)"), any_kbase.session() as s:
        versioning.revert_event(s, first.id, "c")
    with any_kbase.session() as s:
        versioning.revert_event(s, _last(s, entity="mapping").id, "c")  # the latest change reverts fine
        assert s.get(Mapping, w.mapping).rationale == "lần 1"


def test_revert_refuses_what_it_cannot_undo(any_kbase):
    seed(any_kbase)
    with any_kbase.session() as s:
        user_event = _last(s, entity="user")
        std_event = audit.audit_events(s, entity="standard", action="import", limit=1)[0]
    for event_id in (user_event.id, std_event.id, 10**6):
        with pytest.raises(KBError) as info, any_kbase.session() as s:
            versioning.revert_event(s, event_id, "c")
        assert getattr(info.value, "status", None) in (400, 404)
    with any_kbase.session() as s:  # nothing was removed
        assert s.get(Standard, std_event.entity_id) is not None


def test_deleted_mapping_comes_back_with_its_fields(any_kbase):
    w = seed(any_kbase)
    with any_kbase.session() as s:
        m = s.get(Mapping, w.mapping)
        versioning.delete_versioned(s, m, 1, actor="a", entity="mapping", summary="xóa")
    with any_kbase.session() as s:
        versioning.revert_event(s, _last(s, entity="mapping").id, "b")
    with any_kbase.session() as s:
        m = s.get(Mapping, w.mapping)
        assert (m.rationale, m.status, m.reasons, m.score) == ("thử cường độ", MappingStatus.suggested, ["tên khớp"], 0.8)


def test_repoint_moves_or_merges(any_kbase):
    w = seed(any_kbase)
    with any_kbase.session() as s:
        p2, _ = products.upsert_product(s, ProductCreate(name="Bê tông thương phẩm", kind=ProductKind.key), "t")
        old, new = s.get(Standard, w.old_std), s.get(Standard, w.new_std)
        mappings.upsert_mapping(s, p2, old, "test_method", None, None, "approved", MappingSource.curator, "t")
        twin, _ = mappings.upsert_mapping(s, p2, new, "test_method", None, None, "approved", MappingSource.curator, "t")
        counts = mappings.repoint_mappings(s, old, new, "curator")
        assert counts == {"moved": 1, "merged": 1}
        live = s.exec(Mapping.__table__.select().where(Mapping.standard_id == old.id,
                                                       Mapping.status != MappingStatus.rejected)).all()
        assert live == []
        assert s.get(Mapping, w.mapping).standard_id == new.id


def test_review_without_corrections_locks_every_extracted_field(any_kbase):
    seed(any_kbase)
    with any_kbase.session() as s:
        std, _ = standards.upsert_standard(
            s, StandardCreate(code="TCVN 9999:2024", title_vi="Tên trích xuất", ics="91.100"), actor="ingest", source="ingest",
            provenance={"title_vi": {"page": 1, "method": "cover"}, "ics": {"page": 2, "method": "foreword"}})
        std_id = std.id
        standards.review_standard(s, std_id, StandardUpdate(), std.version, "curator")
    with any_kbase.session() as s:
        std = s.get(Standard, std_id)
        assert std.provenance["title_vi"] == {"page": 1, "method": "cover", "verified": True, "by": "curator"}
        assert std.provenance["ics"]["verified"] is True
        standards.upsert_standard(s, StandardCreate(code="TCVN 9999:2024", title_vi="Khác", ics="00"), actor="ingest", source="ingest")
    with any_kbase.session() as s:
        std = s.get(Standard, std_id)
        assert (std.title_vi, std.ics) == ("Tên trích xuất", "91.100")
        with pytest.raises(BadInput):
            standards.review_standard(s, std_id, standards.parse_corrections({"code": "x"}), std.version, "curator")
