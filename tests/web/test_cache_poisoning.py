"""The page cache keeps no wrong answer: a forged Host never reaches a page (cached or not), a refused or idle
POST does not empty it, and an answer given while the search index was rebuilt is not served after it. Search
never answers 500 over a damaged index (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kb import search
from kb.search import _index, rebuilding
from tests.support.accounts import PASSWORD, client_for, make_app, seed
from tests.support.index_damage import replace_by_a_file
from tests.support.records import html
from web.cache import PageCache

EVIL = "evil.example"


@pytest.fixture
def site(any_kbase, monkeypatch):
    monkeypatch.setattr(_index, "STALE_CHECK_EVERY", 0.0)  # the damage is noticed on the next search
    world = seed(any_kbase)
    app = make_app(any_kbase)
    return any_kbase, world, app


def _page_cache(app) -> PageCache:
    """The app's own PageCache middleware (built on the first request)."""
    node = app.middleware_stack
    while node is not None and not isinstance(node, PageCache):
        node = getattr(node, "app", None)
    assert node is not None
    return node


def _pages(world) -> list[str]:
    return ["/", f"/products/{world.product}", "/standards/TCVN%203118:2022", f"/labs/{world.lab_a}",
            "/search?q=banh+phu+the", "/search?q=b%C3%AA+t%C3%B4ng", "/api/search?q=banh", f"/api/products/{world.product}",
            "/feeds/changes.atom"]


def test_a_forged_host_never_reaches_a_page_cached_or_not(site):
    kbase, world, app = site
    evil = TestClient(app, base_url=f"http://{EVIL}")
    plain = TestClient(app)
    for path in _pages(world):
        first = evil.get(path, headers={"host": EVIL, "x-forwarded-host": EVIL})
        again = evil.get(path, headers={"host": EVIL})  # from the cache
        later = plain.get(path)  # another visitor, served what the first one left
        for r in (first, again, later):
            assert r.status_code < 400, (path, r.status_code)
            assert EVIL not in r.text, path
    share = html(plain.get(f"/products/{world.product}")).css_first("a.share-link")
    assert share.text() == f"{kbase.settings.site_url}/products/{world.product}"
    printed = html(evil.get(f"/products/{world.product}", headers={"host": EVIL})).css_first(".page-address")
    assert printed.text().startswith(kbase.settings.site_url)


def test_refused_or_idle_posts_keep_the_cache_and_a_real_change_empties_it(site):
    kbase, world, app = site
    anon = client_for(app, None)
    path = f"/products/{world.product}"
    anon.get(path)
    cache = _page_cache(app)
    stored = len(cache.entries)
    assert stored >= 1
    refused = [
        anon.post("/api/search"),  # 405
        anon.post("/curate/mappings", data={"product": str(world.product), "standard": "TCVN 3118:2022"}),
        anon.patch(f"/api/mappings/{world.mapping}", json={"status": "approved"}),
        anon.post("/api/auth/login", json={"username": "curator", "password": "wrong " + PASSWORD}),
        anon.post("/api/auth/login", json={"username": "curator", "password": "x"},
                  headers={"origin": "https://elsewhere.example"}),
    ]
    assert all(r.status_code >= 300 for r in refused), [r.status_code for r in refused]
    assert len(cache.entries) == stored
    hits = cache.hits
    anon.get(path)
    assert cache.hits == hits + 1  # still served from the cache

    # Signing in changes no page: nothing to empty either.
    curator = client_for(app, "curator")
    assert len(cache.entries) == stored
    r = curator.patch(f"/api/mappings/{world.mapping}", json={"status": "approved"})
    assert r.status_code == 200, r.text
    assert len(cache.entries) == 0  # a change that succeeded


def _damage(kbase, root: Path) -> None:
    """The index path replaced by a file, once the background look for changes the searches started is done
    (a catch-up writing its lock file would race with the removal)."""
    assert _index.settle(kbase, 60)
    replace_by_a_file(root)


def _wait_for_rebuild(kbase) -> None:
    t = rebuilding(kbase)
    if t is not None:  # a small index may already be back
        t.join(timeout=10)
        assert not t.is_alive()


def test_search_over_a_damaged_index_answers_degraded_and_is_not_kept_past_the_rebuild(site):
    kbase, world, app = site
    c = client_for(app, None)
    root = Path(kbase.settings.index_dir)
    assert c.get("/api/search", params={"q": "banh phu the"}).json()["degraded"] is False
    # The request that finds the damage answers from the database (later ones may find the index rebuilt).
    _damage(kbase, root)
    api = c.get("/api/search", params={"q": "tcvn 3118"})
    assert api.status_code == 200
    body = api.json()
    assert body["degraded"] is True and api.headers["cache-control"] == "no-store"
    assert [h["code"] for h in body["hits"] if h["kind"] == "standard"][:2] == ["TCVN 3118:2022", "TCVN 3118:1993"]
    _wait_for_rebuild(kbase)
    after = c.get("/api/search", params={"q": "tcvn 3118"})
    assert after.status_code == 200 and after.json()["degraded"] is False
    assert "no-store" not in after.headers.get("cache-control", "")

    _damage(kbase, root)
    page = c.get("/search", params={"q": "banh phu the"})
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    tree = html(page)
    assert tree.css_first("p.degraded").text() == "Đang dựng lại chỉ mục, kết quả có thể chậm hơn."
    assert [a.text() for a in tree.css("a.hit-title")] == ["Bánh phu thê Đình Bảng"]
    _wait_for_rebuild(kbase)
    page = c.get("/search", params={"q": "banh phu the"})
    assert page.status_code == 200 and html(page).css_first("p.degraded") is None
    assert [a.text() for a in html(page).css("a.hit-title")] == ["Bánh phu thê Đình Bảng"]


def test_answers_are_keyed_on_the_index_generation_and_none_is_served_past_a_rebuild(site):
    """What was kept under one generation is never served under the next: after the swap the same address
    is answered anew (and an answer rendered while the swap happened is not kept at all)."""
    kbase, world, app = site
    c = client_for(app, None)
    first = c.get("/api/search", params={"q": "banh"})  # builds the index on a first start: not kept
    assert first.json()["degraded"] is False
    cache = _page_cache(app)
    assert not [k for k in cache.entries if k[0] == "/api/search"]
    c.get("/api/search", params={"q": "banh"})
    cache = _page_cache(app)
    keys_before = {k for k in cache.entries if k[0] == "/api/search"}
    assert keys_before
    root = Path(kbase.settings.index_dir)
    generation = (root / "CURRENT").read_text("utf-8")
    assert all(k[-1].split("/")[0] == generation for k in keys_before)
    _damage(kbase, root)
    c.get("/api/search", params={"q": "banh"})
    _wait_for_rebuild(kbase)
    hits = cache.hits
    r = c.get("/api/search", params={"q": "banh"})
    assert r.json()["degraded"] is False and cache.hits == hits  # rendered again under the new generation
    assert (root / "CURRENT").read_text("utf-8") != generation


def test_an_answer_is_not_served_past_a_catch_up_of_the_index(site):
    """A search answered before the index caught up with a committed change is not served after it: the data
    version did not move (the change was committed before), but what the index holds did."""
    kbase, world, app = site
    c = client_for(app, None)
    c.get("/api/search", params={"q": "banh"})  # a first start builds the index: not kept
    c.get("/api/search", params={"q": "banh"})
    cache = _page_cache(app)
    hits = cache.hits
    c.get("/api/search", params={"q": "banh"})
    assert cache.hits == hits + 1  # kept and served while nothing changed
    search.update(kbase, products=[world.product])  # the index commits; the database is as it was
    r = c.get("/api/search", params={"q": "banh"})
    assert r.status_code == 200 and cache.hits == hits + 1  # rendered anew from what the index holds now
    c.get("/api/search", params={"q": "banh"})
    assert cache.hits == hits + 2
