"""The page cache serves a stored page only while the data it was rendered from is unchanged."""

from __future__ import annotations

import pytest
from sqlmodel import select

from kb.core import KnowledgeBase
from kb.fingerprint import PAGES, fingerprint
from kb.models import Product, ProductCreate
from kb.products import upsert_product
from kb.read import products
from tests.support.records import html
from web.auth import SESSION_COOKIE


@pytest.fixture
def calls(monkeypatch):
    """How many product answers the routes asked for (the page's, or the JSON's: kept or read)."""
    counter = {"n": 0}

    def counting(real):
        def wrapper(*args, **kwargs):
            counter["n"] += 1
            return real(*args, **kwargs)
        return wrapper

    for name in ("product_answer", "stored_product_answer"):
        monkeypatch.setattr(products, name, counting(getattr(products, name)))
    return counter


def test_repeated_page_is_served_from_cache(client, world, calls):
    first = client.get(f"/products/{world.product_id}")
    second = client.get(f"/products/{world.product_id}")
    assert first.text == second.text and calls["n"] == 1
    assert second.headers["content-type"].startswith("text/html")
    # the JSON twin is its own entry
    client.get(f"/api/products/{world.product_id}")
    assert calls["n"] == 2


def test_any_data_change_shows_at_once(client, kbase, world, calls):
    client.get(f"/products/{world.product_id}")
    with kbase.session() as s:  # a writer in this process (a background upload job, a CLI command in-process)
        p = s.get(Product, world.product_id)
        upsert_product(s, ProductCreate(name=p.name, producer=p.producer, description="Mô tả mới"), "test")
    tree = html(client.get(f"/products/{world.product_id}"))
    assert tree.css_first("p.description").text() == "Mô tả mới" and calls["n"] == 2


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


def test_another_process_change_shows_once_the_version_is_no_longer_trusted(client, kbase, world, monkeypatch):
    import web.cache

    clock = _Clock()
    monkeypatch.setattr(web.cache, "time", clock)
    client.get(f"/products/{world.product_id}")
    other = KnowledgeBase(kbase.settings)  # its own engine: what this process does not see written, as another process
    try:
        with other.session() as s:
            p = s.get(Product, world.product_id)
            upsert_product(s, ProductCreate(name=p.name, producer=p.producer, description="Mô tả của tiến trình khác"), "test")
        clock.now += web.cache.VERSION_TRUST / 2
        assert "Mô tả của tiến trình khác" not in client.get(f"/products/{world.product_id}").text  # still trusted
        clock.now += web.cache.VERSION_TRUST
        assert html(client.get(f"/products/{world.product_id}")).css_first("p.description").text() == "Mô tả của tiến trình khác"
    finally:
        other.dispose()


def test_the_version_is_read_again_only_after_a_write_or_the_trust_window(client, kbase, world, monkeypatch):
    import web.cache

    clock = _Clock()
    monkeypatch.setattr(web.cache, "time", clock)
    reads = {"n": 0}
    real = web.cache.fingerprint

    def counting(session, parts):
        reads["n"] += 1
        return real(session, parts)

    monkeypatch.setattr(web.cache, "fingerprint", counting)
    for _ in range(3):
        client.get(f"/products/{world.product_id}")
    assert reads["n"] == 1  # three pages, one count of the tables
    with kbase.session() as s:
        s.add(Product(name="Bánh phu thê Đình Bảng", kind="ocop"))
    client.get(f"/products/{world.product_id}")
    assert reads["n"] == 2  # this process wrote: read again at once
    with kbase.session() as s:
        s.exec(select(Product)).first()  # a read commits too, but wrote nothing
    client.get(f"/products/{world.product_id}")
    assert reads["n"] == 2
    clock.now += web.cache.VERSION_TRUST
    client.get(f"/products/{world.product_id}")
    assert reads["n"] == 3


def test_deletions_change_the_version(kbase, world):
    from kb.models import LabScope

    with kbase.session() as s:
        before = fingerprint(s, PAGES)
        s.delete(s.exec(select(LabScope)).first())
    with kbase.session() as s:
        assert fingerprint(s, PAGES) != before


def test_refused_unsafe_methods_keep_the_cache_and_errors_are_not_cached(client, world, calls):
    client.get(f"/products/{world.product_id}")
    assert client.post("/api/search").status_code == 405  # refused: the other visitors keep their pages
    client.get(f"/products/{world.product_id}")
    assert calls["n"] == 1
    assert client.get("/products/999999").status_code == 404
    assert client.get("/products/999999").status_code == 404
    assert calls["n"] == 3


def test_session_cookie_bypasses_cache(client, world, calls):
    client.get(f"/products/{world.product_id}")
    client.get(f"/products/{world.product_id}", headers={"cookie": f"{SESSION_COOKIE}=abc"})
    assert calls["n"] == 2


def test_a_redirect_is_kept_like_a_page(client, kbase, world, monkeypatch):
    from kb.read import standards
    from web.routes import search as search_routes

    counter = {"n": 0}
    real = standards.resolve_code_query

    def counting(*args, **kwargs):
        counter["n"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(search_routes.standards, "resolve_code_query", counting)
    first = client.get("/search", params={"q": "tcvn 7087"}, follow_redirects=False)
    second = client.get("/search", params={"q": "tcvn 7087"}, follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"] and counter["n"] == 1
    with kbase.session() as s:  # a data change: the redirect is worked out again
        p = s.get(Product, world.product_id)
        upsert_product(s, ProductCreate(name=p.name, producer=p.producer, description="Mô tả khác"), "test")
    assert client.get("/search", params={"q": "tcvn 7087"}, follow_redirects=False).status_code == 303
    assert counter["n"] == 2
