"""The mandatory-regulation review (kb.reviews) and the section state it feeds (kb.read.mandatory), on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import col, select

from kb import mappings, reviews
from kb.errors import BadInput
from kb.models import AuditEvent, GroupKind, GroupMapping, MappingType, Product, ProductGroup, ProductGroupMember
from kb.read import products
from kb.read.mandatory import mandatory_section
from kb.versioning import StaleEdit, revert_event
from tests.support.records import make_mapping, make_product, make_standard

DAY = date(2026, 12, 5)


def section(session, product_id: int) -> dict:
    return products.product_detail(session, product_id)["mandatory"]


def test_three_states_and_the_audit_trail(any_kbase):
    with any_kbase.session() as s:
        p = make_product(s, "Chổi chít Đông Tiến")
        pid = p.id
        assert section(s, pid) == {"state": "unreviewed", "regulations": [], "reviewed_at": None, "reviewed_by": None,
                                   "note": None,
                                   "label": "Chưa rà soát: chưa xác định có quy chuẩn bắt buộc nào áp dụng hay không."}
        version = p.version
        assert reviews.record_mandatory_review(s, p, "curator1", "  Hàng thu\u0309 công,   không thuộc danh mục  ",
                                               version, today=DAY)
    with any_kbase.session() as s:
        m = section(s, pid)
        assert m["state"] == "none" and m["regulations"] == []
        assert m["label"] == "Không có quy chuẩn bắt buộc (đã rà soát ngày 05/12/2026, bởi curator1)."
        assert (m["reviewed_at"], m["reviewed_by"]) == ("2026-12-05", "curator1")
        assert m["note"] == "Hàng thủ công, không thuộc danh mục"  # NFC, spaces collapsed
        event = s.exec(select(AuditEvent).where(AuditEvent.entity == "product", AuditEvent.entity_id == pid,
                                                AuditEvent.action == "review")).one()
        assert event.actor == "curator1"
        assert event.before == {"mandatory_reviewed_at": None, "mandatory_reviewed_by": None, "mandatory_review_note": None}
        assert event.after["mandatory_reviewed_at"] == "2026-12-05"
        assert s.get(Product, pid).version == version + 1

        # The same review again writes nothing; clearing it brings "chưa rà soát" back, audited too.
        p = s.get(Product, pid)
        assert not reviews.record_mandatory_review(s, p, "curator1", m["note"], today=DAY)
        assert reviews.clear_mandatory_review(s, p, "curator2", p.version)
        assert not reviews.clear_mandatory_review(s, p, "curator2")
        assert section(s, pid)["state"] == "unreviewed"
        cleared = s.exec(select(AuditEvent).where(AuditEvent.entity_id == pid, AuditEvent.entity == "product")
                         .order_by(col(AuditEvent.id).desc())).first()
        assert cleared.actor == "curator2" and cleared.after == {"mandatory_reviewed_at": None,
                                                                 "mandatory_reviewed_by": None,
                                                                 "mandatory_review_note": None}
        # ... and the clearing is an ordinary logged change: it can be undone.
        revert_event(s, cleared.id, "admin")
        assert section(s, pid)["state"] == "none"


def test_blank_note_is_none(kbase):
    with kbase.session() as s:
        p = make_product(s, "Tranh Đông Hồ")
        reviews.record_mandatory_review(s, p, "curator1", "Tranh dân gian", today=DAY)
        reviews.record_mandatory_review(s, p, "curator1", "   ", today=DAY)
        assert p.mandatory_review_note is None


def test_refused_while_a_mandatory_mapping_applies(any_kbase):
    with any_kbase.session() as s:
        p = make_product(s, "Bánh phu thê Đình Bảng")
        reg = make_standard(s, "QCVN 8-1:2011/BYT", title_vi="Độc tố vi nấm trong thực phẩm")
        make_mapping(s, p, reg, "mandatory")
        version = p.version
        with pytest.raises(BadInput) as exc:
            reviews.record_mandatory_review(s, p, "curator1", None, version)
        assert exc.value.status == 400
        assert "QCVN 8-1:2011/BYT" in exc.value.message and "không có quy chuẩn bắt buộc" in exc.value.message
        assert p.version == version and p.mandatory_reviewed_at is None
        assert not s.exec(select(AuditEvent).where(AuditEvent.action == "review")).all()


def test_hygiene_counts_only_with_a_mandatory_standard_and_suggestions_never(kbase):
    with kbase.session() as s:
        p = make_product(s, "Rượu làng Vân")
        tcvn = make_standard(s, "TCVN 5603:2008", title_vi="Vệ sinh thực phẩm")
        qcvn = make_standard(s, "QCVN 6-3:2010/BYT", title_vi="Đồ uống có cồn")
        method = make_standard(s, "QCVN 4:2009/BKHCN", title_vi="Quy chuẩn dùng làm phương pháp")
        make_mapping(s, p, tcvn, "hygiene")  # a voluntary code of practice
        make_mapping(s, p, method, "test_method")  # a regulation used only as a test method
        make_mapping(s, p, qcvn, "mandatory", status="suggested")  # not approved yet
        assert reviews.mandatory_codes(s, p) == []
        assert reviews.record_mandatory_review(s, p, "curator1", today=DAY)
        assert section(s, p.id)["state"] == "none"
        make_mapping(s, p, qcvn, "hygiene")  # a hygiene mapping to a QCVN is a mandatory requirement
        assert reviews.mandatory_codes(s, p) == ["QCVN 6-3:2010/BYT"]
        with pytest.raises(BadInput):
            reviews.record_mandatory_review(s, p, "curator1", today=DAY)


def test_a_mapping_approved_later_wins_and_one_rejected_later_leaves_the_review(any_kbase):
    with any_kbase.session() as s:
        p = make_product(s, "Gốm Phù Lãng")
        reviews.record_mandatory_review(s, p, "curator1", "Gốm mỹ nghệ", today=DAY)
        reg = make_standard(s, "QCVN 16:2023/BXD", title_vi="Sản phẩm, hàng hóa vật liệu xây dựng")
        m = make_mapping(s, p, reg, "mandatory")
        shown = section(s, p.id)
        assert shown["state"] == "regulations"
        assert shown["label"] == "Phải đáp ứng 1 quy chuẩn, tiêu chuẩn bắt buộc."
        assert [(r["code"], r["url"], r["mapping_type"]) for r in shown["regulations"]] == [
            ("QCVN 16:2023/BXD", "/standards/QCVN%2016:2023/BXD", "mandatory")]
        # The review on record is irrelevant while the regulation applies: not shown, not in the JSON.
        assert (shown["reviewed_at"], shown["reviewed_by"], shown["note"]) == (None, None, None)
        assert p.mandatory_reviewed_at == DAY  # ... but kept
        mappings.decide_mapping(s, m.id, "rejected", "curator2", note="Gốm mỹ nghệ không phải vật liệu xây dựng")
        shown = section(s, p.id)
        assert shown["state"] == "none" and shown["note"] == "Gốm mỹ nghệ" and shown["reviewed_by"] == "curator1"


def test_stale_version_and_bad_input(kbase):
    with kbase.session() as s:
        p = make_product(s, "Mỳ Chũ")
        old = p.version
        reviews.record_mandatory_review(s, p, "curator1", today=DAY)
        with pytest.raises(StaleEdit):
            reviews.clear_mandatory_review(s, p, "curator2", old)
        with pytest.raises(BadInput, match="dài quá"):
            reviews.record_mandatory_review(s, p, "curator1", "x" * (reviews.NOTE_MAX + 1))
        with pytest.raises(BadInput, match="thiếu người rà soát"):
            reviews.record_mandatory_review(s, p, "  ")
        assert p.mandatory_reviewed_by == "curator1"


def _group(s, slug: str, name: str, parent: ProductGroup | None = None) -> ProductGroup:
    g = ProductGroup(slug=slug, name=name, kind=GroupKind.ocop, parent_id=parent.id if parent else None)
    s.add(g)
    s.flush()
    return g


def test_groups_inherit_and_a_group_has_the_same_review(any_kbase):
    with any_kbase.session() as s:
        food = _group(s, "thuc-pham", "Thực phẩm")
        drinks = _group(s, "do-uong", "Đồ uống", parent=food)
        p = make_product(s, "Rượu làng Vân")
        s.add(ProductGroupMember(group_id=drinks.id, product_id=p.id))
        excluded_from = _group(s, "ruou-bia", "Rượu, bia")
        s.add(ProductGroupMember(group_id=excluded_from.id, product_id=p.id, excluded=True, source="auto"))
        wine = make_standard(s, "QCVN 6-3:2010/BYT", title_vi="Đồ uống có cồn")
        s.add(GroupMapping(group_id=excluded_from.id, standard_id=wine.id, type=MappingType.mandatory))
        s.flush()
        # An excluded member does not inherit; the group itself can be reviewed like a product.
        assert reviews.mandatory_codes(s, p) == []
        assert reviews.record_mandatory_review(s, drinks, "curator1", "Nhóm rộng", drinks.version, today=DAY)
        event = s.exec(select(AuditEvent).where(AuditEvent.entity == "product_group")).one()
        assert event.entity_id == drinks.id and event.action == "review"
        shown = mandatory_section([], drinks)
        assert shown["state"] == "none" and shown["reviewed_by"] == "curator1" and shown["note"] == "Nhóm rộng"

        # A mapping on the parent group reaches the subgroup and its members.
        safety = make_standard(s, "QCVN 8-1:2011/BYT", title_vi="Độc tố vi nấm trong thực phẩm")
        s.add(GroupMapping(group_id=food.id, standard_id=safety.id, type=MappingType.mandatory))
        s.flush()
        assert reviews.mandatory_codes(s, drinks) == ["QCVN 8-1:2011/BYT"]
        assert reviews.mandatory_codes(s, p) == ["QCVN 8-1:2011/BYT"]
        with pytest.raises(BadInput, match="nhóm Đồ uống"):
            reviews.record_mandatory_review(s, drinks, "curator1", today=DAY)
        with pytest.raises(BadInput, match="sản phẩm Rượu làng Vân"):
            reviews.record_mandatory_review(s, p, "curator1", today=DAY)


def test_section_takes_a_group_page_standards_and_no_review():
    standards = [
        {"code": "QCVN 8-1:2011/BYT", "title": "Độc tố vi nấm", "url": "/standards/x", "status": "in_force",
         "mapping_type": "hygiene", "mandatory": True},
        {"code": "TCVN 5603:2008", "title": "Vệ sinh", "url": "/standards/y", "status": "in_force",
         "mapping_type": "hygiene", "mandatory": False},
        {"code": "TCVN 7087:2013", "title": "Ghi nhãn", "url": "/standards/z", "status": "in_force",
         "mapping_type": "labelling", "mandatory": False},
    ]
    shown = mandatory_section(standards, None)
    assert shown["state"] == "regulations" and [r["code"] for r in shown["regulations"]] == ["QCVN 8-1:2011/BYT"]
    assert mandatory_section(standards[1:], None)["state"] == "unreviewed"
    reviewed = ProductGroup(slug="g", name="G", mandatory_reviewed_at=DAY, mandatory_reviewed_by=None)
    assert mandatory_section(standards[1:], reviewed)["label"] == \
        "Không có quy chuẩn bắt buộc (đã rà soát ngày 05/12/2026)."
