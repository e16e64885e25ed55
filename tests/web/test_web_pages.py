"""Every HTML page, parsed: structure and data, not substrings."""

from __future__ import annotations

from urllib.parse import unquote

from tests.support.records import html, make_product, make_standard, texts


def test_home_has_one_labelled_search_box_and_vietnamese_layout(client, world):
    tree = html(client.get("/"))
    assert tree.css_first("html").attributes["lang"] == "vi"
    forms = tree.css("form[role=search]")
    assert len(forms) == 1 and forms[0].attributes["action"] == "/search"
    q = forms[0].css_first("input[name=q]")
    assert tree.css_first(f"label[for={q.attributes['id']}]") is not None
    assert tree.css_first("a.skip").attributes["href"] == "#noi-dung"
    assert tree.css_first("main#noi-dung") is not None
    assert "Tra cứu" in texts(tree, "nav a")
    # no CDN: every stylesheet and script is served by the app itself
    for node in tree.css("link[rel=stylesheet], script[src]"):
        assert (node.attributes.get("href") or node.attributes.get("src")).startswith("/static/")


def test_search_groups_results_by_kind_with_highlighted_snippets(client, world):
    r = client.get("/search", params={"q": "banh phu the"})
    tree = html(r)
    assert tree.css_first("input[name=q]").attributes["value"] == "banh phu the"
    groups = tree.css("section.result-group")
    assert groups and groups[0].attributes["data-kind"] == "product"
    first = groups[0].css_first("li.hit a.hit-title")
    assert first.attributes["href"] == f"/products/{world.product_id}"
    assert first.text(strip=True) == "Bánh phu thê Đình Bảng"
    assert [m.text() for m in groups[0].css("p.snippet mark")][:1] == ["Bánh"]


def test_search_facets_narrow_results(client, world):
    tree = html(client.get("/search", params={"q": "aflatoxin"}))
    # the method standard names it: an answer; labs only test it (their scope, not their name): near
    assert {li.attributes["data-kind"] for li in tree.css("ol.hits:not(.near) li.hit")} == {"standard"}
    assert "lab" in {li.attributes["data-kind"] for li in tree.css("section.near-results li.hit")}
    tree = html(client.get("/search", params={"q": "hạn"}))  # "giới hạn" in a title, "hết hạn" in lab names
    kinds = {li.attributes["data-kind"] for li in tree.css("li.hit")}
    assert {"standard", "lab"} <= kinds
    facet = tree.css_first("section.facet[data-facet=kind]")
    assert facet is not None
    lab_link = next(a for a in facet.css("a") if "kind=lab" in a.attributes["href"])
    narrowed = html(client.get(lab_link.attributes["href"]))
    assert {li.attributes["data-kind"] for li in narrowed.css("li.hit")} == {"lab"}
    assert narrowed.css_first("section.facet[data-facet=kind] a[aria-current=true]") is not None


def test_code_query_opens_the_standard(client, world):
    r = client.get("/search", params={"q": "qcvn 8 1 2011"}, follow_redirects=False)
    assert r.status_code == 303
    assert unquote(r.headers["location"]) == f"/standards/{world.regulation}"
    page = client.get(r.headers["location"])
    assert html(page).css_first("h1 .code").text() == world.regulation


def test_empty_result_explains_what_to_try(client, world):
    tree = html(client.get("/search", params={"q": "xyzzyqwv"}))
    empty = tree.css_first("section.empty-result")
    assert empty is not None and "chưa có câu trả lời cho «xyzzyqwv»" in empty.text()
    assert empty.css_first("section.way-forward-contact") is not None and empty.css("a[href='/browse']")
    assert not tree.css("li.hit")


def test_did_you_mean_offers_a_link(client, world):
    tree = html(client.get("/search", params={"q": "aflatoxinn"}))
    dym = tree.css_first("p.did-you-mean a")
    assert dym.text() == "aflatoxin" and dym.attributes["href"] == "/search?q=aflatoxin"


def test_blank_search_goes_home(client, world):
    r = client.get("/search", params={"q": "   "}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_standard_page_any_spelling_redirects_to_canonical(client, world):
    r = client.get("/standards/qcvn8-1:2011/byt", follow_redirects=False)
    assert r.status_code == 301
    assert unquote(r.headers["location"]) == f"/standards/{world.regulation}"
    r = client.get("/standards/tcvn 7596", follow_redirects=False)  # undated: follows the edition in force
    assert r.status_code == 307 and unquote(r.headers["location"]) == f"/standards/{world.method}"


def test_standard_page_structure(client, world):
    tree = html(client.get(f"/standards/{world.regulation}"))
    assert tree.css_first("h1 .code").text() == world.regulation
    assert tree.css_first("link[rel=canonical]").attributes["href"] == "/standards/QCVN%208-1:2011/BYT"
    assert tree.css_first(".status-line .status-in_force") is not None
    title_row = tree.css_first('.meta-row[data-field="title_vi"]')
    assert "trang 1" in title_row.css_first(".prov").text() and title_row.css_first(".unverified")
    refs = tree.css("#vien-dan li")
    linked = [li.css_first("a") for li in refs if li.css_first("a")]
    assert [a.text() for a in linked] == [world.method]
    unknown = [li for li in refs if li.css_first(".code-unknown")]
    assert unknown[0].css_first(".code-unknown").text() == "ISO 16050"
    assert [q.text() for q in tree.css("#vien-dan .qualifier")][0] == "viện dẫn có năm"
    assert texts(tree, "#san-pham li a") == ["Bánh phu thê Đình Bảng"]
    rows = tree.css("table.criteria tbody tr")
    assert [r.css_first("th").text() for r in rows] == ["Aflatoxin B1", "Ochratoxin A"]
    assert {a.text() for a in rows[0].css("td a[href^='/labs/']")} == {"VILAS 1074", "VILAS 0999"}


def test_replaced_standard_shows_chain_and_editions(client, world):
    tree = html(client.get(f"/standards/{world.old_method}"))
    assert tree.css_first(".status-replaced") is not None
    assert texts(tree, "#replaced-by a") == [world.method]
    assert texts(tree, "#phien-ban a") == [world.method]
    newer = html(client.get(f"/standards/{world.method}"))
    assert texts(newer, "#thay-the a") == [world.old_method]
    assert texts(newer, "#duoc-vien-dan a") == [world.regulation]
    assert {li.attributes["data-lab-id"] for li in newer.css("#phong-thi-nghiem li.lab")} == {
        str(world.lab_id), str(world.lapsed_lab_id)}


def test_product_page_chain(client, world):
    tree = html(client.get(f"/products/{world.product_id}"))
    assert tree.css_first("h1").text() == "Bánh phu thê Đình Bảng"
    sections = [s.attributes["data-type"] for s in tree.css("section.mapping-group")]
    assert sections == ["mandatory", "test_method", "labelling"]  # mandatory rules apart, first
    codes = [a.text() for a in tree.css("section.mapping-group .standard-card h3 .code")]
    assert world.suggested not in codes
    reg = tree.css_first(f'.standard-card[data-code="{world.regulation}"]')
    assert reg.css_first(".rationale") and reg.css_first(".legal-basis")
    old = tree.css_first(f'.standard-card[data-code="{world.old_method}"]')
    assert "is-replaced" in old.attributes["class"] and [a.text() for a in old.css(".chain a")] == [world.method]
    states = {li.attributes["data-lab-id"]: li.css_first("[data-validity]").attributes["data-validity"]
              for li in tree.css("li.lab")}
    assert states == {str(world.lab_id): "valid", str(world.lapsed_lab_id): "lapsed",
                      str(world.expiring_lab_id): "expiring"}
    lab = tree.css_first(f'li.lab[data-lab-id="{world.lab_id}"]')
    assert lab.css_first("a[href^='tel:']") and lab.css_first("a[href^='mailto:']")
    step = tree.css_first("#viec-can-lam li.step")
    assert step.attributes["data-step"] == "hop_quy" and step.css_first("h3").text() == "Công bố hợp quy"


def test_product_without_mappings_says_so(client, world):
    tree = html(client.get(f"/products/{world.unmapped_product_id}"))
    assert not tree.css("section.mapping-group")
    assert tree.css_first("section.empty-result h2") is not None


def test_hop_chuan_for_voluntary_standard(client, kbase):
    from tests.support.records import make_mapping

    with kbase.session() as s:
        p = make_product(s, "Gạch Đông Ngàn", kind="key", ocop_stars=None)
        std = make_standard(s, "TCVN 1451:1998", title_vi="Gạch đặc đất sét nung")
        make_mapping(s, p, std, "voluntary")
        pid = p.id
    tree = html(client.get(f"/products/{pid}"))
    assert [li.attributes["data-step"] for li in tree.css("#viec-can-lam li.step")] == ["hop_chuan"]


def test_lab_page_scope_grouped_and_filterable(client, world):
    tree = html(client.get(f"/labs/{world.lab_id}"))
    assert tree.css_first("dd.acc").text() == "VILAS 1074"
    assert texts(tree, "section.scope-group h3") == ["Thực phẩm, ngũ cốc", "Thức ăn chăn nuôi"]
    superseded = tree.css("tr.scope-row.superseded")
    assert len(superseded) == 1 and superseded[0].css_first("a").text() == world.old_method
    filtered = html(client.get(f"/labs/{world.lab_id}", params={"q": "thuc an"}))
    assert texts(filtered, "tr.scope-row th") == ["Aflatoxin tổng"]


def test_lapsed_lab_warns(client, world):
    tree = html(client.get(f"/labs/{world.lapsed_lab_id}"))
    assert tree.css_first("[data-validity=lapsed]") is not None
    assert tree.css_first("header .warning") is not None


def test_browse_pages(client, world):
    tree = html(client.get("/browse"))
    assert tree.css_first("ul.chips[data-facet=group] a") is not None
    products = html(client.get("/browse/products", params={"kind": "ocop", "stars": 3}))
    assert texts(products, "table.listing tbody th a") == ["Gạo nếp cái hoa vàng"]
    active = products.css_first("section.facet[data-facet=stars] a[aria-current=true]")
    assert active is not None
    standards = html(client.get("/browse/standards", params={"status": "replaced"}))
    assert texts(standards, "table.listing tbody th a") == [world.old_method]


def test_coverage_page_with_svg_charts(client, world):
    tree = html(client.get("/coverage"))
    charts = tree.css("figure.chart svg")
    assert len(charts) == 3
    assert all(svg.attributes.get("role") == "img" and svg.css_first("title") for svg in charts)
    assert tree.css("figure.chart svg rect.bar")
    assert texts(tree, "#san-pham-chua-anh-xa li a") == ["Gạo nếp cái hoa vàng"]
    assert texts(tree, "#chi-tieu-chua-thu-duoc tbody th") == ["Ochratoxin A"]
    assert {a.text() for a in tree.css("#phong-thi-nghiem-het-han li a")} == {
        "Phòng thử nghiệm hết hạn", "Phòng thí nghiệm sắp hết hạn"}
    assert texts(tree, "#anh-xa-tren-van-ban-cu tbody td a") == [world.old_method]


def test_static_assets_served(client):
    css = client.get("/static/site.css")
    assert css.status_code == 200 and "@media print" in css.text
    assert client.get("/static/search.js").status_code == 200


def test_source_pdf_only_when_it_may_be_shown(client, kbase, world, settings):
    from sqlmodel import select

    from kb.models import Document, Standard

    stored = settings.data_dir / "files" / "ab" / "x.pdf"
    stored.parent.mkdir(parents=True)
    stored.write_bytes(b"%PDF-1.4 demo")
    with kbase.session() as s:
        doc = Document(sha256="ab" * 32, file_name="73a8" + "ab" * 30 + ".pdf", stored_path="files/ab/x.pdf", pages=3)
        s.add(doc)
        s.flush()
        std = s.exec(select(Standard).where(Standard.code == world.voluntary)).one()
        std.document_id = doc.id
        s.add(std)
        doc_id = doc.id
    page = html(client.get(f"/standards/{world.voluntary}"))
    # the public sees what the file is, never its stored name (here a content hash)
    assert page.css_first("p.source").text(strip=True) == "Nguồn: văn bản gốc (PDF, 3 trang)."
    assert "73a8" not in client.get(f"/standards/{world.voluntary}").text
    assert page.css_first("p.source a") is None
    assert client.get(f"/documents/{doc_id}/file").status_code == 404
    with kbase.session() as s:
        doc = s.get(Document, doc_id)
        doc.may_show = True
        s.add(doc)
        std = s.exec(select(Standard).where(Standard.code == world.voluntary)).one()
        std.version += 1  # curators' edits bump the version; here it also refreshes the page cache
        from kb.models import utcnow
        std.updated_at = utcnow()
        s.add(std)
    page = html(client.get(f"/standards/{world.voluntary}"))
    assert page.css_first("p.source a").attributes["href"] == f"/documents/{doc_id}/file"
    r = client.get(f"/documents/{doc_id}/file")
    assert r.status_code == 200 and r.content == b"%PDF-1.4 demo"
    assert r.headers["content-type"] == "application/pdf"
    assert "73a8" not in r.headers["content-disposition"] and world.voluntary.split()[0] in r.headers["content-disposition"]
    with kbase.session() as s:
        doc = s.get(Document, doc_id)
        doc.stored_path = "../../etc/passwd"
        s.add(doc)
    assert client.get(f"/documents/{doc_id}/file").status_code == 404


def test_head_requests_answer_like_get(client, world):
    for path in ("/", f"/products/{world.product_id}", "/coverage"):
        r = client.head(path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), path


def test_navigation_marks_the_current_section(client, world):
    tree = html(client.get("/browse/products"))
    assert [a.text() for a in tree.css("nav a[aria-current=page]")] == ["Duyệt danh mục"]
