"""Hostile input from signed-in users: every refusal is a 4xx with a Vietnamese message, never a 500; no
stored address other than http(s) becomes a link; a 500 page carries the security headers (issue 15)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from sqlmodel import select

from kb import mappings
from kb.errors import BadInput
from kb.links import check_url, safe_href
from kb.models import Lab, Mapping, MappingSource, MappingStatus, Product, Standard
from kb.text import is_digits
from tests.support.accounts import client_for, make_app, seed
from web.headers import HEADERS

HOSTILE_URLS = ["javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "vbscript:msgbox(1)",
                "data:text/html,<script>alert(1)</script>", "//evil.example/x", "http:alert(1)", "ftp://x.example/",
                "http:// evil", "java\tscript:alert(1)"]


def html(r) -> HTMLParser:
    return HTMLParser(r.text)


@pytest.fixture
def world(any_kbase):
    return seed(any_kbase)


@pytest.fixture
def app(any_kbase, world):
    return make_app(any_kbase)


def test_ascii_digits_only():
    assert is_digits("0123") and not is_digits("") and not is_digits(None)
    for text in ("²", "1²", "①", "٣", "１", "-1", "1.0"):
        assert not is_digits(text), text


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_only_web_addresses_pass_the_one_check(url):
    with pytest.raises(BadInput) as refused:
        check_url(url, "trang web")
    assert "http://" in refused.value.message
    assert safe_href(url) is None
    assert check_url(" https://vilas.example.vn/a?b=1 ", "trang web") == "https://vilas.example.vn/a?b=1"
    assert check_url("", "trang web") is None


def test_superscript_digits_are_refused_not_500(app, world):
    c = client_for(app, "curator")
    r = c.post("/api/mappings", json={"product": "²", "standard": "QCVN 8-1:2011/BYT"})
    assert r.status_code == 404, r.text  # "²" is a name no product has, not a number
    r = c.post("/curate/mappings", data={"product": "#²", "standard": "QCVN 8-1:2011/BYT"})
    assert r.status_code == 404, r.text
    assert html(r).css_first("[role=alert]") is not None
    r = c.post(f"/curate/products/{world.product}", data={"version": "²", "name": "Bánh", "kind": "ocop"})
    assert r.status_code == 400 and "phiên bản" in html(r).css_first("[role=alert]").text()
    r = c.post(f"/curate/products/{world.product}", data={"version": "1", "name": "Bánh", "kind": "ocop",
                                                         "ocop_stars": "³"})
    assert r.status_code == 400 and "ocop_stars" in html(r).css_first("[role=alert]").text()
    r = c.post(f"/curate/review/{world.old_std}", data={"version": "¹", "criteria_rows": "²", "year": "²"})
    assert r.status_code == 400, r.text
    r = c.post(f"/curate/review/{world.old_std}", data={"version": "1", "criteria_rows": "²", "title_vi": "Bê tông"},
               follow_redirects=False)
    assert r.status_code in (303, 400, 409), r.text


def test_product_edit_without_kind_is_a_form_error(app, any_kbase, world):
    c = client_for(app, "curator")
    r = c.post(f"/curate/products/{world.product}", data={"version": "1", "name": "Bánh phu thê", "kind": ""})
    assert r.status_code == 400
    assert "loại sản phẩm" in html(r).css_first("[role=alert]").text()
    with any_kbase.session() as s:
        p = s.get(Product, world.product)
        assert (p.name, p.kind.value, p.version) == ("Bánh phu thê Đình Bảng", "ocop", 1)


def test_changing_a_mapping_to_a_type_the_pair_has_is_409(app, any_kbase, world):
    with any_kbase.session() as s:
        product, std = s.get(Product, world.product), s.get(Standard, world.old_std)
        twin, _ = mappings.upsert_mapping(s, product, std, "mandatory", None, None, MappingStatus.approved,
                                          MappingSource.curator, "test")
        twin_id = twin.id
    c = client_for(app, "curator")
    r = c.patch(f"/api/mappings/{world.mapping}", json={"type": "mandatory", "version": 1})
    assert r.status_code == 409, r.text
    assert f"#{twin_id}" in r.json()["detail"] and "loại" in r.json()["detail"]
    r = c.post(f"/curate/mappings/{world.mapping}", data={"version": "1", "type": "mandatory"})
    assert r.status_code == 409
    assert f"#{twin_id}" in html(r).css_first("[role=alert]").text()
    with any_kbase.session() as s:
        types = sorted(m.type.value for m in s.exec(select(Mapping).where(Mapping.product_id == world.product)))
    assert types == ["mandatory", "test_method"]


@pytest.mark.parametrize(("method", "path", "kwargs"), [
    ("get", "/api/mappings?product=b%00nh", {}),
    ("get", "/curate/suggestions?product=b%00nh&standard=QCVN", {}),
    ("get", "/curate/review?q=%00", {}),
    ("get", "/api/search?q=b%00nh", {}),
    ("post", "/curate/mappings", {"data": {"product": "Bánh\x00", "standard": "QCVN 8-1:2011/BYT"}}),
    ("post", "/api/mappings", {"json": {"product": "Bánh\x00", "standard": "QCVN 8-1:2011/BYT"}}),
])
def test_nul_is_refused_at_the_boundary(app, method, path, kwargs):
    c = client_for(app, "curator")
    r = getattr(c, method)(path, **kwargs)
    assert r.status_code == 400, r.text
    assert "NUL" in (r.json()["detail"] if r.headers["content-type"].startswith("application/json") else r.text)


def test_hostile_websites_are_refused_on_input(app, any_kbase, world):
    c = client_for(app, "lab_a")
    for url in HOSTILE_URLS[:5]:
        r = c.post(f"/lab/{world.lab_a}/profile", data={"version": "1", "name": "Phòng thí nghiệm A", "website": url})
        assert r.status_code == 400, url
        assert "http://" in html(r).css_first("[role=alert]").text()
    r = c.post(f"/lab/{world.lab_a}/profile", data={"version": "1", "name": "Phòng thí nghiệm A",
                                                     "website": "https://vilas1001.example.vn"}, follow_redirects=False)
    assert r.status_code == 303
    cur = client_for(app, "curator")
    r = cur.post(f"/curate/products/{world.product}", data={"version": "1", "name": "Bánh phu thê Đình Bảng",
                                                            "kind": "ocop", "source_url": "data:text/html,x"})
    assert r.status_code == 400 and "http://" in html(r).css_first("[role=alert]").text()


def test_addresses_stored_before_are_shown_as_text(app, any_kbase, world):
    with any_kbase.session() as s:  # as an older version of the site, or a direct import, may have stored them
        lab, product = s.get(Lab, world.lab_a), s.get(Product, world.product)
        lab.website = "javascript:alert(document.cookie)"
        product.source_url = "data:text/html,<script>alert(1)</script>"
        s.add(lab)
        s.add(product)
        s.commit()
    c = TestClient(app)
    for page, text in ((f"/labs/{world.lab_a}", "javascript:alert(document.cookie)"),
                       (f"/products/{world.product}", "data:text/html")):
        r = c.get(page)
        assert r.status_code == 200, page
        tree = html(r)
        hrefs = [a.attributes.get("href") or "" for a in tree.css("a[href]")]
        assert not [h for h in hrefs if ":" in h.split("/")[0] and not h.startswith(("http:", "https:", "mailto:", "tel:"))]
        assert text in tree.body.text()  # still shown, as text


def test_server_error_page_carries_security_headers(any_kbase):
    app = make_app(any_kbase)

    @app.get("/_boom")
    def boom() -> None:  # a route that fails as an unforeseen bug would
        raise RuntimeError("boom")

    r = TestClient(app, raise_server_exceptions=False).get("/_boom")
    assert r.status_code == 500
    for name, value in HEADERS:
        assert r.headers[name.decode()] == value.decode()
    assert "Lỗi máy chủ" in html(r).text()
