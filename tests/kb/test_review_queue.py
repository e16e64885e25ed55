"""The document review queue as a service (kb.review_queue), on SQLite and PostgreSQL: each filter, the
counts and paging, and the bulk confirmation of sure fields (audited per standard, stale ones left whole)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from kb import review_queue as rq
from kb import standards
from kb.errors import BadInput
from kb.models import AuditEvent, Standard
from tests.support.review_queue import build_review_queue

MAT_ONG, QCVN, TCCS = "TCVN 5001:2020", "QCVN 2:2021/BYT", "TCCS 3:2024/ABC"


@pytest.fixture
def store(any_kbase):
    return any_kbase


@pytest.fixture
def world(store):
    return build_review_queue(store)


def codes(store, **filters) -> list[str]:
    with store.session() as s:
        rows, _, _ = rq.queue_page(s, rq.parse_filter(**filters))
        return sorted(r.code for r in rows)


def test_the_queue_holds_ingested_standards_with_pending_fields_only(store, world):
    with store.session() as s:
        rows, matched, total = rq.queue_page(s, rq.parse_filter())
    assert sorted(r.code for r in rows) == sorted([MAT_ONG, QCVN, TCCS]) and matched == total == 3
    by = {r.code: r for r in rows}
    assert by[MAT_ONG].file_name == "mat-ong.pdf"
    # a field is as sure as the least sure key confirmed with it: the title's follower is 0.80
    assert by[MAT_ONG].pending == ["code", "title_vi", "scope"]
    assert [by[MAT_ONG].level(f) for f in by[MAT_ONG].pending] == ["sure", "fair", "check"]
    assert by[MAT_ONG].sure == ["code"] and by[MAT_ONG].least == "check"
    assert by[QCVN].sure == ["code", "title_vi", "edition"] and by[QCVN].least == "sure"
    assert by[TCCS].pending == ["edition", "scope"] and by[TCCS].sure == [] and by[TCCS].least == "check"


def test_each_filter(store, world):
    assert codes(store, text="mat ong") == [MAT_ONG]  # accent-insensitive title
    assert codes(store, text="ĐẬU") == [QCVN, TCCS]
    assert codes(store, text="qcvn 2:2021") == [QCVN]
    assert codes(store, text="tcvn5001") == [MAT_ONG]  # typed without the space
    assert codes(store, doc_type="TCCS") == [TCCS]
    assert codes(store, source="dau") == [QCVN, TCCS]  # file names, folded
    assert codes(store, source=f"#{world.runs[1]}") == [TCCS]  # an ingest run
    assert codes(store, source=str(world.runs[0])) == [QCVN, MAT_ONG]
    assert codes(store, level="sure") == [QCVN]
    assert codes(store, level="check") == [TCCS, MAT_ONG]
    assert codes(store, level="fair") == []
    assert codes(store, pending="title_vi") == [QCVN, MAT_ONG]
    assert codes(store, pending="scope", doc_type="TCVN") == [MAT_ONG]
    with store.session() as s:
        _, matched, total = rq.queue_page(s, rq.parse_filter(doc_type="TCCS"))
    assert (matched, total) == (1, 3)


def test_bad_choices_are_refused_in_vietnamese():
    with pytest.raises(BadInput, match="mức độ tin cậy"):
        rq.parse_filter(level="high")
    with pytest.raises(BadInput, match="trường"):
        rq.parse_filter(pending="provenance")


def test_paging_covers_every_document_once(store, world):
    with store.session() as s:
        f = rq.parse_filter()
        pages = [rq.queue_page(s, f, limit=2, offset=o)[0] for o in (0, 2, 4)]
    assert [len(p) for p in pages] == [2, 1, 0]
    assert sorted(r.code for p in pages for r in p) == sorted([MAT_ONG, QCVN, TCCS])


def test_bulk_confirms_only_sure_fields_with_an_audit_event_each(store, world):
    with store.session() as s:
        rows = rq.rows_by_ids(s, world.ids.values())
        versions = {r.id: r.version for r in rows}
        first_event = s.exec(select(AuditEvent.id).order_by(AuditEvent.id.desc())).first()
    with store.session() as s:
        out = {o.code: o for o in rq.confirm_sure(s, versions, "cur1")}
    assert out[MAT_ONG].result == "ok" and out[MAT_ONG].fields == ("code",)
    assert out[QCVN].result == "ok" and out[QCVN].fields == ("code", "title_vi", "edition")
    assert out[TCCS].result == "nothing" and out[TCCS].event_id is None
    with store.session() as s:
        mat = s.get(Standard, world.ids[MAT_ONG])
        assert mat.provenance["code"]["verified"] and mat.provenance["doc_type"]["verified"]
        assert mat.provenance["code"]["by"] == "cur1"
        assert standards.unconfirmed_fields(mat) == ["title_vi", "scope"]
        assert standards.unconfirmed_fields(s.get(Standard, world.ids[QCVN])) == []
        events = s.exec(select(AuditEvent).where(AuditEvent.id > first_event, AuditEvent.actor == "cur1")).all()
        assert sorted(e.entity_id for e in events) == sorted([world.ids[MAT_ONG], world.ids[QCVN]])
        done = rq.confirmed_in(s, min(e.id for e in events), max(e.id for e in events), "cur1")
        assert sorted(done) == sorted([(MAT_ONG, ["code"]), (QCVN, ["code", "title_vi", "edition"])])
        assert rq.describe_confirmed(done).startswith("Đã xác nhận 4 trường chắc chắn của 2 tài liệu: ")
        assert rq.confirmed_in(s, min(e.id for e in events), max(e.id for e in events), "someone-else") == []
        # the fully confirmed one left the queue
        assert sorted(r.code for r in rq.queue_page(s, rq.parse_filter())[0]) == sorted([MAT_ONG, TCCS])


def test_a_stale_document_is_a_conflict_and_left_whole_while_the_others_apply(store, world):
    with store.session() as s:
        versions = {r.id: r.version for r in rq.rows_by_ids(s, [world.ids[MAT_ONG], world.ids[QCVN]])}
    with store.session() as s:  # another curator confirms the title of the QCVN meanwhile
        std = s.get(Standard, world.ids[QCVN])
        standards.review_standard(s, std.id, standards.parse_corrections({}), std.version, "cur2", ["title_vi"])
    with store.session() as s:
        out = {o.code: o for o in rq.confirm_sure(s, versions, "cur1")}
    assert out[QCVN].result == "conflict" and out[MAT_ONG].result == "ok"
    with store.session() as s:
        qcvn = s.get(Standard, world.ids[QCVN])
        assert not qcvn.provenance["code"].get("verified") and qcvn.provenance["title_vi"]["by"] == "cur2"
        assert s.get(Standard, world.ids[MAT_ONG]).provenance["code"]["by"] == "cur1"


def test_bulk_limits(store, world):
    with store.session() as s, pytest.raises(BadInput, match="chưa chọn"):
        rq.confirm_sure(s, {}, "cur1")
    with store.session() as s, pytest.raises(BadInput, match="tối đa"):
        rq.confirm_sure(s, {i: 1 for i in range(1, rq.MAX_BULK + 2)}, "cur1")
    with store.session() as s:
        assert [o.result for o in rq.confirm_sure(s, {999_999: 1}, "cur1")] == ["not_found"]


def test_proposals_filter_by_text_and_confidence(store, world):
    from kb import proposals
    with store.session() as s:
        for target, conf in (("TCVN 7001:2020", 0.9), ("TCVN 7002:2020", 0.7), ("QCVN 9:2020/BYT", None)):
            proposals.propose(s, document_id=None, entity="standard", entity_id=None, target=target,
                              values={"fields": {"title_vi": "Tên"}}, rows=None,
                              diff=[{"field": "title_vi", "current": None, "proposed": "Tên"}], confidence=conf,
                              reason="độ tin cậy thấp", actor="test")
    with store.session() as s:
        def targets(**f):
            shown, matched, total = rq.proposals_page(s, rq.parse_filter(**f))
            assert total == 3 and matched == len(shown)
            return [p.target for p in shown]
        assert targets() == ["TCVN 7002:2020", "TCVN 7001:2020", "QCVN 9:2020/BYT"]
        assert targets(text="tcvn 7001") == ["TCVN 7001:2020"]
        assert targets(level="sure") == ["TCVN 7001:2020"]
        assert targets(level="fair") == ["TCVN 7002:2020"]
        assert targets(level="check") == ["QCVN 9:2020/BYT"]
