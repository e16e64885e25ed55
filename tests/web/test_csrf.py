"""CSRF middleware: unsafe cross-site requests are refused for forms and API alike."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from tests.support.accounts import PASSWORD, TestClient, make_app, seed
from web.csrf import CSRFMiddleware


@pytest.fixture
def bare():
    app = FastAPI()
    app.add_middleware(CSRFMiddleware)

    @app.post("/api/thing")
    def post_thing() -> dict:
        return {"ok": True}

    @app.post("/form")
    def post_form() -> dict:
        return {"ok": True}

    @app.get("/page")
    def page() -> dict:
        return {"ok": True}

    return TestClient(app)


@pytest.mark.parametrize("path", ["/api/thing", "/form"])
@pytest.mark.parametrize(
    "headers, allowed",
    [
        ({}, True),  # curl, scripts: no browser, no ambient cookies
        ({"Sec-Fetch-Site": "same-origin"}, True),
        ({"Sec-Fetch-Site": "none"}, True),  # typed into the address bar / bookmark
        ({"Origin": "http://testserver"}, True),
        ({"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}, True),
        ({"Sec-Fetch-Site": "cross-site"}, False),
        ({"Sec-Fetch-Site": "cross-site", "Origin": "http://testserver"}, False),
        ({"Origin": "https://evil.example"}, False),
        ({"Origin": "http://testserver.evil.example"}, False),
        ({"Origin": "http://testserver:8080"}, False),
        ({"Origin": "null"}, False),
    ],
)
def test_unsafe_methods(bare, path, headers, allowed):
    r = bare.post(path, headers=headers)
    assert (r.status_code == 200) is allowed, (headers, r.status_code)
    if not allowed:
        assert r.status_code == 403
        if path.startswith("/api/"):
            assert "CSRF" in r.json()["detail"]


def test_safe_methods_pass_even_cross_site(bare):
    r = bare.get("/page", headers={"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"})
    assert r.status_code == 200


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_every_unsafe_method_is_checked(bare, method):
    r = bare.request(method.upper(), "/api/thing", headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403


def test_cross_site_login_and_api_write_refused_in_the_app(kbase):
    w = seed(kbase)
    c = TestClient(make_app(kbase))
    evil = {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
    assert c.post("/api/auth/login", json={"username": "curator", "password": PASSWORD}, headers=evil).status_code == 403
    assert c.post("/login", data={"username": "curator", "password": PASSWORD}, headers=evil).status_code == 403
    c.post("/api/auth/login", json={"username": "curator", "password": PASSWORD})
    r = c.patch(f"/api/mappings/{w.mapping}", json={"status": "approved"}, headers=evil)
    assert r.status_code == 403
    r = c.patch(f"/api/mappings/{w.mapping}", json={"status": "approved"},
                headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"})
    assert r.status_code == 200
