"""Curators say which risk-list items apply to a product (issue 12, item 4): the section on the curator's
product page (answer, withdraw, who may, CSRF), the JSON API, and what the public page and its JSON then say."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import select

from kb import hscodes, products, risk
from kb.models import AuditEvent, ProductCreate, RiskItemDecision
from kb.risk_decisions import ENTITY
from tests.kb.test_risk_decisions import DOC, ROWS, START
from tests.support.accounts import client_for, make_app, seed
from tests.support.records import html

ON = "2026-08-01"
RADIO = {"document": DOC, "annex": "Phụ lục I", "item": "1.1.11", "hs_code": "851714"}
PHONE = {"document": DOC, "annex": "Phụ lục II", "item": "3.1.2", "hs_code": "85171400"}


@pytest.fixture
def world(kbase):
    w = seed(kbase)
    with kbase.session() as s:
        risk.import_list(s, ROWS, document=DOC, effective_from=START)
        phone = products.upsert_product(s, ProductCreate(name="Điện thoại di động (mẫu)", is_sample=True), "t")[0]
        hscodes.add_codes(s, phone, hscodes.parse_codes("8517.14.00"), "t")
        w.phone = phone.id
    return w


@pytest.fixture
def app(kbase, world):
    return make_app(kbase)


def section(client, pid, on=ON):
    sec = html(client.get(f"/curate/products/{pid}", params={"on": on})).css_first("section#risk-items")
    assert sec is not None
    return sec


def rows(sec, table):
    return {tr.attributes["data-item"]: tr for tr in sec.css(f"table.{table} tbody tr")}


def answer(client, pid, item, action, version="", note="", on=ON, **headers):
    data = {**item, "action": action, "version": version, "note": note, "on": on}
    return client.post(f"/curate/products/{pid}/risk-items", data=data, headers=headers, follow_redirects=False)


def public(app, pid):
    c = client_for(app, None)
    reg = c.get(f"/api/products/{pid}", params={"on": ON}).json()["regulatory"]
    sec = html(c.get(f"/products/{pid}", params={"on": ON})).css_first("section#danh-muc")
    return reg, sec


def test_curator_answers_and_the_public_page_follows(app, kbase, world):
    c = client_for(app, "curator")
    sec = section(c, world.phone)
    assert sec.css_first("input[name=on]").attributes["value"] == ON
    cands = rows(sec, "risk-candidates")
    assert set(cands) == {"1.1.11", "3.1.2"} and all("data-ambiguous" in tr.attributes for tr in cands.values())
    radio = cands["1.1.11"]
    assert radio.css_first("a").text() == DOC and "Thiết bị vô tuyến" in radio.text() and "Rủi ro cao" in radio.text()
    assert {b.attributes["value"] for b in radio.css("button")} == {"apply", "exclude"}  # nothing to withdraw yet

    r = answer(c, world.phone, PHONE, "apply", note="Là máy điện thoại")
    assert r.status_code == 303, r.text
    where = urlsplit(r.headers["location"])
    assert where.fragment == "risk-items" and parse_qs(where.query)["on"] == [ON]
    page = html(c.get(r.headers["location"]))
    assert page.css_first("[role=status]").text() == (
        "Đã ghi: Xác nhận mục 3.1.2, Phụ lục II của 36/2026/TT-BKHCN (mã HS 8517.14.00) áp dụng cho sản phẩm "
        "Điện thoại di động (mẫu).")
    phone = rows(page.css_first("section#risk-items"), "risk-candidates")["3.1.2"]
    assert "data-confirmed" in phone.attributes and "Là máy điện thoại" in phone.css_first("td.state").text()
    assert {b.attributes["value"] for b in phone.css("button")} == {"exclude", "clear"}

    # the public answer: confirmed, the other item still waits for its answer
    reg, sec = public(app, world.phone)
    confirmed = [r for r in reg["requirements"] if r["confirmed"]]
    assert [(r["item"], r["match"], r["decision"]["decided_by"]) for r in confirmed] == [
        ("3.1.2", "đã được người biên tập xác nhận", "curator")]
    tr = sec.css_first("tr[data-confirmed]")
    assert tr.css("td")[-1].text() == "Đã được người biên tập xác nhận"
    assert len(sec.css("tr[data-ambiguous]")) == 1

    # excluding the radio item: gone from the public page and its risk
    r = answer(c, world.phone, RADIO, "exclude", note="Không phải thiết bị vô tuyến")
    assert r.status_code == 303
    reg, sec = public(app, world.phone)
    assert reg["risk"] == "medium" and sec.attributes["data-risk"] == "medium"
    assert [r["item"] for r in reg["requirements"]] == ["3.1.2"]
    assert [(r["item"], r["decision"]["applies"]) for r in reg["excluded"]] == [("1.1.11", False)]
    assert [tr.attributes["data-hs"] for tr in sec.css("tbody tr")] == ["85171400"]
    assert "vô tuyến" not in sec.text()
    # changing an answer names its version and the page says what it became
    confirmed = rows(section(c, world.phone), "risk-candidates")["3.1.2"]
    r = answer(c, world.phone, PHONE, "apply", note="Máy điện thoại thông minh",
               version=confirmed.css_first("input[name=version]").attributes["value"])
    assert r.status_code == 303
    assert html(c.get(r.headers["location"])).css_first("[role=status]").text().startswith(
        "Đã ghi: Xác nhận mục 3.1.2, Phụ lục II")
    # an event of another product's answer is not shown as this page's notice
    with kbase.session() as s:
        other = products.upsert_product(s, ProductCreate(name="Sản phẩm khác (mẫu)", is_sample=True), "t")[0].id
    event = parse_qs(urlsplit(r.headers["location"]).query)["event"][0]
    page = html(c.get(f"/curate/products/{other}", params={"ok": "risk-decided", "event": event}))
    assert page.css_first("[role=status]").text() == "Đã ghi câu trả lời về mục danh mục."
    # the curator still sees the excluded item, with a button to withdraw the answer
    out = rows(section(c, world.phone), "risk-excluded")["1.1.11"]
    assert "Không phải thiết bị vô tuyến" in out.text()
    version = out.css_first("input[name=version]").attributes["value"]
    assert version == "1"

    r = answer(c, world.phone, RADIO, "clear", version=version)
    assert r.status_code == 303
    assert "Đã ghi: Bỏ xác nhận mục 1.1.11" in html(c.get(r.headers["location"])).css_first("[role=status]").text()
    reg, _ = public(app, world.phone)
    assert reg["risk"] == "high" and reg["excluded"] == []

    with kbase.session() as s:
        events = s.exec(select(AuditEvent).where(AuditEvent.entity == ENTITY)).all()
    assert [(e.action, e.actor) for e in events] == [("approve", "curator"), ("reject", "curator"),
                                                     ("approve", "curator"), ("delete", "curator")]


def test_bad_and_stale_answers_come_back_with_a_message(app, kbase, world):
    c = client_for(app, "curator")
    r = answer(c, world.phone, PHONE, "drop table")
    assert r.status_code == 400 and "thao tác không hợp lệ" in html(r).css_first("[role=alert]").text()
    r = answer(c, world.phone, {**PHONE, "item": "9.9"}, "apply")
    assert r.status_code == 400 and "không có danh mục nào đã nhập chứa mục 9.9" in r.text
    assert html(r).css_first("section#risk-items input[name=on]").attributes["value"] == ON  # the same day's view
    r = answer(c, world.phone, PHONE, "apply", note="x" * 2001)
    assert r.status_code == 400 and "ghi chú dài quá" in r.text

    assert answer(c, world.phone, PHONE, "apply").status_code == 303
    # another curator's page, loaded before that answer, still says "no answer"
    r = answer(client_for(app, "admin"), world.phone, PHONE, "exclude")
    assert r.status_code == 409
    assert "Người khác vừa ghi câu trả lời cho mục này (nay: áp dụng, phiên bản 1)" in html(r).css_first("[role=alert]").text()
    # the product form on that page keeps the product's own version
    with kbase.session() as s:
        assert html(r).css_first("#product-form input[name=version]").attributes["value"] == str(
            products.require_product(s, world.phone).version)
    assert answer(c, world.phone, PHONE, "clear", version="5").status_code == 409
    assert answer(c, world.phone, PHONE, "clear", version="").status_code == 400  # the form carries its version
    with kbase.session() as s:
        assert [d.applies for d in s.exec(select(RiskItemDecision))] == [True]


@pytest.mark.parametrize("who", [None, "lab_a"])
def test_only_curators_answer(app, kbase, world, who):
    r = answer(client_for(app, who), world.phone, PHONE, "apply")
    assert r.status_code in (401, 403) or (r.status_code == 303 and "/login" in r.headers["location"])
    api = client_for(app, who).post(f"/api/products/{world.phone}/risk-items", json={**PHONE, "applies": True})
    assert api.status_code == (401 if who is None else 403)
    with kbase.session() as s:
        assert s.exec(select(RiskItemDecision)).all() == []


def test_a_cross_site_form_is_refused(app, kbase, world):
    r = answer(client_for(app, "curator"), world.phone, PHONE, "apply", **{"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403
    with kbase.session() as s:
        assert s.exec(select(RiskItemDecision)).all() == []


def test_json_api(app, kbase, world):
    c = client_for(app, "curator")
    url = f"/api/products/{world.phone}/risk-items"
    r = c.post(url, json={**RADIO, "document": "36/2026/tt-bkhcn", "hs_code": "8517.14", "applies": False,
                          "note": "Không phát sóng"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["decision"]["applies"], body["decision"]["version"], body["decision"]["note"]) == (False, 1, "Không phát sóng")
    assert body["summary"].startswith("Xác nhận mục 1.1.11, Phụ lục I của 36/2026/TT-BKHCN (mã HS 8517.14) không áp dụng")
    assert client_for(app, None).get(f"/api/products/{world.phone}", params={"on": ON}).json()["regulatory"]["risk"] == "medium"

    stale = c.post(url, json={**RADIO, "applies": True})  # no version: "nobody had answered"
    assert stale.status_code == 409 and stale.json()["current"]["applies"] is False
    assert c.post(url, json={**RADIO, "applies": True, "version": 9}).status_code == 409
    r = c.post(url, json={**RADIO, "applies": True, "version": 1})
    assert r.status_code == 200 and r.json()["decision"]["version"] == 2
    same = c.post(url, json={**RADIO, "applies": True, "version": 2})
    assert same.status_code == 200 and same.json()["event_id"] is None  # nothing changed, nothing logged

    for bad in ({**RADIO, "item": "9.9", "applies": True}, {**RADIO, "hs_code": "85A7", "applies": True},
                {**RADIO, "document": "danh mục", "applies": True}, {**RADIO}, {**RADIO, "applies": "có lẽ"},
                {**RADIO, "applies": True, "version": 0}):
        r = c.post(url, json=bad)
        assert r.status_code == 400, (bad, r.text)
        assert r.json()["detail"]
    assert c.post("/api/products/99999/risk-items", json={**RADIO, "applies": True}).status_code == 404

    cleared = c.post(url, json={**RADIO, "applies": None, "version": 2})
    assert cleared.status_code == 200 and cleared.json()["decision"] is None
    assert cleared.json()["summary"].startswith("Bỏ xác nhận mục 1.1.11")
    assert c.post(url, json={**RADIO, "applies": None}).status_code == 404
    assert client_for(app, None).get(f"/api/products/{world.phone}", params={"on": ON}).json()["regulatory"]["risk"] == "high"
