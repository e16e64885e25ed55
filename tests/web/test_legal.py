"""Legal document pages and JSON through the app: the list by kind, one document (any spelling redirects),
Vietnamese 404s, legal bases linked and flagged on product and group pages, and the curators' impact view."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kb import groups, legal, mappings, products, standards
from kb.models import MappingSource, MappingStatus
from tests.support.accounts import client_for, make_app, seed
from tests.support.records import html, text

TODAY = date.today()
# Dated relative to today so the "status for today" the pages show is fixed whatever day the tests run.
START = (TODAY - timedelta(days=30)).isoformat()
BASIS = "Thông tư 29/2025/TT-BKHCN; Luật 68/2006/QH11"


@pytest.fixture
def world(kbase):
    """A law in force, an old circular replaced a month ago by a new one, a decision that expired; the
    seeded product's mapping and a group mapping cite the old circular and the law."""
    w = seed(kbase)
    with kbase.session() as s:
        for data in (
            {"code": "68/2006/QH11", "title": "Luật Tiêu chuẩn và quy chuẩn kỹ thuật", "issuer": "Quốc hội",
             "issued": "2006-06-29", "effective_from": "2007-01-01"},
            {"code": "29/2025/TT-BKHCN"},
            {"code": "36/2026/TT-BKHCN", "title": "Ban hành Danh mục sản phẩm, hàng hóa có mức độ rủi ro",
             "issuer": "Bộ Khoa học và Công nghệ", "effective_from": START, "replaces": f"29/2025/TT-BKHCN@{START}",
             "source_url": "https://datafiles.chinhphu.vn/cpp/files/vbpq/2026/7/36-bkhcn.signed.pdf"},
            {"code": "1182/QĐ-BCT", "effective_until": (TODAY - timedelta(days=2)).isoformat()},
        ):
            legal.upsert_document(s, legal.parse_document(data), "t")
        product = products.require_product(s, w.product)
        qc = standards.get_standard(s, "QCVN 8-1:2011/BYT")
        mappings.upsert_mapping(s, product, qc, "mandatory", "độc tố vi nấm", BASIS, MappingStatus.approved,
                                MappingSource.curator, "t")
        g = groups.upsert_group(s, groups.parse_group({"slug": "banh", "name": "Bánh kẹo", "kind": "trade"}), "t")[0]
        groups.upsert_group_mapping(s, g, qc, "mandatory", None, "Quyết định 1182/QĐ-BCT", "t")
    return w


@pytest.fixture
def app(kbase, world):
    return make_app(kbase)


def test_list_by_kind_with_status(app):
    page = html(client_for(app, None).get("/legal"))
    assert [sec.attributes["data-kind"] for sec in page.css("section[data-kind]")] == ["law", "circular", "decision"]
    status = {li.attributes["data-legal"]: li.attributes["data-status"] for li in page.css("li[data-legal]")}
    assert status == {"68/2006/QH11": "in_force", "36/2026/TT-BKHCN": "in_force", "29/2025/TT-BKHCN": "replaced",
                      "1182/QĐ-BCT": "expired"}
    old = page.css_first('li[data-legal="29/2025/TT-BKHCN"] .legal-stale')
    assert text(old) == f"đã được thay thế bởi 36/2026/TT-BKHCN từ ngày {date.fromisoformat(START):%d/%m/%Y}"


@pytest.mark.parametrize("spelling", ["/legal/36/2026/tt-bkhcn", "/legal/Th%C3%B4ng%20t%C6%B0%2036%2F2026%2FTT-BKHCN",
                                      "/legal/36%20/%202026%20/%20TT%20-%20BKHCN"])
def test_any_spelling_redirects_to_the_canonical_page(app, spelling):
    r = client_for(app, None).get(spelling, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (301, "/legal/36/2026/TT-BKHCN")


def test_document_page(app, world):
    c = client_for(app, None)
    page = html(c.get("/legal/36/2026/TT-BKHCN"))
    assert text(page.css_first("h1")) == "Thông tư 36/2026/TT-BKHCN"
    assert page.css_first("#legal-status").attributes["data-status"] == "in_force"
    rel = page.css_first('#relations li[data-relation="replaces"]')
    assert text(rel) == f"Thay thế 29/2025/TT-BKHCN từ ngày {date.fromisoformat(START):%d/%m/%Y}"
    assert rel.css_first("a").attributes["href"] == "/legal/29/2025/TT-BKHCN"

    old = html(c.get("/legal/29/2025/TT-BKHCN"))
    assert old.css_first("#legal-status").attributes["data-status"] == "replaced"
    assert old.css_first("#successors a").attributes["href"] == "/legal/36/2026/TT-BKHCN"
    assert [a.attributes["href"] for a in old.css("#cited-mappings a")] == \
        [f"/products/{world.product}", "/standards/QCVN%208-1:2011/BYT"]
    # Before the new circular took effect the old one was not replaced (and, with no dates of its own, the
    # knowledge base does not claim more).
    before = (date.fromisoformat(START) - timedelta(days=1)).isoformat()
    assert html(c.get(f"/legal/29/2025/TT-BKHCN?on={before}")).css_first("#legal-status").attributes["data-status"] \
        == "unknown"

    decision = html(c.get("/legal/1182/Q%C4%90-BCT"))
    assert [a.attributes["href"] for a in decision.css("#cited-groups a")] == \
        ["/groups/banh", "/standards/QCVN%208-1:2011/BYT"]
    assert "hết hiệu lực từ ngày" in text(decision.css_first("#legal-status"))


def test_json(app):
    c = client_for(app, None)
    listing = c.get("/api/legal").json()
    assert listing["count"] == 4 and [k["kind"] for k in listing["kinds"]] == ["law", "circular", "decision"]
    doc = c.get("/api/legal/29/2025/tt-bkhcn").json()
    assert (doc["code"], doc["status"], doc["stale"]) == ("29/2025/TT-BKHCN", "replaced", True)
    assert doc["replaced_by"] == [{"code": "36/2026/TT-BKHCN", "url": "/legal/36/2026/TT-BKHCN",
                                   "relation": "replaces", "on": START}]
    assert [m["product"]["id"] for m in doc["cited_by"]["mappings"]] == [1]
    assert c.get("/api/legal?on=01/07/2026").status_code == 400


def test_vietnamese_404(app):
    c = client_for(app, None)
    r = c.get("/legal/99/2099/TT-BKHCN")
    assert r.status_code == 404 and "Không có văn bản" in text(html(r).css_first("main"))
    r = c.get("/api/legal/khong-phai-so-hieu")
    assert r.status_code == 404 and r.json()["detail"].startswith("Không có văn bản")


def test_product_and_group_pages_link_and_flag_the_legal_basis(app, world):
    c = client_for(app, None)
    card = html(c.get(f"/products/{world.product}")).css_first('.standard-card[data-code="QCVN 8-1:2011/BYT"]')
    basis = card.css_first(".legal-basis")
    links = {a.attributes["data-legal"]: a.attributes["href"] for a in basis.css("a.legal-ref")}
    assert links == {"29/2025/TT-BKHCN": "/legal/29/2025/TT-BKHCN", "68/2006/QH11": "/legal/68/2006/QH11"}
    assert [a.attributes["data-stale"] for a in basis.css(".legal-stale")] == ["29/2025/TT-BKHCN"]
    assert "đã được thay thế bởi 36/2026/TT-BKHCN" in text(basis.css_first(".legal-stale"))

    gcard = html(c.get("/groups/banh")).css_first('.standard-card[data-code="QCVN 8-1:2011/BYT"]')
    assert gcard.css_first("a.legal-ref").attributes["href"] == "/legal/1182/Q%C4%90-BCT"
    assert text(gcard.css_first(".legal-stale")).startswith("hết hiệu lực từ ngày")


def test_impact_view_lists_stale_citations_for_curators(app, world):
    assert client_for(app, None).get("/curate/impact", follow_redirects=False).status_code in (302, 303, 401)
    page = html(client_for(app, "curator").get("/curate/impact"))
    cards = {a.attributes["data-legal"]: a for a in page.css("#legal-impact article[data-legal]")}
    assert set(cards) == {"29/2025/TT-BKHCN", "1182/QĐ-BCT"}
    assert [a.attributes["href"] for a in cards["29/2025/TT-BKHCN"].css("li a")] == ["/curate/mappings/2"]
    assert [a.attributes["href"] for a in cards["1182/QĐ-BCT"].css("li a")] == ["/curate/groups/banh"]


def test_cached_pages_follow_a_change_of_relations(app, kbase):
    c = client_for(app, None)
    status = lambda: html(c.get("/legal/29/2025/TT-BKHCN")).css_first("#legal-status").attributes["data-status"]  # noqa: E731
    assert status() == "replaced"
    with kbase.session() as s:  # the new circular no longer says it replaces the old one: only a relation changes
        legal.upsert_document(s, legal.parse_document({
            "code": "36/2026/TT-BKHCN", "title": "Ban hành Danh mục sản phẩm, hàng hóa có mức độ rủi ro",
            "issuer": "Bộ Khoa học và Công nghệ", "effective_from": START, "replaces": "",
            "source_url": "https://datafiles.chinhphu.vn/cpp/files/vbpq/2026/7/36-bkhcn.signed.pdf"}), "t")
    assert status() == "unknown"
