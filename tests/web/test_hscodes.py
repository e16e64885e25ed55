"""The curator's HS codes on the product page: add, suggest from the nomenclature, approve, reject, remove;
who may; the public page and the API show the approved codes; `kb suggest-hs`."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from kb.models import AuditEvent, MappingStatus, ProductHsCode
from tests.kb.test_hscodes import load_lines
from tests.support.accounts import client_for, make_app, seed
from tests.support.records import html
from tests.web.test_cli import run_kb


@pytest.fixture
def world(kbase):
    return seed(kbase)  # product: "Bánh phu thê Đình Bảng"


@pytest.fixture
def app(kbase, world):
    return make_app(kbase)


def codes(kbase, pid) -> dict[str, str]:
    with kbase.session() as s:
        return {r.code: r.status.value for r in s.exec(select(ProductHsCode).where(ProductHsCode.product_id == pid))}


def section(client, pid):
    sec = html(client.get(f"/curate/products/{pid}")).css_first("section#hs-codes")
    assert sec is not None
    return sec


def test_curator_adds_suggests_approves_rejects_and_removes(app, kbase, world):
    pid = world.product
    c = client_for(app, "curator")
    assert section(c, pid).css_first("p").text() == "Chưa có mã HS."

    r = c.post(f"/curate/products/{pid}/hs-codes", data={"codes": "1905.90; 190590"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("?ok=hs-added"), r.text
    assert codes(kbase, pid) == {"190590": "approved"}

    # a bad code: the form comes back with the message and what was typed, nothing is written
    r = c.post(f"/curate/products/{pid}/hs-codes", data={"codes": "1905; bánh"})
    assert r.status_code == 400
    page = html(r)
    assert "không phải mã HS" in page.css_first(".error, [role=alert]").text()
    assert page.css_first("#hs-add").attributes["value"] == "1905; bánh"
    assert codes(kbase, pid) == {"190590": "approved"}

    # no nomenclature yet: the suggestion says what to import, it does not fail
    r = c.post(f"/curate/products/{pid}/hs-codes/suggest")
    assert r.status_code == 400 and "kb import hs-nomenclature" in r.text

    load_lines(kbase, [("1905", 0, "Bánh mì, bánh bột nhào, bánh ngọt, bánh quy và các loại bánh khác", "Bread, pastry, cakes"),
                       ("190590", 1, "- Loại khác:", "- Other:"),
                       ("19059090", 2, "- - Loại khác", "- - Other"),
                       ("1006", 0, "Lúa gạo", "Rice"),
                       ("10063099", 3, "- - - Gạo nếp", "- - - Glutinous rice")])
    r = c.post(f"/curate/products/{pid}/hs-codes/suggest", follow_redirects=False)
    assert r.status_code == 303, r.text
    rows = {tr.attributes["data-code"]: tr for tr in section(c, pid).css("tr[data-code]")}
    assert rows["19059090"].attributes["class"] == "hs-suggested"
    assert "trùng từ: bánh" in rows["19059090"].text()
    assert rows["190590"].css_first("td.code").text() == "1905.90"

    for code, action in (("19059090", "approve"), ("190590", "reject")):
        r = c.post(f"/curate/products/{pid}/hs-codes/decide", data={"code": code, "action": action},
                   follow_redirects=False)
        assert r.status_code == 303, r.text
    assert codes(kbase, pid)["19059090"] == "approved" and codes(kbase, pid)["190590"] == "rejected"

    public = html(client_for(app, None).get(f"/products/{pid}"))
    assert [s.text() for s in public.css(".hs-code")] == ["1905.90.90"]
    api = client_for(app, None).get(f"/api/products/{pid}").json()
    assert api["hs_codes"] == [{"code": "19059090", "dotted": "1905.90.90", "description": "Loại khác"}]

    r = c.post(f"/curate/products/{pid}/hs-codes/decide", data={"code": "1905.90.90", "action": "remove"},
               follow_redirects=False)
    assert r.status_code == 303
    assert "19059090" not in codes(kbase, pid)
    r = c.post(f"/curate/products/{pid}/hs-codes/decide", data={"code": "19059090", "action": "drop table"})
    assert r.status_code == 400

    with kbase.session() as s:
        events = s.exec(select(AuditEvent).where(AuditEvent.entity == "producthscode")).all()
    assert {e.action for e in events} >= {"create", "suggest", "approve", "reject", "delete"}
    assert {e.actor for e in events if e.action != "suggest"} == {"curator"}


@pytest.mark.parametrize("who", [None, "lab_a"])
def test_only_curators_change_codes(app, kbase, world, who):
    c = client_for(app, who)
    r = c.post(f"/curate/products/{world.product}/hs-codes", data={"codes": "1905"}, follow_redirects=False)
    assert r.status_code in (401, 403) or (r.status_code == 303 and "/login" in r.headers["location"])
    assert codes(kbase, world.product) == {}


def test_a_cross_site_form_is_refused(app, kbase, world):
    c = client_for(app, "curator")
    r = c.post(f"/curate/products/{world.product}/hs-codes", data={"codes": "1905"},
               headers={"Sec-Fetch-Site": "cross-site"}, follow_redirects=False)
    assert r.status_code == 403
    assert codes(kbase, world.product) == {}


def test_unknown_product_is_404(app, world):
    r = client_for(app, "curator").post("/curate/products/99999/hs-codes", data={"codes": "1905"})
    assert r.status_code == 404


def test_cli_suggest_hs(settings, kbase, world):
    load_lines(kbase)
    with kbase.session() as s:
        from kb import products

        pid = products.upsert_product(s, products.parse_product({"name": "Nồi nấu cơm điện"}), "t")[0].id
    out = run_kb(settings, "suggest-hs", str(pid), "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["product"]["name"] == "Nồi nấu cơm điện" and data["suggestions"][0]["code"] == "85166010"
    assert codes(kbase, pid)["85166010"] == MappingStatus.suggested.value
    bad = run_kb(settings, "suggest-hs", "không có sản phẩm này")
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "Không tìm thấy sản phẩm" in bad.stderr
