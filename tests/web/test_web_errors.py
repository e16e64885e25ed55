"""One error path: helpful 404 pages, 400 for bad parameters, never a 500; untrusted text stays text."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.records import html, make_lab, make_product, make_scope, make_standard


def test_unknown_standard_404_page_offers_search_prefilled(client, world):
    r = client.get("/standards/" + quote("TCVN 99999:2020", safe=""))
    assert r.status_code == 404
    tree = html(r)
    assert tree.css_first(".error-page").attributes["data-status"] == "404"
    assert "TCVN 99999:2020" in tree.css_first(".error-message").text()
    assert tree.css_first(".error-page input[name=q]").attributes["value"] == "TCVN 99999:2020"
    assert tree.css_first(".error-page a[href='/browse']") is not None


@pytest.mark.parametrize("path", ["/products/999999", "/labs/999999", "/no/such/page"])
def test_unknown_pages_are_404_html(client, path):
    r = client.get(path)
    assert r.status_code == 404
    assert html(r).css_first("h1").text() in ("Không tìm thấy trang",)


@pytest.mark.parametrize("path", [
    "/products/abc", "/products/0", "/labs/99999999999999999999", "/browse/products?stars=6",
    "/browse/products?page=-1", "/browse/standards?status=nope", "/search?q=a&kind=robot", "/search?limit=abc&q=a",
])
def test_bad_parameters_are_400_html(client, path):
    r = client.get(path)
    assert r.status_code == 400
    tree = html(r)
    assert tree.css_first(".error-page").attributes["data-status"] == "400"
    assert tree.css_first(".error-message").text().strip()


def test_json_clients_get_json_errors_on_pages(client):
    r = client.get("/products/999999", headers={"accept": "application/json"})
    assert r.status_code == 404 and "detail" in r.json()


def test_script_in_titles_renders_as_text(client, kbase):
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    with kbase.session() as s:
        std = make_standard(s, "TCVN 4444:2020", title_vi="Bê tông " + evil)
        p = make_product(s, "Bánh " + evil, description=evil)
        lab = make_lab(s, "VILAS 4444", name="PTN " + evil)
        make_scope(s, lab, evil, "TCVN 4444:2020", material=evil)
        from tests.support.records import make_mapping

        make_mapping(s, p, std, "voluntary", rationale=evil, legal_basis=evil)
        ids = (p.id, lab.id)
    for path in (f"/products/{ids[0]}", f"/labs/{ids[1]}", "/standards/TCVN%204444:2020", "/browse/products",
                 "/coverage", "/search?q=" + quote(evil)):
        r = client.get(path)
        assert r.status_code == 200, path
        tree = html(r)
        # the only scripts are our own, and no element carries an injected handler
        assert [n.attributes.get("src") for n in tree.css("script")] == ["/static/search.js"], path
        assert not tree.css("img[onerror]"), path
    page = html(client.get(f"/products/{ids[0]}"))
    assert page.css_first("h1").text() == "Bánh " + evil


def test_search_query_with_markup_is_escaped(client, world):
    tree = html(client.get("/search", params={"q": "<b>bánh</b>"}))
    assert tree.css_first("h1 .query").text() == "<b>bánh</b>"
    assert not tree.css("h1 b")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.text(max_size=80), kind=st.sampled_from([None, "standard", "product", "lab", "x"]),
       limit=st.one_of(st.none(), st.integers(-5, 500), st.text(max_size=4)))
def test_api_search_never_500(client, world, q, kind, limit):
    params = {"q": q}
    if kind is not None:
        params["kind"] = kind
    if limit is not None:
        params["limit"] = str(limit)
    r = client.get("/api/search", params=params)
    assert r.status_code in (200, 400), (params, r.text[:300])
    body = r.json()
    assert ("hits" in body) if r.status_code == 200 else ("detail" in body)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(code=st.text(min_size=1, max_size=40))
def test_standard_lookup_never_500(client, world, code):
    r = client.get("/api/standards/" + quote(code, safe=""))
    assert r.status_code in (200, 400, 404), (code, r.text[:300])
    r = client.get("/standards/" + quote(code, safe=""), follow_redirects=False)
    assert r.status_code in (200, 301, 307, 400, 404), (code, r.text[:300])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.text(max_size=60))
def test_search_page_never_500(client, world, q):
    r = client.get("/search", params={"q": q}, follow_redirects=False)
    assert r.status_code in (200, 303, 400), (q, r.text[:300])


def test_unknown_edition_404_lists_the_editions_we_have(client, world):
    r = client.get("/standards/" + quote("TCVN 7596:2015", safe=""))
    assert r.status_code == 404
    links = [a.text() for a in html(r).css(".suggestions li a")]
    assert links == [world.method, world.old_method]  # in force first


@pytest.mark.parametrize("path", ["/", "/api/search?q=a", "/products/999999", "/static/site.css"])
def test_security_headers_everywhere(client, path):
    r = client.get(path)
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("body, says", [
    ({"username": ["a"], "password": "x"}, "username: phải là chuỗi ký tự"),
    ({"password": "x"}, "username: bắt buộc phải có"),
    ("[1, 2", "nội dung JSON không đọc được"),
    ([1, 2], "phải là đối tượng JSON"),
])
def test_bad_json_bodies_are_told_in_vietnamese(client, body, says):
    # pydantic's own English ("Input should be a valid string") never reaches the client
    sent = {"content": body, "headers": {"content-type": "application/json"}} if isinstance(body, str) else {"json": body}
    r = client.post("/api/auth/login", **sent)
    assert r.status_code == 400 and says in r.json()["detail"], r.json()
    assert not re.search(r"[Ii]nput should|[Ff]ield required|valid", r.json()["detail"])
