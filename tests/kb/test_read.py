"""Read models (kb.read): the data every page and its /api twin show."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kb.errors import BadInput, NotFound
from kb.fingerprint import PAGES, fingerprint
from kb.read import browse, coverage, export, labs, products, standards
from tests.support.records import build_world, make_product, make_standard


@pytest.fixture
def w(kbase):
    return build_world(kbase)


def test_validity_states():
    today = date(2026, 1, 1)
    assert labs.validity(None, today)["state"] == "unknown"
    assert labs.validity(today - timedelta(days=1), today)["state"] == "lapsed"
    assert labs.validity(today, today)["state"] == "expiring"
    assert labs.validity(today + timedelta(days=90), today)["state"] == "expiring"
    assert labs.validity(today + timedelta(days=91), today)["state"] == "valid"
    assert labs.validity(today + timedelta(days=10), today)["days_left"] == 10


def test_product_detail_shows_only_approved_mappings_in_order(kbase, w):
    with kbase.session() as s:
        p = products.product_detail(s, w.product_id)
    codes = [x["code"] for x in p["standards"]]
    assert w.suggested not in codes  # suggestions are for curators
    assert [g["type"] for g in p["groups"]] == ["mandatory", "test_method", "labelling"]
    reg = p["standards"][0]
    assert reg["code"] == w.regulation and reg["mandatory"] is True and reg["mapping_type"] == "mandatory"
    assert reg["legal_basis"] == "Thông tư 02/2011/TT-BYT"


def test_product_labs_follow_method_series_and_flag_validity(kbase, w):
    with kbase.session() as s:
        p = products.product_detail(s, w.product_id)
    by_code = {x["code"]: x for x in p["standards"]}
    old = by_code[w.old_method]
    assert [r["code"] for r in old["replaced_by"]] == [w.method]
    # the scope rows cite both editions of TCVN 7596: the whole series counts, lapsed labs last
    assert [lab["id"] for lab in old["labs"]] == [w.lab_id, w.lapsed_lab_id]
    assert old["labs"][1]["validity"]["state"] == "lapsed"
    labelling = by_code[w.voluntary]
    assert labelling["labs"][0]["validity"]["state"] == "expiring"
    crit = {c["name"]: c for c in by_code[w.regulation]["criteria"]}
    assert {lab["id"] for lab in crit["Aflatoxin B1"]["labs"]} == {w.lab_id, w.lapsed_lab_id}
    assert crit["Ochratoxin A"]["labs"] == [] and crit["Ochratoxin A"]["method_ref"]["in_kb"] is False


def test_next_steps_hop_quy_for_regulations(kbase, w):
    with kbase.session() as s:
        p = products.product_detail(s, w.product_id)
    kinds = [x["kind"] for x in p["next_steps"]]
    assert kinds == ["hop_quy"]
    assert p["next_steps"][0]["legal_basis"] == [{"code": "02/2011/TT-BYT", "text": "Thông tư 02/2011/TT-BYT"}]


def test_standard_detail_relations_both_ways(kbase, w):
    with kbase.session() as s:
        reg = standards.standard_detail(s, "qcvn 8-1:2011/byt")
        method = standards.standard_detail(s, w.method)
        old = standards.standard_detail(s, w.old_method)
    assert reg["code"] == w.regulation
    refs = {r["code"]: r for r in reg["references"]}
    assert refs[w.method]["in_kb"] is True and refs[w.method]["qualifier"] == "dated"
    assert refs["ISO 16050"]["in_kb"] is False and refs["ISO 16050"]["url"] is None
    assert [r["code"] for r in method["cited_by"]] == [w.regulation]
    assert [r["code"] for r in method["replaces"]] == [w.old_method]
    assert [r["code"] for r in old["replaced_by"]] == [w.method]
    assert [r["code"] for r in old["editions"]] == [w.method]
    assert [p["id"] for p in reg["products"]] == [w.product_id]
    assert reg["fields"][0]["provenance"] == {"page": 1, "method": "cover", "verified": False}


def test_standard_found_without_issuer_and_unknown_raises(kbase, w):
    with kbase.session() as s:
        assert standards.standard_detail(s, "qcvn 8 1 2011")["code"] == w.regulation
        with pytest.raises(NotFound):
            standards.standard_detail(s, "TCVN 99999:2020")
        with pytest.raises(NotFound):
            standards.standard_detail(s, "không phải mã")


@pytest.mark.parametrize("q,expected", [
    ("tcvn7596:2007", "TCVN 7596:2007"),
    ("TCVN 7596", "TCVN 7596:2007"),  # two editions, one in force
    ("qcvn 8 1 2011", "QCVN 8-1:2011/BYT"),
    ("QCVN 8-1", "QCVN 8-1:2011/BYT"),
    ("7087", "TCVN 7087:2013"),
    ("tcvn 7596 aflatoxin", None),  # words beside the code: a search, not a jump
    ("bánh phu thê", None),
    ("TCVN 1:2000", None),
])
def test_resolve_code_query(kbase, w, q, expected):
    with kbase.session() as s:
        std = standards.resolve_code_query(s, q)
        assert (std.code if std else None) == expected


def test_resolve_code_query_ambiguous_editions(kbase):
    with kbase.session() as s:
        make_standard(s, "TCVN 4000:2001", status="unknown")
        make_standard(s, "TCVN 4000:2010", status="unknown")
        assert standards.resolve_code_query(s, "TCVN 4000") is None
        assert standards.resolve_code_query(s, "TCVN 4000:2010").code == "TCVN 4000:2010"


def test_lab_detail_groups_and_flags_superseded_methods(kbase, w):
    with kbase.session() as s:
        lab = labs.lab_detail(s, w.lab_id)
        filtered = labs.lab_detail(s, w.lab_id, q="thuc an")
    assert [g["material"] for g in lab["groups"]] == ["Thực phẩm, ngũ cốc", "Thức ăn chăn nuôi"]
    old_row = lab["groups"][1]["rows"][0]
    assert old_row["superseded"] is True
    assert old_row["methods"][0]["replaced_by"] == [w.method]
    assert lab["superseded_count"] == 1
    assert [r["test"] for r in filtered["scope"]] == ["Aflatoxin tổng"] and filtered["scope_total"] == 2


def test_browse_products_facets_count_other_filters(kbase, w):
    with kbase.session() as s:
        make_product(s, "Gốm Phù Lãng", kind="key", ocop_stars=None, ocop_group=None, district="Quế Võ")
        all_ = browse.browse_products(s)
        ocop3 = browse.browse_products(s, kind="ocop", stars=3)
        with pytest.raises(BadInput):
            browse.browse_products(s, kind="nope")
    assert all_["total"] == 3
    assert {f["value"]: f["count"] for f in all_["facets"]["kind"]} == {"ocop": 2, "key": 1}
    assert [p["name"] for p in ocop3["items"]] == ["Gạo nếp cái hoa vàng"]
    # the stars facet ignores the stars filter itself, so both values stay clickable
    assert {f["value"] for f in ocop3["facets"]["stars"]} == {3, 4}


def test_browse_standards_filters(kbase, w):
    with kbase.session() as s:
        replaced = browse.browse_standards(s, status="replaced")
        qcvn = browse.browse_standards(s, doc_type="QCVN")
        with pytest.raises(BadInput):
            browse.browse_standards(s, status="bogus")
    assert [x["code"] for x in replaced["items"]] == [w.old_method]
    assert [x["code"] for x in qcvn["items"]] == [w.regulation]


def test_coverage_finds_the_gaps(kbase, w):
    with kbase.session() as s:
        c = coverage.coverage(s)
    assert [p["id"] for p in c["products_without_mappings"]] == [w.unmapped_product_id]
    assert [(x["standard"], x["criterion"]) for x in c["criteria_untestable"]] == [(w.regulation, "Ochratoxin A")]
    assert [lab["id"] for lab in c["labs_lapsed"]] == [w.lapsed_lab_id]
    assert [lab["id"] for lab in c["labs_expiring"]] == [w.expiring_lab_id]
    assert [(m["standard"], m["replaced_by"]) for m in c["mappings_on_replaced"]] == [(w.old_method, [w.method])]
    assert c["counts"]["products"] == 2 and c["counts"]["products_mapped"] == 1


def test_approved_mappings_export_rows(kbase, w):
    with kbase.session() as s:
        rows = export.approved_mappings(s)
    assert {r["standard"] for r in rows} == {w.regulation, w.voluntary, w.old_method}
    assert set(rows[0]) == set(export.EXPORT_COLUMNS)


def test_labs_reached_through_the_methods_a_regulation_cites(kbase, w):
    with kbase.session() as s:
        p = products.product_detail(s, w.product_id)
    reg = next(x for x in p["standards"] if x["code"] == w.regulation)
    assert reg["labs"] == []  # no lab lists the regulation itself
    assert [(m["code"], [lab["id"] for lab in m["labs"]]) for m in reg["method_labs"]] == [
        (w.method, [w.lab_id, w.lapsed_lab_id])]


def test_food_safety_regulations_lead_to_self_declaration(kbase):
    from tests.support.procedures import load_procedures
    from tests.support.records import make_mapping

    load_procedures(kbase)  # the food-safety route is known by the documents its procedure cites
    with kbase.session() as s:
        p = make_product(s, "Chả gà")
        std = make_standard(s, "QCVN 8-3:2012/BYT", title_vi="Ô nhiễm vi sinh vật trong thực phẩm")
        make_mapping(s, p, std, "hygiene", legal_basis="Luật An toàn thực phẩm số 55/2010/QH12; Nghị định 15/2018/NĐ-CP")
        steps = products.product_detail(s, p.id)["next_steps"]
    assert [x["kind"] for x in steps] == ["tu_cong_bo"]
    assert [x["code"] for x in steps[0]["standards"]] == ["QCVN 8-3:2012/BYT"]


def test_read_models_on_sqlite_and_postgresql(any_kbase):
    w = build_world(any_kbase)
    with any_kbase.session() as s:
        p = products.product_detail(s, w.product_id)
        assert [x["code"] for x in p["standards"]][:1] == [w.regulation]
        assert standards.standard_detail(s, "qcvn 8 1 2011")["code"] == w.regulation
        assert labs.lab_detail(s, w.lab_id)["superseded_count"] == 1
        c = coverage.coverage(s)
        assert [lab["id"] for lab in c["labs_lapsed"]] == [w.lapsed_lab_id]
        assert browse.browse_standards(s, status="replaced")["total"] == 1
        assert len(export.approved_mappings(s)) == 3
        v = fingerprint(s, PAGES)
        make_product(s, "Sản phẩm mới")
        assert fingerprint(s, PAGES) != v
