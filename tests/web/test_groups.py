"""Product group pages (public and curator) and the inherited standards on product pages, through the app."""

from __future__ import annotations

import pytest
from sqlmodel import select

from kb import groups, mappings, products, standards
from kb.models import AuditEvent, MappingSource, MappingStatus, ProductCreate, StandardCreate, StandardStatus
from tests.support.accounts import client_for, make_app, seed
from tests.support.procedures import load_procedures
from tests.support.records import html, text

XSS = '<script>alert("x")</script>'


@pytest.fixture
def world(kbase):
    """Seeded accounts, then: food ⊃ alcoholic drinks (QCVN 6-3, mandatory) and food (QCVN 8-2); a rice wine
    with its own approved QCVN 8-2 mapping; a noodle with none of its own."""
    w = seed(kbase)
    load_procedures(kbase)
    with kbase.session() as s:
        qc82 = standards.upsert_standard(s, StandardCreate(code="QCVN 8-2:2011/BYT", title_vi="Kim loại nặng trong thực phẩm",
                                                           status=StandardStatus.in_force, mandatory=True),
                                         actor="t", source="import")[0]
        qc63 = standards.upsert_standard(s, StandardCreate(code="QCVN 6-3:2010/BYT", title_vi="Đồ uống có cồn",
                                                           status=StandardStatus.in_force, mandatory=True),
                                         actor="t", source="import")[0]
        for row in (
            {"slug": "thuc-pham", "name": "Thực phẩm", "kind": "ocop", "route": "Tự công bố theo Nghị định 15/2018/NĐ-CP.",
             "sources": "https://example.gov.vn/qd-148; Quyết định 148/QĐ-TTg"},
            {"slug": "ruou", "name": "Đồ uống có cồn", "kind": "ocop", "parent": "thuc-pham", "keywords": "rượu"},
            {"slug": "mi-gao", "name": "Mì gạo", "kind": "trade", "keywords": "mì gạo", "parent": "thuc-pham"},
            {"slug": "hs-0810", "name": "Mã HS 08.10: Quả khác, tươi", "kind": "hs_chapter", "hs_codes": "0810"},
        ):
            groups.upsert_group(s, groups.parse_group(row), "t")
        wine = products.upsert_product(s, ProductCreate(name="Rượu làng Vân"), "t")[0]
        noodle = products.upsert_product(s, ProductCreate(name="Mì gạo Chũ"), "t")[0]
        mappings.upsert_mapping(s, wine, qc82, "hygiene", "Riêng của sản phẩm", None, MappingStatus.approved,
                                MappingSource.curator, "t")
        groups.refresh_members(s, "t")
        groups.upsert_group_mapping(s, groups.require_group(s, "thuc-pham"), qc82, "hygiene", "Cả nhóm thực phẩm",
                                    None, "t")
        groups.upsert_group_mapping(s, groups.require_group(s, "ruou"), qc63, "mandatory", "Đồ uống có cồn",
                                    "Nghị định 15/2018/NĐ-CP", "t")
        w.wine, w.noodle = wine.id, noodle.id
    return w


@pytest.fixture
def app(kbase, world):
    return make_app(kbase)


def test_groups_tree_and_group_page(app, world):
    c = client_for(app, None)
    tree = html(c.get("/groups"))
    assert [s.attributes["data-kind"] for s in tree.css("section[data-kind]")] == ["trade", "hs_chapter", "ocop"]
    ocop = tree.css_first("section[data-kind=ocop]")
    children = ocop.css("li[data-group=thuc-pham] > ul > li")
    assert [li.attributes["data-group"] for li in children] == ["ruou"]  # a child under its parent of its kind
    assert tree.css_first("li[data-group=mi-gao]").parent.parent.attributes["data-kind"] == "trade"

    page = html(c.get("/groups/ruou"))
    assert text(page.css_first("h1")) == "Đồ uống có cồn"
    assert page.css_first("#parent").attributes["href"] == "/groups/thuc-pham"
    assert [a.attributes["href"] for a in page.css("#members a")] == [f"/products/{world.wine}"]
    cards = {card.attributes["data-code"]: card for card in page.css("#group-standards .standard-card")}
    assert set(cards) == {"QCVN 6-3:2010/BYT", "QCVN 8-2:2011/BYT"}
    assert text(cards["QCVN 6-3:2010/BYT"].css_first(".inherited")) == "Áp dụng cho cả nhóm Đồ uống có cồn"
    assert cards["QCVN 8-2:2011/BYT"].css_first(".inherited a").attributes["href"] == "/groups/thuc-pham"
    assert cards["QCVN 6-3:2010/BYT"].css_first("h3 a").attributes["href"] == "/standards/QCVN%206-3:2010/BYT"
    assert "Còn hiệu lực" in text(cards["QCVN 6-3:2010/BYT"])
    assert "Chưa có hướng dẫn chung" in text(page.css_first("#route"))

    top = html(c.get("/groups/thuc-pham"))
    assert text(top.css_first("#route p")) == "Tự công bố theo Nghị định 15/2018/NĐ-CP."
    assert [a.attributes["href"] for a in top.css("#sources a")] == ["https://example.gov.vn/qd-148"]
    assert "Quyết định 148/QĐ-TTg" in text(top.css_first("#sources"))
    assert {a.attributes["href"] for a in top.css("#children a")} == {"/groups/ruou", "/groups/mi-gao"}

    browse = html(c.get("/browse"))
    assert browse.css_first("a[href='/groups']") is not None


def test_group_json_matches_the_page_and_404s_are_vietnamese(app, world):
    c = client_for(app, None)
    tree = c.get("/api/groups").json()
    assert tree["total"] == 4
    ocop = next(k for k in tree["kinds"] if k["kind"] == "ocop")
    assert ocop["groups"][0]["slug"] == "thuc-pham" and ocop["groups"][0]["children"][0]["slug"] == "ruou"
    g = c.get("/api/groups/ruou").json()
    assert g["parent"] == {"slug": "thuc-pham", "name": "Thực phẩm", "url": "/groups/thuc-pham"}
    assert [m["id"] for m in g["members"]] == [world.wine]
    by_code = {m["code"]: m for m in g["mappings"]}
    assert by_code["QCVN 6-3:2010/BYT"]["inherited_from"] is None
    assert by_code["QCVN 8-2:2011/BYT"]["inherited_from"]["slug"] == "thuc-pham"
    assert by_code["QCVN 6-3:2010/BYT"]["mandatory"] is True

    r = c.get("/api/groups/khong-co")
    assert r.status_code == 404 and r.json()["detail"] == "Không có nhóm sản phẩm 'khong-co'"
    page = c.get("/groups/khong-co")
    assert page.status_code == 404 and "Không có nhóm sản phẩm" in text(html(page).css_first("main"))
    assert c.get("/groups/" + "a" * 81).status_code == 400
    assert c.get("/api/groups/%3Cscript%3E").status_code == 404


def test_product_page_shows_its_groups_and_inherited_standards_once(app, world):
    c = client_for(app, None)
    data = c.get(f"/api/products/{world.wine}").json()
    assert [(g["slug"], (g["via"] or {}).get("slug")) for g in data["product_groups"]] == [("ruou", None), ("thuc-pham", "ruou")]
    by_code = {s["code"]: s for s in data["standards"]}
    assert list(by_code) == ["QCVN 6-3:2010/BYT", "QCVN 8-2:2011/BYT"]  # 8-2 once: its own mapping wins
    assert by_code["QCVN 8-2:2011/BYT"]["inherited_from"] is None
    assert by_code["QCVN 8-2:2011/BYT"]["rationale"] == "Riêng của sản phẩm"
    assert by_code["QCVN 6-3:2010/BYT"]["inherited_from"] == {"slug": "ruou", "name": "Đồ uống có cồn", "url": "/groups/ruou"}
    assert by_code["QCVN 6-3:2010/BYT"]["mapping_id"] is None and by_code["QCVN 6-3:2010/BYT"]["mandatory"] is True
    assert any(step["kind"] == "tu_cong_bo" for step in data["next_steps"])

    page = html(c.get(f"/products/{world.wine}"))
    assert [a.attributes["href"] for a in page.css(".product-groups a")] == ["/groups/ruou", "/groups/thuc-pham"]
    mandatory = page.css_first("section[data-type=mandatory]")
    card = mandatory.css_first("[data-code='QCVN 6-3:2010/BYT']")
    assert text(card.css_first(".inherited")) == "Áp dụng cho cả nhóm Đồ uống có cồn"
    assert card.css_first(".inherited a").attributes["href"] == "/groups/ruou"
    own = page.css_first("section[data-type=hygiene] [data-code='QCVN 8-2:2011/BYT']")
    assert own.css_first(".inherited") is None
    assert len(page.css("article.standard-card[data-code='QCVN 8-2:2011/BYT']")) == 1  # once among the cards

    # A product with nothing of its own still finds its way through its group.
    noodle = c.get(f"/api/products/{world.noodle}").json()
    assert [(s["code"], s["inherited_from"]["slug"]) for s in noodle["standards"]] == [("QCVN 8-2:2011/BYT", "thuc-pham")]
    assert "Áp dụng cho cả nhóm Thực phẩm" in text(html(c.get(f"/products/{world.noodle}")).css_first("main"))


def test_curator_creates_edits_and_places_products(app, kbase, world):
    c = client_for(app, "curator")
    assert html(c.get("/curate/groups")).css_first("tr[data-group=ruou]") is not None
    assert html(c.get("/curate/groups/new")).css_first("#group-form") is not None
    r = c.post("/curate/groups", data={"slug": "Gốm Phù Lãng", "name": "Gốm"}, follow_redirects=False)
    assert r.status_code == 400 and "slug:" in text(html(r).css_first("[role=alert]"))
    assert html(r).css_first("#g-name").attributes["value"] == "Gốm"  # the form keeps what was typed
    r = c.post("/curate/groups", data={"slug": "ruou", "name": "Trùng"}, follow_redirects=False)
    assert r.status_code == 409
    r = c.post("/curate/groups", data={"slug": "gom-phu-lang", "name": "Gốm Phù Lãng " + XSS, "kind": "trade",
                                       "keywords": "gốm Phù Lãng", "hs_codes": "69.13", "sources": "https://a.vn/x\nSách B"},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/curate/groups/gom-phu-lang")
    public = c.get("/groups/gom-phu-lang")
    assert XSS not in public.text and not [s for s in html(public).css("script") if "alert" in (s.text() or "")]
    with kbase.session() as s:
        g = groups.require_group(s, "gom-phu-lang")
        assert g.hs_codes == ["6913"] and g.sources == "https://a.vn/x\nSách B" and g.version == 1
        pid = products.upsert_product(s, ProductCreate(name="Chum gốm Phù Lãng"), "t")[0].id

    page = html(c.get("/curate/groups/gom-phu-lang"))
    assert "readonly" in page.css_first("#g-slug").attributes
    form = {i.attributes["name"]: i.attributes.get("value") or "" for i in page.css("#group-form input")
            if i.attributes.get("type") != "checkbox"}
    r = c.post("/curate/groups/gom-phu-lang", data={**form, "name": "Gốm Phù Lãng", "route": "Tự công bố."},
               follow_redirects=False)
    assert r.status_code == 303
    stale = c.post("/curate/groups/gom-phu-lang", data={**form, "name": "Sửa cũ"}, follow_redirects=False)
    assert stale.status_code == 409  # loaded at version 1, saved since

    # Saving the group ran the automatic pass: the product created meanwhile is a member now.
    rows = html(c.get("/curate/groups/gom-phu-lang")).css("#members tbody tr[data-product-id]")
    assert [(r.attributes["data-product-id"], r.attributes["data-source"]) for r in rows] == [(str(pid), "auto")]
    r = c.post(f"/curate/groups/gom-phu-lang/members/{pid}/remove", follow_redirects=False)
    assert r.status_code == 303
    row = html(c.get("/curate/groups/gom-phu-lang")).css_first(f"#members tr[data-product-id='{pid}']")
    assert row.attributes.get("data-excluded") == "1"
    assert html(c.get("/groups/gom-phu-lang")).css("#members a") == []
    assert c.post("/curate/groups/gom-phu-lang/members", data={"product": "Bánh phu thê Đình Bảng"},
                  follow_redirects=False).status_code == 303
    missing = c.post("/curate/groups/gom-phu-lang/members", data={"product": "Không có"}, follow_redirects=False)
    assert missing.status_code == 404 and "Không tìm thấy sản phẩm" in missing.text

    # A curator's product save runs the pass for that product.
    r = c.post(f"/curate/products/{world.product}", data={"name": "Bánh phu thê Đình Bảng", "version": "1", "kind": "ocop",
                                                          "category": "Rượu ngâm"}, follow_redirects=False)
    assert r.status_code == 303
    with kbase.session() as s:
        names = {p.name for _, p in groups.members(s, groups.require_group(s, "ruou"))}
        assert "Bánh phu thê Đình Bảng" in names

    r = c.post("/curate/groups/gom-phu-lang/mappings", data={"standard": "qcvn 8-2 2011 byt", "type": "hygiene",
                                                             "rationale": "Chum đựng thực phẩm"}, follow_redirects=False)
    assert r.status_code == 303
    bad = c.post("/curate/groups/gom-phu-lang/mappings", data={"standard": "QCVN 99:2099/BYT", "type": "hygiene"},
                 follow_redirects=False)
    assert bad.status_code == 400 and "chưa có trong cơ sở dữ liệu" in bad.text
    remove = html(c.get("/curate/groups/gom-phu-lang")).css_first("#group-mappings form")
    version = remove.css_first("input[name=version]").attributes["value"]
    wrong_group = c.post(remove.attributes["action"].replace("gom-phu-lang", "ruou"), data={"version": version},
                         follow_redirects=False)
    assert wrong_group.status_code == 404
    assert c.post(remove.attributes["action"], data={"version": version}, follow_redirects=False).status_code == 303
    with kbase.session() as s:
        entities = set(s.exec(select(AuditEvent.entity).where(AuditEvent.actor == "curator")).all())
    assert {"product_group", "group_member", "group_mapping"} <= entities


@pytest.mark.parametrize("caller, status", [(None, 401), ("lab_a", 403)])
def test_curator_group_routes_need_a_curator(app, world, caller, status):
    c = client_for(app, caller)
    r = c.post("/curate/groups", data={"slug": "x", "name": "X"}, headers={"Accept": "application/json"},
               follow_redirects=False)
    assert r.status_code == status
    r = c.post("/curate/groups/ruou/members", data={"product": "Rượu làng Vân"}, headers={"Accept": "application/json"},
               follow_redirects=False)
    assert r.status_code == status


def test_cached_group_and_product_pages_follow_group_changes(app, kbase, world):
    """The page cache keeps a page while the data is unchanged: a member excluded, a group mapping added or a
    group renamed outside the web (CLI, import) must still show at once."""
    c = client_for(app, None)
    assert [m["id"] for m in c.get("/api/groups/ruou").json()["members"]] == [world.wine]
    before = c.get(f"/api/products/{world.wine}").json()
    with kbase.session() as s:
        g = groups.require_group(s, "ruou")
        groups.remove_member(s, g, products.require_product(s, world.wine), "cli")
    assert c.get("/api/groups/ruou").json()["members"] == []
    after = c.get(f"/api/products/{world.wine}").json()
    assert [g["slug"] for g in after["product_groups"]] == [] != [g["slug"] for g in before["product_groups"]]
    with kbase.session() as s:
        groups.add_member(s, groups.require_group(s, "ruou"), products.require_product(s, world.wine), "cli")
    assert [m["id"] for m in c.get("/api/groups/ruou").json()["members"]] == [world.wine]
    with kbase.session() as s:
        groups.upsert_group(s, groups.parse_group({"slug": "ruou", "name": "Rượu"}), "cli")
    assert c.get("/api/groups/ruou").json()["name"] == "Rượu"
    assert "Rượu" in {g["name"] for g in c.get(f"/api/products/{world.wine}").json()["product_groups"]}


def test_group_pages_carry_the_mandatory_state_and_curators_review_groups(app, kbase, world):
    c = client_for(app, None)
    # Đồ uống có cồn passes on its own mandatory QCVN 6-3 and the hygiene QCVN 8-2 of its parent.
    data = c.get("/api/groups/ruou").json()["mandatory"]
    assert data["state"] == "regulations"
    assert [(r["code"], (r["inherited_from"] or {}).get("slug")) for r in data["regulations"]] == [
        ("QCVN 6-3:2010/BYT", None), ("QCVN 8-2:2011/BYT", "thuc-pham")]
    sec = html(c.get("/groups/ruou")).css_first("section#bat-buoc")
    assert sec.attributes["data-state"] == "regulations"
    assert "áp dụng cho cả nhóm Thực phẩm" in text(sec)
    # A group with nothing: "chưa rà soát" until a curator records the review.
    assert c.get("/api/groups/hs-0810").json()["mandatory"]["state"] == "unreviewed"
    cur = client_for(app, "curator")
    form = html(cur.get("/curate/groups/hs-0810")).css_first("#mandatory-review-form")
    version = form.css_first("input[name=version]").attributes["value"]
    r = cur.post(form.attributes["action"], data={"version": version, "note": "Quả tươi: chỉ tự công bố"},
                 follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("?ok=mandatory-reviewed"), r.text
    data = c.get("/api/groups/hs-0810").json()["mandatory"]
    assert (data["state"], data["reviewed_by"], data["note"]) == ("none", "curator", "Quả tươi: chỉ tự công bố")
    assert html(c.get("/groups/hs-0810")).css_first("section#bat-buoc").attributes["data-state"] == "none"
    with kbase.session() as s:
        events = s.exec(select(AuditEvent).where(AuditEvent.entity == "product_group", AuditEvent.action == "review")).all()
        assert len(events) == 1
    # Refused where a regulation applies: the curator page comes back with the reason, nothing recorded.
    r = cur.post("/curate/groups/ruou/mandatory-review", data={"version": "1", "note": ""})
    assert r.status_code == 400 and "QCVN 6-3:2010/BYT" in r.text
    assert c.get("/api/groups/ruou").json()["mandatory"]["state"] == "regulations"
    # Cleared again: back to "chưa rà soát".
    form = html(cur.get("/curate/groups/hs-0810")).css_first("#mandatory-review-clear")
    r = cur.post(form.attributes["action"], data={"version": form.css_first("input[name=version]").attributes["value"]},
                 follow_redirects=False)
    assert r.status_code == 303
    assert c.get("/api/groups/hs-0810").json()["mandatory"]["state"] == "unreviewed"
    assert client_for(app, None).post("/curate/groups/hs-0810/mandatory-review", data={"version": "1"}).status_code == 401
