"""The suggestion queue's services: filters, groups, pages and bulk decisions (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from kb import mappings
from kb.errors import BadInput
from kb.models import AuditEvent, Mapping, MappingStatus
from tests.support.queue import CODE, QCVN, SERIES, build_queue


def _filter(s, **kw):
    return mappings.parse_queue_filter(s, **kw)


def _ids(s, **kw) -> list[int]:
    f = _filter(s, **kw)
    return [r["mapping"].id for r in mappings.queue_rows(s, f, limit=500)]


def test_filters_narrow_the_queue(any_kbase):
    w = build_queue(any_kbase)
    with any_kbase.session() as s:
        everything = _ids(s)
        assert len(everything) == 17 and everything[-1] == w.unscored  # best score first, unscored last
        assert _ids(s, standard=SERIES) == w.ids  # undated: every edition of the series
        assert _ids(s, standard="tcvn 4884-1:2015") == w.ids
        assert _ids(s, standard="TCVN 4884-1:1999") == []  # a known series, an edition not stored
        assert _ids(s, product="banh phu the") == [w.banh, w.unscored]  # accents optional
        assert _ids(s, product=str(w.products[2])) == [w.ids[2]]
        assert _ids(s, group="banh-keo-thu") == [w.ids[0], w.banh, w.unscored]  # with the subgroup's member
        assert _ids(s, group="banh-truyen-thong-thu") == [w.ids[0]]
        assert _ids(s, type="mandatory") == [w.banh]
        assert _ids(s, type="Quy chuẩn bắt buộc") == [w.banh]
        assert _ids(s, min_score="0.9") == [w.ids[0], w.ids[1], w.ids[2], w.banh]
        assert _ids(s, min_score="0,9", standard=SERIES) == w.ids[:3]
        assert _ids(s, source="import") == [w.unscored]
        assert mappings.queue_count(s, _filter(s, standard=SERIES, min_score="0.8")) == 8
        # pages follow the same order
        f = _filter(s)
        assert [r["mapping"].id for r in mappings.queue_rows(s, f, limit=5, offset=5)] == everything[5:10]


@pytest.mark.parametrize("kw", [{"standard": "không phải ký hiệu"}, {"group": "khong-co"}, {"min_score": "cao"},
                                {"min_score": "1.5"}, {"source": "robot"}, {"type": "loại lạ"}, {"status": "có lẽ"}])
def test_bad_filters_are_refused_in_vietnamese(kbase, kw):
    with kbase.session() as s, pytest.raises(BadInput) as err:
        _filter(s, **kw)
    assert err.value.message and err.value.status == 400


def test_groups_by_standard_and_by_product(any_kbase):
    w = build_queue(any_kbase)
    with any_kbase.session() as s:
        groups, total = mappings.queue_groups(s, _filter(s), "standard", per_group=4)
        assert total == 3
        first = groups[0]
        assert (first["record"].code, first["count"]) == (CODE, 15)
        assert [r["mapping"].id for r in first["rows"]] == w.ids[:4]
        assert [(g["record"].code, g["count"]) for g in groups[1:]] == sorted([(QCVN, 1), ("TCVN 3118:2022", 1)])
        by_product, total = mappings.queue_groups(s, _filter(s), "product", limit=2)
        assert total == 16
        assert (by_product[0]["record"].name, by_product[0]["count"]) == ("Bánh phu thê Đình Bảng", 2)
        second_page, _ = mappings.queue_groups(s, _filter(s), "product", limit=2, offset=2)
        assert {g["id"] for g in second_page}.isdisjoint({g["id"] for g in by_product})


def _events(s, mapping_id: int) -> list[AuditEvent]:
    return list(s.exec(select(AuditEvent).where(AuditEvent.entity == "mapping", AuditEvent.entity_id == mapping_id,
                                                AuditEvent.action.in_(["approved", "rejected"]))).all())


def test_bulk_with_a_stale_id_applies_the_others_and_reports_it(any_kbase):
    w = build_queue(any_kbase)
    with any_kbase.session() as s:  # the curator reads the queue …
        seen = {i: v for i, v in mappings.queue_ids(s, _filter(s, standard=SERIES))}
    with any_kbase.session() as s:  # … another curator rejects one of them meanwhile
        mappings.decide_mapping(s, w.ids[3], "rejected", "cur2", note="không thuộc phạm vi")
    with any_kbase.session() as s:
        out = mappings.bulk_decide(s, [*w.ids, 999_999], "approved", "cur1", versions=seen)
    by_id = {o.id: o for o in out}
    assert by_id[w.ids[3]].result == "conflict" and by_id[w.ids[3]].status == "rejected"
    assert by_id[999_999].result == "not_found"
    fresh = [i for i in w.ids if i != w.ids[3]]
    assert [by_id[i].result for i in fresh] == ["ok"] * 14
    with any_kbase.session() as s:  # committed: a new session sees every applied decision, and only those
        assert {s.get(Mapping, i).status for i in fresh} == {MappingStatus.approved}
        assert s.get(Mapping, w.ids[3]).status == MappingStatus.rejected
        for i in fresh:
            events = _events(s, i)
            assert [(e.action, e.actor) for e in events] == [("approved", "cur1")]
            assert events[0].id == by_id[i].event_id
            assert "→ TCVN 4884-1:2015" in events[0].summary
        assert [e.actor for e in _events(s, w.ids[3])] == ["cur2"]
        decided = mappings.decided_events(s, min(o.event_id for o in out if o.event_id),
                                          max(o.event_id for o in out if o.event_id), "cur1")
        assert mappings.describe_decisions(decided) == "Đã duyệt 14 ánh xạ của TCVN 4884-1:2015."
        assert mappings.decided_events(s, decided[0][0].id, decided[-1][0].id, "cur2") == []


def test_bulk_reports_a_version_that_moved_on_even_when_still_suggested(any_kbase):
    w = build_queue(any_kbase, n=3)
    with any_kbase.session() as s:
        seen = dict(mappings.queue_ids(s, _filter(s, standard=SERIES)))
        mappings.update_mapping(s, w.ids[1], mappings.parse_mapping_changes({"rationale": "sửa lại"}), None, "cur2")
    with any_kbase.session() as s:
        out = mappings.bulk_decide(s, w.ids, "rejected", "cur1", note="trùng lặp", versions=seen)
    assert [o.result for o in out] == ["ok", "conflict", "ok"]
    with any_kbase.session() as s:
        assert s.get(Mapping, w.ids[1]).status == MappingStatus.suggested
        assert s.get(Mapping, w.ids[0]).decision_note == "trùng lặp"
        assert _events(s, w.ids[1]) == []


def test_a_decided_mapping_is_a_conflict_not_a_second_decision(kbase):
    w = build_queue(kbase, n=2)
    with kbase.session() as s:
        first = mappings.bulk_decide(s, w.ids, "approved", "cur1")
        again = mappings.bulk_decide(s, w.ids, "rejected", "cur2", note="đổi ý")
    assert [o.result for o in first] == ["ok", "ok"]
    assert [o.result for o in again] == ["conflict", "conflict"]
    with kbase.session() as s:
        assert {s.get(Mapping, i).status for i in w.ids} == {MappingStatus.approved}
        assert [len(_events(s, i)) for i in w.ids] == [1, 1]


@pytest.mark.parametrize("ids, status, note, versions, message", [
    ([], "approved", None, None, "chưa chọn"),
    (list(range(1, mappings.MAX_BULK + 2)), "approved", None, None, "tối đa 500"),
    ([1], "rejected", "  ", None, "lý do"),
    ([1], "suggested", None, None, "approved"),
    ([1], "approved", None, {2: 1}, "không có trong ids"),
])
def test_a_bad_batch_is_refused_whole(kbase, ids, status, note, versions, message):
    w = build_queue(kbase, n=1)
    with kbase.session() as s, pytest.raises(BadInput, match=message):
        mappings.bulk_decide(s, ids or [], status, "cur1", note=note, versions=versions)
    with kbase.session() as s:
        assert s.get(Mapping, w.ids[0]).status == MappingStatus.suggested


def test_notices_name_what_changed(kbase):
    w = build_queue(kbase, n=2)
    with kbase.session() as s:
        one = mappings.bulk_decide(s, [w.banh], "approved", "cur1")[0]
        two = mappings.bulk_decide(s, w.ids, "rejected", "cur1", note="không áp dụng")
        said = mappings.describe_decisions(mappings.decided_events(s, one.event_id, one.event_id, "cur1"))
        assert said == "Đã duyệt ánh xạ Bánh phu thê Đình Bảng → QCVN 8-2:2011/BYT."
        both = mappings.describe_decisions(mappings.decided_events(s, one.event_id, two[-1].event_id, "cur1"))
        assert both == "Đã duyệt ánh xạ Bánh phu thê Đình Bảng → QCVN 8-2:2011/BYT; đã từ chối 2 ánh xạ của TCVN 4884-1:2015."
