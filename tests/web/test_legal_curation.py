"""The curators' legal documents on the web: the list and its filters, adding and editing a document with
its relations (versioned, audited, a stale edit shown as a conflict, bad input kept and explained), who may
do it and from where (roles, CSRF), the JSON twin; and a standard's issuing instrument linked to the
document's page, flagged when that document is replaced, and listed there among what cites it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from kb import legal, products, standards
from kb.models import AuditEvent
from tests.support.accounts import client_for, make_app, seed
from tests.support.records import html, make_mapping, make_standard, text

TODAY = date.today()
# Relative to today, so that "status today" is the same whatever day the tests run.
START = (TODAY - timedelta(days=30)).isoformat()
XSS = '<script>alert("x")</script>'


def _world(kbase) -> None:
    """Accounts; a law, an old circular (29/2025) and one that nobody has said replaces it yet; a product's
    approved mapping that cites the old circular."""
    w = seed(kbase)
    with kbase.session() as s:
        for data in ({"code": "68/2006/QH11", "title": "Luật Tiêu chuẩn và quy chuẩn kỹ thuật", "issuer": "Quốc hội",
                      "effective_from": "2007-01-01"},
                     {"code": "29/2025/TT-BKHCN"}):
            legal.upsert_document(s, legal.parse_document(data), "import")
        qc = standards.get_standard(s, "QCVN 8-1:2011/BYT")
        make_mapping(s, products.require_product(s, w.product), qc, legal_basis="Thông tư 29/2025/TT-BKHCN")


def _form(page) -> dict[str, str]:
    form = html(page).css_first("form#legal-form")
    values = {n.attributes["name"]: n.attributes.get("value") or "" for n in form.css("input")}
    values.update({n.attributes["name"]: n.text() for n in form.css("textarea")})
    for sel in form.css("select"):
        chosen = sel.css_first("option[selected]")
        values[sel.attributes["name"]] = chosen.attributes.get("value", "") if chosen else ""
    return values


def _status(client, code: str) -> str:
    return html(client.get(f"/legal/{code}")).css_first("#legal-status").attributes["data-status"]


def _impact(client) -> set[str]:
    return {a.attributes["data-legal"] for a in html(client.get("/curate/impact")).css("#legal-impact article[data-legal]")}


def test_add_then_edit_a_document_and_its_relations(any_kbase):
    _world(any_kbase)
    app = make_app(any_kbase)
    curator, public = client_for(app, "curator"), client_for(app, None)
    assert _status(public, "29/2025/TT-BKHCN") == "unknown" and _impact(curator) == set()

    home = html(curator.get("/curate"))
    assert home.css_first('#legal-link a[href="/curate/legal"]') is not None
    new = _form(curator.get("/curate/legal/new"))
    assert new["version"] == "" and new["status"] == "unknown" and new["kind"] == ""
    new.update(code="thông tư 36/2026/tt-bkhcn", title="Ban hành Danh mục sản phẩm, hàng hóa có mức độ rủi ro",
               issuer="Bộ Khoa học và Công nghệ", issued=START, effective_from=START,
               replaces=f"29/2025/TT-BKHCN@{START} (Điều 6 khoản 2 điểm a)", guides="68/2006/QH11")
    r = curator.post("/curate/legal/new", data=new, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/curate/legal/36/2026/TT-BKHCN?ok=saved")

    # public pages: the new circular, the relation with its date and article; the old one replaced; the
    # mapping that cites it is now a citation to re-point
    page = html(public.get("/legal/36/2026/TT-BKHCN"))
    assert text(page.css_first("h1")) == "Thông tư 36/2026/TT-BKHCN"  # the kind followed the symbol
    rel = page.css_first('#relations li[data-relation="replaces"]')
    assert text(rel) == f"Thay thế 29/2025/TT-BKHCN từ ngày {date.fromisoformat(START):%d/%m/%Y} (Điều 6 khoản 2 điểm a)"
    assert page.css_first('#relations li[data-relation="guides"] a').attributes["href"] == "/legal/68/2006/QH11"
    old = html(public.get("/legal/29/2025/TT-BKHCN"))
    assert old.css_first("#legal-status").attributes["data-status"] == "replaced"
    assert "(Điều 6 khoản 2 điểm a)" in text(old.css_first("#successors"))
    assert _impact(curator) == {"29/2025/TT-BKHCN"}

    form = _form(curator.get("/curate/legal/36/2026/TT-BKHCN"))
    assert form["version"] == "1" and form["kind"] == "circular" and form["effective_from"] == START
    assert form["replaces"] == f"29/2025/TT-BKHCN@{START} (Điều 6 khoản 2 điểm a)"
    # a title with markup, and the relation taken out: a change of relations moves the version too
    form.update(title=f"Danh mục {XSS}", replaces="")
    r = curator.post("/curate/legal/36/2026/TT-BKHCN", data=form, follow_redirects=False)
    assert r.status_code == 303
    shown = public.get("/legal/36/2026/TT-BKHCN")
    assert XSS not in shown.text and text(html(shown).css_first("p.lead")) == f"Danh mục {XSS}"
    assert _status(public, "29/2025/TT-BKHCN") == "unknown" and _impact(curator) == set()
    assert _form(curator.get("/curate/legal/36/2026/TT-BKHCN"))["version"] == "2"

    with any_kbase.session() as s:
        events = s.exec(select(AuditEvent).where(AuditEvent.entity == "legal_document", AuditEvent.actor == "curator")
                        .order_by(AuditEvent.id)).all()
        assert [e.action for e in events] == ["create", "update", "update"]
        assert all("36/2026/TT-BKHCN" in e.summary for e in events)
        assert events[0].after["replaces"] == [f"29/2025/TT-BKHCN@{START} (Điều 6 khoản 2 điểm a)"]
        assert events[-1].before == {"replaces": [f"29/2025/TT-BKHCN@{START} (Điều 6 khoản 2 điểm a)"]}
    history = html(curator.get("/curate/legal/36/2026/TT-BKHCN")).css("#events > tbody > tr")
    assert len(history) == 3
    # any spelling of the number opens the one edit page
    r = curator.get("/curate/legal/36/2026/tt-bkhcn", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/curate/legal/36/2026/TT-BKHCN")


def test_stale_edit_shows_the_conflict_with_what_is_stored(any_kbase):
    _world(any_kbase)
    app = make_app(any_kbase)
    first, second = client_for(app, "curator"), client_for(app, "admin")
    url = "/curate/legal/29/2025/TT-BKHCN"
    form_a, form_b = _form(first.get(url)), _form(second.get(url))
    # the first editor only declares a relation; the second, from the same version, changes the title
    done = first.post(url, data={**form_a, "amends": "68/2006/QH11@2008-01-01"}, follow_redirects=False)
    assert done.status_code == 303
    stale = second.post(url, data={**form_b, "title": "Tên của người thứ hai"})
    assert stale.status_code == 409
    page = html(stale)
    assert page.css_first("#conflict-title") is not None
    rows = {tr.css_first("th").attributes["data-field"]: [text(td) for td in tr.css("td")]
            for tr in page.css("section[aria-labelledby=conflict-title] table.diff tbody tr")}
    assert form_b["amends"] == "" and rows["amends"] == ["", "68/2006/QH11@2008-01-01"]
    assert rows["title"] == ["Tên của người thứ hai", "—"]
    assert text(page.css_first('th[data-field="amends"]')) == "Sửa đổi, bổ sung"
    reloaded = _form(stale)
    assert (reloaded["version"], reloaded["amends"], reloaded["title"]) == ("2", "68/2006/QH11@2008-01-01", "")
    # saving again from the reloaded form goes through
    assert second.post(url, data={**reloaded, "title": "Tên của người thứ hai"}, follow_redirects=False).status_code == 303
    with any_kbase.session() as s:
        doc = legal.get_document(s, "29/2025/TT-BKHCN")
        assert (doc.title, doc.version) == ("Tên của người thứ hai", 3)


@pytest.mark.parametrize(("change", "message"), [
    ({"effective_from": "2026-07-01", "effective_until": "2026-06-30"}, "effective_until: ngày hết hiệu lực trước ngày có hiệu lực"),
    ({"issued": "01/07/2026"}, "issued: '01/07/2026' không phải ngày dạng YYYY-MM-DD"),
    ({"replaces": "Thông tư cũ"}, "replaces:"),
    ({"replaces": "01/2009/TT-BKHCN@1/7/2026"}, "replaces: '1/7/2026' sau @ không phải ngày dạng YYYY-MM-DD"),
    ({"code": "30/2025/TT-BKHCN"}, "code: 30/2025/TT-BKHCN là số hiệu của văn bản khác"),
    ({"kind": "thong tu"}, "kind:"),
    ({"source_url": "javascript:alert(1)"}, "source_url:"),
    ({"version": ""}, "thiếu phiên bản"),
])
def test_bad_input_re_renders_with_a_vietnamese_message_and_keeps_what_was_typed(kbase, change, message):
    _world(kbase)
    curator = client_for(make_app(kbase), "curator")
    url = "/curate/legal/29/2025/TT-BKHCN"
    form = {**_form(curator.get(url)), "title": "Tên vừa gõ", "note": "Ghi chú vừa gõ", **change}
    r = curator.post(url, data=form)
    assert r.status_code == 400
    page = html(r)
    assert text(page.css_first("p.error")).startswith(message)
    kept = _form(r)
    assert (kept["title"], kept["note"]) == ("Tên vừa gõ", "Ghi chú vừa gõ")
    for field, value in change.items():
        if field not in ("kind", "version"):  # a select shows only its offered choices
            assert kept[field] == value, field
    with kbase.session() as s:
        doc = legal.get_document(s, "29/2025/TT-BKHCN")
        assert (doc.title, doc.version) == (None, 1)


def test_adding_a_known_number_is_refused_with_its_name(kbase):
    _world(kbase)
    curator = client_for(make_app(kbase), "curator")
    form = {**_form(curator.get("/curate/legal/new")), "code": "Luật số 68/2006/qh11", "title": "Bản trùng"}
    r = curator.post("/curate/legal/new", data=form)
    assert r.status_code == 409
    assert text(html(r).css_first("p.error")) == "Đã có văn bản 68/2006/QH11 trong cơ sở dữ liệu; hãy sửa văn bản đó"
    assert _form(r)["title"] == "Bản trùng"
    empty = curator.post("/curate/legal/new", data={**form, "code": ""})
    assert empty.status_code == 400 and text(html(empty).css_first("p.error")).startswith("code:")
    assert curator.get("/curate/legal/99/2099/TT-BKHCN").status_code == 404
    assert curator.post("/curate/legal/99/2099/TT-BKHCN", data=form).status_code == 404


def test_list_filters_by_kind_status_and_text(kbase):
    _world(kbase)
    with kbase.session() as s:
        legal.upsert_document(s, legal.parse_document({"code": "36/2026/TT-BKHCN", "effective_from": START,
                                                       "title": "Danh mục sản phẩm, hàng hóa có mức độ rủi ro",
                                                       "replaces": f"29/2025/TT-BKHCN@{START}"}), "t")
    curator = client_for(make_app(kbase), "curator")

    def rows(query: str = "") -> list[str]:
        return [tr.attributes["data-legal"] for tr in html(curator.get(f"/curate/legal{query}")).css("#legal-documents tr[data-legal]")]

    assert rows() == ["36/2026/TT-BKHCN", "29/2025/TT-BKHCN", "68/2006/QH11"]
    assert rows("?kind=law") == ["68/2006/QH11"]
    assert rows("?status=replaced") == ["29/2025/TT-BKHCN"]
    assert rows("?status=in_force&kind=circular") == ["36/2026/TT-BKHCN"]
    assert rows("?q=muc+do+rui+ro") == ["36/2026/TT-BKHCN"]  # words without accents
    assert rows("?q=Th%C3%B4ng+t%C6%B0+29%2F2025%2Ftt-bkhcn") == ["29/2025/TT-BKHCN"]  # a spelling of the number
    assert rows("?q=qu%E1%BB%91c+h%E1%BB%99i") == ["68/2006/QH11"]  # the issuer
    page = html(curator.get("/curate/legal?status=replaced"))
    row = page.css_first('tr[data-legal="29/2025/TT-BKHCN"]')
    assert row.css_first('a[href="/curate/legal/29/2025/TT-BKHCN"]') is not None
    assert "đã được thay thế bởi 36/2026/TT-BKHCN" in text(row.css_first(".legal-stale"))
    bad = curator.get("/curate/legal?status=sap-het")
    assert bad.status_code == 400 and text(html(bad).css_first("p.error")).startswith("status: 'sap-het' không hợp lệ")
    assert len(html(bad).css("#legal-documents tr[data-legal]")) == 3


def test_only_curators_and_admins_from_this_site(kbase):
    _world(kbase)
    app = make_app(kbase)

    def refused(r) -> bool:
        return r.status_code in (401, 403) or r.headers.get("location", "").startswith("/login")

    form = {"code": "30/2011/TT-BTTTT", "status": "unknown"}
    for who, allowed in ((None, False), ("lab_a", False), ("curator", True), ("admin", True)):
        c = client_for(app, who)
        for r in (c.get("/curate/legal", follow_redirects=False), c.get("/curate/legal/new", follow_redirects=False),
                  c.get("/curate/legal/29/2025/TT-BKHCN", follow_redirects=False),
                  c.post("/curate/legal/29/2025/TT-BKHCN", data={**form, "code": "29/2025/TT-BKHCN", "version": "1"},
                         follow_redirects=False),
                  c.post("/api/legal", json={"code": f"1/2026/TT-{who or 'x'}"}),
                  c.patch("/api/legal/68/2006/QH11", json={"note": who})):
            assert refused(r) != allowed, (who, r.request.method, r.request.url, r.status_code)
    curator = client_for(app, "curator")
    for r in (curator.post("/curate/legal/new", data=form, headers={"Sec-Fetch-Site": "cross-site"}),
              curator.post("/api/legal", json=form, headers={"Sec-Fetch-Site": "cross-site"}),
              curator.patch("/api/legal/68/2006/QH11", json={"note": "x"}, headers={"Sec-Fetch-Site": "cross-site"})):
        assert r.status_code == 403
    with kbase.session() as s:
        assert legal.get_document(s, "30/2011/TT-BTTTT") is None
        assert legal.get_document(s, "68/2006/QH11").note == "admin"  # the last allowed caller


def test_json_create_patch_and_their_refusals(any_kbase):
    _world(any_kbase)
    curator = client_for(make_app(any_kbase), "curator")
    r = curator.post("/api/legal", json={"code": "36/2026/tt-bkhcn", "effective_from": START,
                                         "replaces": f"29/2025/TT-BKHCN@{START} (Điều 6)"})
    assert r.status_code == 201
    body = r.json()
    assert (body["code"], body["kind"], body["status"], body["version"]) == ("36/2026/TT-BKHCN", "circular", "in_force", 1)
    assert body["relations"][0] | {"relation_label": None} == {
        "relation": "replaces", "relation_label": None, "code": "29/2025/TT-BKHCN", "url": "/legal/29/2025/TT-BKHCN",
        "on": START, "basis": "Điều 6"}
    assert curator.get("/api/legal/29/2025/TT-BKHCN").json()["status"] == "replaced"

    assert curator.post("/api/legal", json={"code": "36/2026/TT-BKHCN"}).status_code == 409
    for bad in ({"code": "không số"}, {"code": "1/2026/TT-A", "issued": "30/06/2026"}, {"code": "1/2026/TT-A", "replace": "x"},
                {"code": "1/2026/TT-A", "status": "sắp hết"}, {"code": "1/2026/TT-A", "effective_from": "2026-07-01",
                                                               "effective_until": "2026-01-01"}):
        r = curator.post("/api/legal", json=bad)
        assert r.status_code == 400, (bad, r.text)
        assert r.json()["detail"]

    url = "/api/legal/36/2026/TT-BKHCN"
    r = curator.patch(url, json={"title": "Danh mục", "version": 1})
    assert (r.status_code, r.json()["title"], r.json()["version"]) == (200, "Danh mục", 2)
    assert r.json()["effective_from"] == START  # fields not sent are kept
    stale = curator.patch(url, json={"replaces": "", "version": 1})
    assert stale.status_code == 409
    assert stale.json()["changed"]["replaces"] == {"yours": "", "current": f"29/2025/TT-BKHCN@{START} (Điều 6)"}
    # a partial edit is checked against the stored dates
    r = curator.patch(url, json={"effective_until": (date.fromisoformat(START) - timedelta(days=1)).isoformat()})
    assert r.status_code == 400 and r.json()["detail"].startswith("effective_until:")
    assert curator.patch(url, json={}).status_code == 400
    assert curator.patch("/api/legal/99/2099/TT-BKHCN", json={"title": "x"}).status_code == 404
    r = curator.patch(url, json={"replaces": "", "version": 2})
    assert r.status_code == 200 and r.json()["relations"] == [] and r.json()["version"] == 3
    assert curator.get("/api/legal/29/2025/TT-BKHCN").json()["status"] == "unknown"


def test_standard_page_links_its_issuing_instrument_and_the_document_lists_it(kbase):
    _world(kbase)
    with kbase.session() as s:
        legal.upsert_document(s, legal.parse_document({"code": "36/2026/TT-BKHCN", "effective_from": START,
                                                       "replaces": f"29/2025/TT-BKHCN@{START}"}), "t")
        make_standard(s, "QCVN 4:2009/BKHCN", mandatory=True, issuing_instrument="Thông tư số 29/2025/TT-BKHCN")
        make_standard(s, "QCVN 9:2012/BKHCN", mandatory=True, issuing_instrument="Thông tư số 36/2026/TT-BKHCN")
        make_standard(s, "QCVN 19:2019/BCT", mandatory=True, issuing_instrument="Thông tư số 33/2019/TT-BCT")
    public = client_for(make_app(kbase), None)

    row = html(public.get("/standards/QCVN%204:2009/BKHCN")).css_first('.meta-row[data-field="issuing_instrument"] dd')
    link = row.css_first("a.legal-ref")
    assert (link.attributes["href"], link.attributes["data-legal"]) == ("/legal/29/2025/TT-BKHCN", "29/2025/TT-BKHCN")
    assert text(row.css_first(".legal-stale")) == \
        f"đã được thay thế bởi 36/2026/TT-BKHCN từ ngày {date.fromisoformat(START):%d/%m/%Y}"
    assert text(row).startswith("Thông tư số 29/2025/TT-BKHCN (đã được thay thế")

    current = html(public.get("/standards/QCVN%209:2012/BKHCN")).css_first('.meta-row[data-field="issuing_instrument"] dd')
    assert current.css_first("a.legal-ref").attributes["href"] == "/legal/36/2026/TT-BKHCN"
    assert current.css_first(".legal-stale") is None
    assert text(current.css_first('[data-legal-status="36/2026/TT-BKHCN"]')) == "36/2026/TT-BKHCN: còn hiệu lực"
    assert row.css_first("[data-legal-status]") is None  # a stale one carries its flag instead
    unknown = html(public.get("/standards/QCVN%2019:2019/BCT")).css_first('.meta-row[data-field="issuing_instrument"] dd')
    assert unknown.css_first("a") is None and text(unknown).startswith("Thông tư số 33/2019/TT-BCT")

    data = public.get("/api/standards/QCVN%204:2009/BKHCN").json()
    (doc,) = data["issuing_instrument_documents"]
    assert (doc["code"], doc["url"], doc["status"], doc["stale"]) == ("29/2025/TT-BKHCN", "/legal/29/2025/TT-BKHCN",
                                                                      "replaced", True)
    assert doc["replaced_by"] == [{"code": "36/2026/TT-BKHCN", "url": "/legal/36/2026/TT-BKHCN", "relation": "replaces",
                                   "on": START}]
    assert public.get("/api/standards/QCVN%2019:2019/BCT").json()["issuing_instrument_documents"] == []

    listed = html(public.get("/legal/29/2025/TT-BKHCN")).css("#cited-standards a")
    assert [a.attributes["href"] for a in listed] == ["/standards/QCVN%204:2009/BKHCN"]
    assert public.get("/api/legal/36/2026/TT-BKHCN").json()["cited_by"]["standards"][0]["code"] == "QCVN 9:2012/BKHCN"
