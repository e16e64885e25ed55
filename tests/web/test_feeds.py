"""Atom feeds of released notices: parsed as XML with their namespace, valid per RFC 4287 (ids, titles,
updated, author), absolute links only from KB_PUBLIC_URL, escaping, the page cache kept honest, 404s."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from kb import groups, mailer, notices
from kb.models import Notice, NoticeStatus
from tests.support.records import html, make_mapping, make_product, make_standard
from web.app import create_app

NS = {"a": "http://www.w3.org/2005/Atom"}
SITE = "https://tieuchuan.bacninh.example"


@pytest.fixture
def kb(any_kbase):
    any_kbase.settings.public_url = SITE
    any_kbase.settings.notice_hold_seconds = 0
    return any_kbase


@pytest.fixture
def web(kb):
    with TestClient(create_app(kbase=kb)) as c:
        yield c


def _world(kb) -> dict:
    with kb.session() as s:
        product = make_product(s, "Bánh phu thê Đình Bảng")
        std = make_standard(s, "QCVN 8-1:2011/BYT", title_vi="Độc tố vi nấm trong thực phẩm")
        group, _ = groups.upsert_group(s, groups.parse_group({"slug": "banh-keo", "name": "Bánh kẹo"}), "t")
        return {"product": product.id, "std": std.id, "group": group.id, "group_slug": group.slug}


def _map(kb, product_id: int, code: str, title: str = "Giới hạn kim loại nặng") -> None:
    from kb.models import Product

    with kb.session() as s:
        make_mapping(s, s.get(Product, product_id), make_standard(s, code, title_vi=title))


def _feed(web, url: str, **headers: str) -> ET.Element:
    r = web.get(url, headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(r.content)
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    _valid(root)
    return root


def _valid(feed: ET.Element) -> None:
    """What RFC 4287 requires of a feed and its entries (4.1.1, 4.1.2): one id, title, updated each; an
    author on the feed; every link absolute under the public URL."""
    for name in ("id", "title", "updated"):
        assert len(feed.findall(f"a:{name}", NS)) == 1, name
        assert feed.find(f"a:{name}", NS).text
    assert feed.find("a:author/a:name", NS).text
    assert feed.find("a:link[@rel='self']", NS) is not None and feed.find("a:link[@rel='alternate']", NS) is not None
    for entry in feed.findall("a:entry", NS):
        for name in ("id", "title", "updated", "summary"):
            assert len(entry.findall(f"a:{name}", NS)) == 1, name
            assert entry.find(f"a:{name}", NS).text
    for link in feed.iter("{http://www.w3.org/2005/Atom}link"):
        assert link.get("href").startswith(SITE + "/"), link.get("href")


def _entries(feed: ET.Element) -> list[dict]:
    return [{"id": e.find("a:id", NS).text, "title": e.find("a:title", NS).text,
             "summary": e.find("a:summary", NS).text, "link": e.find("a:link", NS).get("href"),
             "category": e.find("a:category", NS).get("label")} for e in feed.findall("a:entry", NS)]


def test_empty_feeds_are_valid_and_name_their_record(kb, web):
    w = _world(kb)
    product = _feed(web, f"/feeds/products/{w['product']}.atom")
    assert product.find("a:title", NS).text == "Thay đổi về sản phẩm Bánh phu thê Đình Bảng"
    assert product.find("a:link[@rel='alternate']", NS).get("href") == f"{SITE}/products/{w['product']}"
    assert product.find("a:link[@rel='self']", NS).get("href") == f"{SITE}/feeds/products/{w['product']}.atom"
    assert product.findall("a:entry", NS) == []
    group = _feed(web, f"/feeds/groups/{w['group']}.atom")
    assert "Bánh kẹo" in group.find("a:title", NS).text
    assert group.find("a:link[@rel='alternate']", NS).get("href") == f"{SITE}/groups/banh-keo"
    _feed(web, "/feeds/changes.atom")


def test_released_change_appears_on_the_feeds_of_whom_it_concerns(kb, web):
    w = _world(kb)
    before = _feed(web, f"/feeds/products/{w['product']}.atom")
    assert _entries(before) == []
    _map(kb, w["product"], "QCVN 8-2:2011/BYT")
    # pending: not on any feed yet (and the cached feed is still right)
    assert _entries(_feed(web, f"/feeds/products/{w['product']}.atom")) == []
    assert mailer.prepare(kb).released >= 1  # released by the delivery loop, not by a web request
    with kb.session() as s:
        n = s.exec(select(Notice).where(Notice.kind == "mapping_approved")).one()
        assert n.status == NoticeStatus.released
    entries = _entries(_feed(web, f"/feeds/products/{w['product']}.atom"))
    assert [e["title"] for e in entries] == [n.title]
    e = entries[0]
    assert e["summary"] == n.sentence and e["link"] == f"{SITE}/products/{w['product']}"
    assert e["category"] == notices.KIND_LABELS_VI["mapping_approved"]
    assert e["id"] == f"tag:tieuchuan.bacninh.example,2026:notices/{n.id}"
    # the standard's feed, under any spelling of its code; the everything feed; not the other standard's
    for spelling in ("QCVN 8-2:2011/BYT", "qcvn%208-2-2011-byt", "QCVN 08-2:2011/BYT"):
        feed = _feed(web, f"/feeds/standards/{spelling}.atom")
        assert [x["id"] for x in _entries(feed)] == [e["id"]], spelling
        assert feed.find("a:link[@rel='self']", NS).get("href") == f"{SITE}/feeds/standards/QCVN%208-2:2011/BYT.atom"
        assert feed.find("a:id", NS).text == "tag:tieuchuan.bacninh.example,2026:feeds/standards/" + feed_key(kb, "QCVN 8-2:2011/BYT")
    assert _entries(_feed(web, "/feeds/standards/QCVN 8-1:2011/BYT.atom")) == []
    assert e["id"] in [x["id"] for x in _entries(_feed(web, "/feeds/changes.atom"))]
    feed = _feed(web, f"/feeds/products/{w['product']}.atom")
    assert feed.find("a:updated", NS).text == feed.find("a:entry/a:updated", NS).text


def feed_key(kb, code: str) -> str:
    from kb.standards import get_standard

    with kb.session() as s:
        return get_standard(s, code).code_key


def test_title_with_markup_is_escaped_text(kb, web):
    w = _world(kb)
    _map(kb, w["product"], "TCVN 7087:2013")
    mailer.prepare(kb)
    with kb.session() as s:
        n = s.exec(select(Notice)).first()
        n.title, n.sentence = "Bánh <b>ngon</b> & \"rẻ\" </feed>", "Câu <script>alert(1)</script> & hết"
        s.add(n)
    r = web.get("/feeds/changes.atom")
    assert b"<script>" not in r.content and b"<b>" not in r.content
    entry = _entries(_feed(web, "/feeds/changes.atom"))[0]
    assert entry["title"] == "Bánh <b>ngon</b> & \"rẻ\" </feed>"
    assert entry["summary"] == "Câu <script>alert(1)</script> & hết"


def test_links_never_come_from_the_host_header(kb, web):
    w = _world(kb)
    _map(kb, w["product"], "TCVN 7087:2013")
    mailer.prepare(kb)
    for url in (f"/feeds/products/{w['product']}.atom", "/feeds/changes.atom", "/feeds/standards/TCVN 7087:2013.atom"):
        r = web.get(url, headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"})
        assert r.status_code == 200 and b"evil.example" not in r.content
        _valid(ET.fromstring(r.content))


def test_cached_feed_follows_a_release_made_outside_the_web_app(kb, web):
    """The page cache keeps a feed while the data fingerprint is unchanged: a notice released by the
    background loop (no web request, no POST to clear the cache) must move it."""
    w = _world(kb)
    _map(kb, w["product"], "TCVN 7087:2013")
    url = "/feeds/changes.atom"
    assert _entries(_feed(web, url)) == []
    assert _entries(_feed(web, url)) == []  # served from the cache now
    mailer.prepare(kb)
    assert len(_entries(_feed(web, url))) == 1


def test_unknown_records_are_404(kb, web):
    _world(kb)
    for url in ("/feeds/products/999999.atom", "/feeds/groups/999999.atom", "/feeds/standards/TCVN 9999:2099.atom",
                "/feeds/standards/khong-phai-ma.atom"):
        r = web.get(url)
        assert r.status_code == 404, url
        assert "Không" in r.text
    assert web.get("/feeds/products/0.atom").status_code in (400, 404, 422)


def test_pages_name_their_feed_in_the_head(kb, web):
    w = _world(kb)

    def feed_link(url: str) -> str:
        r = web.get(url, follow_redirects=True)
        assert r.status_code == 200, url
        links = html(r).css("head link[rel=alternate][type='application/atom+xml']")
        assert len(links) == 1 and links[0].attributes["title"], url
        return links[0].attributes["href"]

    assert feed_link(f"/products/{w['product']}") == f"/feeds/products/{w['product']}.atom"
    assert feed_link(f"/groups/{w['group_slug']}") == f"/feeds/groups/{w['group']}.atom"
    assert feed_link("/standards/QCVN 8-1:2011/BYT") == "/feeds/standards/QCVN%208-1:2011/BYT.atom"
    assert feed_link("/") == "/feeds/changes.atom"
    for href in (f"/feeds/products/{w['product']}.atom", f"/feeds/groups/{w['group']}.atom",
                 "/feeds/standards/QCVN%208-1:2011/BYT.atom", "/feeds/changes.atom"):
        _feed(web, href)
