"""The curator's audit log page: sentences, Vietnamese filters with checked input, before/after tables,
"Hoàn tác" only where a change can still be undone, and a refusal page that leads back."""

from __future__ import annotations

import re

import pytest
from selectolax.lexbor import LexborHTMLParser

from kb import audit, labs, mappings, products
from kb.models import AuditEvent, Lab, LabScopeCreate, ProductUpdate
from kb.read import audit as audit_read
from tests.support.accounts import client_for, make_app, seed


def html(r) -> LexborHTMLParser:
    assert r.headers["content-type"].startswith("text/html"), r.headers["content-type"]
    return LexborHTMLParser(r.text)


@pytest.fixture
def world(kbase):
    w = seed(kbase)
    with kbase.session() as s:  # one of each: a decision, an edit, a lab's change, an import
        mappings.decide_mapping(s, w.mapping, "approved", "cur1")
        products.update_product(s, w.product, ProductUpdate(category="Bánh truyền thống", ocop_stars=4), None, "cur1")
        labs.update_scope(s, s.get(Lab, w.lab_a), w.row_a, LabScopeCreate(material="Bê tông", test="Cường độ nén",
                                                                          method="TCVN 3118:2022"), None, "lab_a")
        audit.record(s, actor="admin", action="import", entity="upload", entity_id=None,
                     after={"kind": "products", "file": "products.csv", "created": 120, "updated": 0,
                            "unchanged": 0, "deleted": 0, "errors": []},
                     summary="Nhập products từ products.csv: 120 mới, 0 cập nhật, 0 lỗi")
    return w


@pytest.fixture
def app(kbase, world):
    return make_app(kbase)


def _lines(page: LexborHTMLParser) -> list[LexborHTMLParser]:
    return page.css("#events li.audit-line")


def _sentences(page: LexborHTMLParser) -> list[str]:
    return [li.css_first(".audit-sentence").text() for li in _lines(page)]


def _event_id(kbase, **kw) -> int:
    with kbase.session() as s:
        return audit.audit_events(s, limit=1, **kw)[0].id


def test_log_reads_as_sentences_without_raw_keys(app, world):
    page = html(client_for(app, "curator").get("/curate/audit"))
    said = _sentences(page)
    assert "test tạo ánh xạ Bánh phu thê Đình Bảng ↔ TCVN 3118:1993 (phương pháp thử)" in said
    assert said[:4] == ["admin nhập 120 sản phẩm từ products.csv",
                        "lab_a sửa phạm vi VILAS 1001: Cường độ nén (đổi mã phương pháp, phương pháp)",
                        "cur1 sửa sản phẩm Bánh phu thê Đình Bảng (đổi nhóm sản phẩm, số sao OCOP)",
                        f"cur1 duyệt ánh xạ Bánh phu thê Đình Bảng → TCVN 3118:1993 (#{world.mapping})"]
    main = page.css_first("main")
    for node in main.css("script, style"):
        node.decompose()
    words = set(re.findall(r"\w+", main.text(separator=" ")))
    codes = {v for labels in audit_read.VALUE_LABELS.values() for v in labels}
    raw = {*audit_read.ENTITY_LABELS, *audit_read.ACTION_VERBS, *codes, "None", "null", "true", "false"}
    actors = {"lab_a", "lab_b", "cur1", "admin", "curator", "test", "system", "cli"}
    assert not (words & raw) - actors, (words & raw) - actors
    assert not {w for w in words if "_" in w} - actors  # no snake_case keys of any kind
    # the filters offer Vietnamese labels (each action once), values stay the stored keys
    labels = [o.text() for o in page.css("#f-action option")]
    assert labels[0] == "Tất cả" and len(labels) == len(set(labels)) and "Duyệt" in labels
    assert "Phạm vi công nhận" in [o.text() for o in page.css("#f-entity option")]


def test_filters_combine_and_bad_input_is_a_message(app, world):
    c = client_for(app, "curator")
    page = html(c.get("/curate/audit", params={"entity": "lab_scope", "actor": "lab_a", "from": "2000-01-01"}))
    assert [li.attributes["data-entity"] for li in _lines(page)] == ["lab_scope"]  # the seed is by "test"
    assert _sentences(html(c.get("/curate/audit", params={"q": "products.csv"}))) == [
        "admin nhập 120 sản phẩm từ products.csv"]
    assert _sentences(html(c.get("/curate/audit", params={"action": "approved"})))[0].startswith("cur1 duyệt ánh xạ")
    assert _sentences(html(c.get("/curate/audit", params={"to": "01/01/2001"}))) == []
    for params, message in (({"from": "31/02/2026"}, "“31/02/2026” không phải một ngày"),
                            ({"from": "hôm qua"}, "không phải một ngày"),
                            ({"from": "2026-12-06", "to": "2026-12-01"}, "phải trước hoặc bằng"),
                            ({"entity": "no_such_kind"}, "Không có loại bản ghi này")):
        r = c.get("/curate/audit", params=params)
        assert r.status_code == 400
        assert message in html(r).css_first("p.error").text()
    # paging keeps the filters
    with_more = html(c.get("/curate/audit", params={"actor": "test"}))
    assert len(_lines(with_more)) <= 50


def test_before_after_is_a_table_with_changed_rows_marked(app, world, kbase):
    page = html(client_for(app, "curator").get("/curate/audit", params={"entity": "product", "action": "update"}))
    line = _lines(page)[0]
    table = line.css_first("details table.audit-diff")
    rows = {tr.css_first("th").text().replace(" (đã đổi)", ""): [td.text() for td in tr.css("td")]
            for tr in table.css("tbody tr")}
    assert rows["Nhóm sản phẩm"] == ["Bánh kẹo", "Bánh truyền thống"]
    assert rows["Số sao OCOP"] == ["—", "4"]
    assert all(tr.attributes.get("class") == "changed" for tr in table.css("tbody tr"))
    assert not line.css("pre")  # never a JSON dump
    created = html(client_for(app, "curator").get("/curate/audit", params={"entity": "mapping", "action": "create"}))
    cells = {tr.css_first("th").text(): [td.text() for td in tr.css("td")]
             for tr in _lines(created)[0].css("tbody tr")}
    assert cells["Sản phẩm"] == ["—", "Bánh phu thê Đình Bảng"] and cells["Loại"] == ["—", "Phương pháp thử"]


def test_no_revert_on_reverted_rows_and_the_refusal_leads_back(app, world, kbase):
    c = client_for(app, "curator")
    edit = _event_id(kbase, entity="product", action="update")
    page = html(c.get("/curate/audit"))
    assert page.css_first(f"#event-{edit} form button").text() == "Hoàn tác"
    r = c.post(f"/curate/audit/{edit}/revert", follow_redirects=False)
    assert r.status_code == 303
    page = html(c.get(r.headers["location"]))
    assert page.css_first("p.notice").text() == f"Đã hoàn tác sự kiện #{edit}."
    revert = _event_id(kbase, entity="product")
    assert not page.css(f"#event-{edit} form") and not page.css(f"#event-{revert} form")
    assert page.css_first(f"#event-{edit} .audit-note").text() == (
        f"Không hoàn tác được: đã được hoàn tác ở sự kiện #{revert}.")
    assert page.css_first(f"#event-{revert} .audit-sentence").text().startswith(f"curator hoàn tác sự kiện #{edit} (")
    # a stale form (the button was on an older page) is refused with a page that leads back
    r = c.post(f"/curate/audit/{edit}/revert", follow_redirects=False)
    assert r.status_code == 409
    refused = html(r)
    assert f"đã được hoàn tác ở sự kiện #{revert}" in refused.css_first("p.error").text()
    links = {a.text(): a.attributes["href"] for a in refused.css("main ul.audit-refused-links a")}
    assert links["Về nhật ký thay đổi"] == f"/curate/audit#event-{edit}"
    assert links["Trang sản phẩm"] == f"/curate/products/{world.product}"
    assert links["Lịch sử của bản ghi này"] == f"/curate/audit?entity=product&entity_id={world.product}"
    with kbase.session() as s:  # nothing happened the second time
        assert audit.audit_events(s, limit=1)[0].id == revert
    # an import cannot be undone at all; an unknown event is a 404 page, not a 500
    upload = _event_id(kbase, entity="upload")
    assert not html(c.get("/curate/audit")).css(f"#event-{upload} form")
    assert c.post(f"/curate/audit/{upload}/revert", follow_redirects=False).status_code == 400
    missing = c.post("/curate/audit/999999/revert", follow_redirects=False)
    assert missing.status_code == 404 and "Về nhật ký thay đổi" in missing.text


def test_superseded_change_shows_why(app, world, kbase):
    with kbase.session() as s:
        products.update_product(s, world.product, ProductUpdate(category="Khác"), None, "cur2")
        last = audit.audit_events(s, limit=1)[0].id
        first = s.exec(audit.select(AuditEvent).where(AuditEvent.entity == "product", AuditEvent.actor == "cur1")).first().id
    page = html(client_for(app, "curator").get("/curate/audit"))
    assert not page.css(f"#event-{first} form")
    assert f"sự kiện #{last}" in page.css_first(f"#event-{first} .audit-note").text()
    assert page.css(f"#event-{last} form")


@pytest.mark.parametrize("who, status", [("lab_a", 403), (None, 401)])
def test_only_curators(app, world, who, status):
    c = client_for(app, who)
    assert c.get("/curate/audit", headers={"Accept": "application/json"}).status_code == status
    assert c.post("/curate/audit/1/revert", headers={"Accept": "application/json"},
                  follow_redirects=False).status_code == status


def test_record_history_and_home_read_as_sentences(app, world):
    c = client_for(app, "curator")
    history = html(c.get(f"/curate/mappings/{world.mapping}"))
    rows = history.css("#events > tbody > tr")
    assert [tr.css_first("td.audit-sentence").text() for tr in rows] == [
        f"cur1 duyệt ánh xạ Bánh phu thê Đình Bảng → TCVN 3118:1993 (#{world.mapping})",
        "test tạo ánh xạ Bánh phu thê Đình Bảng ↔ TCVN 3118:1993 (phương pháp thử)"]
    assert not history.css("#events pre") and rows[0].css("table.audit-diff")
    home = html(c.get("/curate"))
    assert home.css_first("#events > tbody > tr td.audit-sentence").text() == "admin nhập 120 sản phẩm từ products.csv"
    assert not home.css("#events form")  # the home page lists, the log page undoes


def test_pages_of_fifty_keep_the_filters(app, world, kbase):
    with kbase.session() as s:
        for i in range(60):
            audit.record(s, actor="bulk", action="update", entity="product", entity_id=world.product,
                         summary=f"Sửa sản phẩm Bánh phu thê Đình Bảng lần {i}")
    c = client_for(app, "curator")
    first = html(c.get("/curate/audit", params={"actor": "bulk", "q": "đình bảng"}))
    assert len(_lines(first)) == 50 and _sentences(first)[0] == "bulk sửa sản phẩm Bánh phu thê Đình Bảng lần 59"
    older = first.css_first("nav.pager a[rel=next]").attributes["href"]
    assert "actor=bulk" in older and "q=%C4%91%C3%ACnh%20b%E1%BA%A3ng" in older and older.endswith("page=2")
    second = html(c.get("/curate/audit" + older))
    assert _sentences(second)[-1] == "bulk sửa sản phẩm Bánh phu thê Đình Bảng lần 0" and len(_lines(second)) == 10
    assert not second.css("nav.pager a[rel=next]")
