"""The app that `kb serve` runs is the whole app: accounts, curation and CSRF included, not only in tests."""

from __future__ import annotations

from fastapi.testclient import TestClient

from kb import users
from web.app import create_app


def test_served_app_has_login_curation_and_csrf(kbase):
    with kbase.session() as s:
        users.add_user(s, "curator1", "a-long-passphrase", "curator")
    client = TestClient(create_app(kbase=kbase))
    assert client.get("/login").status_code == 200
    anonymous = client.get("/curate", follow_redirects=False)
    assert anonymous.status_code in (302, 303, 307) and anonymous.headers["location"].startswith("/login")
    assert client.post("/api/mappings", json={}).status_code == 401
    refused = client.post("/api/auth/login", json={"username": "curator1", "password": "a-long-passphrase"},
                          headers={"Sec-Fetch-Site": "cross-site"})
    assert refused.status_code == 403
    ok = client.post("/api/auth/login", json={"username": "curator1", "password": "a-long-passphrase"})
    assert ok.status_code == 200
    assert client.get("/curate").status_code == 200
