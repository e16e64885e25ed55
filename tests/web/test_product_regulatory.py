"""The product page answers "what do the risk lists require of my product on this date": from its HS
codes and the lists in force on the day asked (``?on=``), on the page and in its JSON."""

from __future__ import annotations

from datetime import date

import pytest

from kb import hscodes, products, risk
from kb.models import ProductCreate
from tests.support.accounts import client_for, make_app, seed
from tests.support.records import html

ROW = {"mo_ta": "", "nhom": "1", "phu_luc": "Phụ lục II", "dieu_kien": "", "dan_chieu": "", "trang": "12"}


@pytest.fixture
def world(kbase):
    w = seed(kbase)
    with kbase.session() as s:
        cooker = products.upsert_product(s, ProductCreate(name="Nồi cơm điện Bắc Ninh (mẫu)", is_sample=True), "t")[0]
        hscodes.add_codes(s, cooker, ["8516.60.10"], "t")
        plain = products.upsert_product(s, ProductCreate(name="Sản phẩm chưa có mã HS (mẫu)", is_sample=True), "t")[0]
        # a sample medium-risk list from 01/07/2026: a 6-digit row covers the cooker's 8-digit code
        risk.import_list(s, [(2, {**ROW, "ma_hs": "8516.60", "mo_ta": "Nồi cơm điện", "loai_tac_dong": "CONG_BO_HOP_QUY",
                                  "muc_rui_ro": "TRUNG_BINH"})],
                         document="36/2026/TT-BKHCN", effective_from=date(2026, 7, 1))
        w.cooker, w.plain = cooker.id, plain.id
    return w


@pytest.fixture
def app(kbase, world):
    return make_app(kbase)


def test_the_answer_depends_on_the_date(app, world):
    c = client_for(app, None)
    after = c.get(f"/api/products/{world.cooker}", params={"on": "2026-08-01"}).json()["regulatory"]
    assert (after["on"], after["risk"]) == ("2026-08-01", "medium")
    [req] = after["requirements"]
    assert (req["document"], req["hs_code"], req["control"], req["risk"], req["source_page"]) == (
        "36/2026/TT-BKHCN", "851660", "conformity_declaration", "medium", 12)
    assert req["document_url"] == "/legal/36/2026/TT-BKHCN"
    # before the list took effect no graded list names it (and none was imported for that time): unknown
    before = c.get(f"/api/products/{world.cooker}", params={"on": "2026-06-30"}).json()["regulatory"]
    assert (before["risk"], before["requirements"]) == ("unknown", [])
    # the page shows the same, with its date field, and the list's route joins the next steps
    page = html(c.get(f"/products/{world.cooker}", params={"on": "2026-08-01"}))
    sec = page.css_first("section#danh-muc")
    assert sec.attributes["data-risk"] == "medium" and "01/08/2026" in sec.css_first(".state-label").text()
    assert sec.css_first("input[name=on]").attributes["value"] == "2026-08-01"
    assert sec.css_first("tr[data-control=conformity_declaration] td").text().startswith("36/2026/TT-BKHCN")
    data = c.get(f"/api/products/{world.cooker}", params={"on": "2026-08-01"}).json()
    assert "hop_quy" in {step["kind"] for step in data["next_steps"]}


def test_without_an_hs_code_the_page_says_it_cannot_tell(app, world):
    c = client_for(app, None)
    reg = c.get(f"/api/products/{world.plain}").json()["regulatory"]
    assert (reg["risk"], reg["on"]) == ("unknown", date.today().isoformat())
    sec = html(c.get(f"/products/{world.plain}")).css_first("section#danh-muc")
    assert "chưa có mã HS" in sec.css_first(".state-label").text()


def test_a_bad_date_is_a_4xx(app, world):
    c = client_for(app, None)
    for bad in ("1/8/2026", "2026-13-01", "x"):
        assert c.get(f"/api/products/{world.cooker}", params={"on": bad}).status_code == 400  # the app answers bad input 400
        assert c.get(f"/products/{world.cooker}", params={"on": bad}).status_code in (400, 422)
