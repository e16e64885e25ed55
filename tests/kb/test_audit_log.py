"""The audit log in sentences (kb/read/audit.py) and the revert checks (kb.versioning.revert_blocks), on
SQLite and PostgreSQL: names looked up per kind of record, deleted records, the before/after rows, filters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event as sa_event

from kb import audit, labs, legal, mappings, products, versioning
from kb.errors import BadInput, Conflict
from kb.models import AuditEvent, Lab, LabScopeCreate, Product, ProductUpdate, RiskItemDecision, utcnow
from kb.read import audit as audit_read
from tests.support.accounts import seed
from web.auth import LABELS_VI


def _last(s, **kw) -> AuditEvent:
    return audit.audit_events(s, limit=1, **kw)[0]


def _describe(s, events):
    """As the audit page does: the forms' field names first."""
    return audit_read.describe(s, events, LABELS_VI["fields"])


def _say(s, event: AuditEvent) -> str:
    return _describe(s, [event])[0].sentence


def test_sentences_name_the_records(any_kbase):
    w = seed(any_kbase)
    with any_kbase.session() as s:
        mappings.decide_mapping(s, w.mapping, "approved", "cur1")
        assert _say(s, _last(s, entity="mapping")) == (
            f"cur1 duyệt ánh xạ Bánh phu thê Đình Bảng → TCVN 3118:1993 (#{w.mapping})")
        products.update_product(s, w.product, ProductUpdate(category="Bánh truyền thống"), None, "cur1")
        assert _say(s, _last(s, entity="product")) == (
            "cur1 sửa sản phẩm Bánh phu thê Đình Bảng (đổi nhóm sản phẩm)")
        lab = s.get(Lab, w.lab_a)
        labs.update_scope(s, lab, w.row_a, LabScopeCreate(material="Bê tông", test="Cường độ nén",
                                                          method="TCVN 3118:2022"), None, "lab_a")
        assert _say(s, _last(s, entity="lab_scope")) == (
            "lab_a sửa phạm vi VILAS 1001: Cường độ nén (đổi mã phương pháp, phương pháp)")
        legal.upsert_document(s, legal.parse_document({"code": "36/2026/TT-BKHCN", "kind": "circular",
                                                       "title": "Thông tư thử"}), "cur1")
        assert _say(s, _last(s, entity="legal_document")) == "cur1 thêm văn bản 36/2026/TT-BKHCN"
        # an upload as web/routes/curate/upload.py logs it
        audit.record(s, actor="admin", action="import", entity="upload", entity_id=None,
                     after={"kind": "products", "file": "products.csv", "created": 120, "updated": 0,
                            "unchanged": 0, "deleted": 0, "errors": []},
                     summary="Nhập products từ products.csv: 120 mới, 0 cập nhật, 0 lỗi")
        s.flush()
        assert _say(s, _last(s, entity="upload")) == "admin nhập 120 sản phẩm từ products.csv"
        # a re-run of an interrupted ingest, as kb.documents logs it
        audit.record(s, actor="cur1", action="rerun", entity="ingest_run", entity_id=7, after={"run": 8, "files": ["a.pdf"]},
                     summary="Chạy lại lượt nạp #7 ở lượt #8: 1 tệp chưa xong")
        s.flush()
        assert _say(s, _last(s, entity="ingest_run")) == "cur1 chạy lại lượt nạp tài liệu #7"


def test_old_rows_with_only_ids_get_names_and_deleted_ones_say_so(any_kbase):
    w = seed(any_kbase)
    with any_kbase.session() as s:
        gone = Product(name="Tạm")
        s.add(gone)
        s.flush()
        decision = RiskItemDecision(product_id=w.product, document_key="01/2024/TT-BKHCN", item="3", hs_code="1905",
                                    applies=True)
        s.add(decision)
        s.flush()
        old = [audit.record(s, actor="cur1", action="approve", entity="mapping", entity_id=w.mapping,
                            before={"status": "suggested"}, after={"status": "approved"},
                            summary=f"Duyệt ánh xạ #{w.mapping}"),
               audit.record(s, actor="cur1", action="update", entity="product", entity_id=gone.id,
                            before={"name": "Tạm"}, after={"name": "Tạm 2"}),
               audit.record(s, actor="cur1", action="approve", entity="risk_item_decision", entity_id=decision.id),
               audit.record(s, actor="cur1", action="update", entity="product", entity_id=10**6)]
        s.flush()
        s.delete(gone)
        s.flush()
        said = [line.sentence for line in _describe(s, old)]
    assert said == ["cur1 duyệt ánh xạ Bánh phu thê Đình Bảng → TCVN 3118:1993",
                    "cur1 sửa sản phẩm Tạm (đổi tên)",  # gone: named from the event's own snapshot
                    "cur1 duyệt xác nhận mục danh mục rủi ro 01/2024/TT-BKHCN, mục 3 cho Bánh phu thê Đình Bảng",
                    "cur1 sửa sản phẩm #1000000 (đã xóa)"]


def test_names_are_looked_up_once_per_kind_of_record(any_kbase):
    w = seed(any_kbase)
    with any_kbase.session() as s:
        for i in range(30):
            for entity, rid in (("mapping", w.mapping), ("product", w.product), ("lab", w.lab_a)):
                audit.record(s, actor="c", action="update", entity=entity, entity_id=rid, summary=f"#{i}")
        s.flush()
        events = audit.audit_events(s, limit=90)
        statements: list[str] = []
        listen = lambda *args: statements.append(args[2])  # noqa: E731
        sa_event.listen(any_kbase.engine, "before_cursor_execute", listen)
        try:
            lines = audit_read.describe(s, events)
        finally:
            sa_event.remove(any_kbase.engine, "before_cursor_execute", listen)
    assert len(lines) == 90
    assert len(statements) == 3  # mapping, product, lab: not one per event
    assert {line.sentence for line in lines} >= {"c sửa phòng thí nghiệm VILAS 1001"}


def test_before_after_rows_are_labelled_and_readable(any_kbase):
    w = seed(any_kbase)
    with any_kbase.session() as s:
        products.update_product(s, w.product, ProductUpdate(aliases=["bánh xu xê", "bánh phu thê"], ocop_stars=4),
                                None, "cur1")
        line = _describe(s, [_last(s, entity="product")])[0]
        m = s.get(Product, w.product)
        assert m is not None
    rows = {c.label: c for c in line.changes}
    assert rows["Tên gọi khác"].before == ["—"] and rows["Tên gọi khác"].after == ["bánh xu xê", "bánh phu thê"]
    assert rows["Số sao OCOP"].after == ["4"] and rows["Số sao OCOP"].changed
    assert all(c.label != "Trường khác" for c in line.changes)
    with any_kbase.session() as s:  # a creation: every field, ids named, codes in words
        line = _describe(s, [audit.audit_events(s, entity="mapping", action="create", limit=1)[0]])[0]
    rows = {c.label: c for c in line.changes}
    assert rows["Sản phẩm"].after == ["Bánh phu thê Đình Bảng"]
    assert rows["Tiêu chuẩn"].after == ["TCVN 3118:1993"]
    assert rows["Loại"].after == ["Phương pháp thử"] and rows["Trạng thái"].after == ["Đề xuất"]
    assert rows["Lý do gợi ý"].after == ["tên khớp"]


def test_every_column_of_every_logged_record_has_a_vietnamese_label():
    from sqlalchemy import inspect as sa_inspect

    labels = {**audit_read.FIELD_LABELS, **LABELS_VI["fields"]}
    missing = {(entity, c) for entity, model in audit.ENTITIES.items() for c in sa_inspect(model).columns.keys()
               if c not in labels and c not in {"id", "version", "created_at", "updated_at"}}
    assert not missing
    assert set(audit_read.ENTITY_LABELS) >= set(audit.ENTITIES)


def test_revert_only_where_it_still_can(any_kbase):
    w = seed(any_kbase)
    with any_kbase.session() as s:
        products.update_product(s, w.product, ProductUpdate(category="Một"), None, "a")
        first = _last(s, entity="product").id
        products.update_product(s, w.product, ProductUpdate(category="Hai"), None, "a")
        second = _last(s, entity="product").id
    with any_kbase.session() as s:
        blocks = versioning.revert_blocks(s, [s.get(AuditEvent, first), s.get(AuditEvent, second)])
        assert blocks[first] == f"bản ghi đã được sửa sau đó (sự kiện #{second}); hoàn tác thay đổi mới nhất trước"
        assert blocks[second] is None
        versioning.revert_event(s, second, "b")
    with any_kbase.session() as s:
        revert = _last(s)
        assert revert.action == "revert" and s.get(Product, w.product).category == "Một"
        assert not versioning.revertable(s, s.get(AuditEvent, second))
        assert versioning.revert_blocks(s, [s.get(AuditEvent, second)])[second] == (
            f"đã được hoàn tác ở sự kiện #{revert.id}")
        assert not versioning.revertable(s, revert)
    with pytest.raises(Conflict, match="đã được hoàn tác"), any_kbase.session() as s:
        versioning.revert_event(s, second, "b")
    with pytest.raises(BadInput, match="lần hoàn tác"), any_kbase.session() as s:
        versioning.revert_event(s, revert.id, "b")


def test_filters_by_action_family_dates_and_text(any_kbase):
    w = seed(any_kbase)
    with any_kbase.session() as s:
        audit.record(s, actor="x", action="approve", entity="proposal", entity_id=1, summary="Nhận đề xuất 100%_ok")
        mappings.decide_mapping(s, w.mapping, "approved", "x")
        s.flush()
        got = audit.audit_events(s, actor="x", action=audit_read.same_action("approve"))
        assert {e.action for e in got} == {"approve", "approved"}
        assert [e.entity for e in audit.audit_events(s, text="100%_OK")] == ["proposal"]
        assert audit.audit_events(s, text="100%x") == []  # % is a letter here, not a wildcard
        # "đình bảng" finds "Đình Bảng" although SQLite's lower() leaves "Đ" alone
        assert {e.entity for e in audit.audit_events(s, text="phu thê đình bảng")} == {"mapping", "product"}
        assert {e.entity for e in audit.audit_events(s, text="ĐÌNH BẢNG")} == {"mapping", "product"}
        today = utcnow().date()
        assert len(audit.audit_events(s, actor="x", since=today, until=today)) == 2
        assert audit.audit_events(s, actor="x", until=today - timedelta(days=1)) == []
        assert audit.audit_events(s, actor="x", since=today + timedelta(days=1)) == []


def test_a_revert_of_an_unsummarised_change_is_named_in_words(any_kbase):
    w = seed(any_kbase)
    with any_kbase.session() as s:
        versioning.update_versioned(s, s.get(Product, w.product), {"category": "X"}, None, actor="a",
                                    entity="product", summary="")
        event = _last(s)
        versioning.revert_event(s, event.id, "b")
        revert = _last(s)
        assert revert.summary == f"Hoàn tác sự kiện #{event.id}: Sửa sản phẩm #{w.product}"
        assert _say(s, revert) == f"b hoàn tác sự kiện #{event.id} (sửa sản phẩm #{w.product})"
