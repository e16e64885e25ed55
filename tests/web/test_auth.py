"""Login, logout, session cookie flags and session versions."""

from __future__ import annotations

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from kb import users
from kb.config import Settings
from kb.core import KnowledgeBase
from kb.errors import KBError
from kb.models import User
from tests.support.accounts import PASSWORD, TestClient, make_app, seed
from web.auth import SESSION_COOKIE


@pytest.fixture
def app(kbase):
    seed(kbase)
    return make_app(kbase)


def test_api_login_sets_a_hardened_cookie_and_me_answers(app):
    c = TestClient(app)
    assert c.get("/api/auth/me").status_code == 401
    r = c.post("/api/auth/login", json={"username": "curator", "password": PASSWORD})
    assert r.status_code == 200
    assert r.json() == {"username": "curator", "role": "curator", "lab_id": None, "must_change_password": False}
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    flags = {p.strip().split("=")[0].lower() for p in cookie.split(";")}
    assert {"httponly", "path", "max-age"} <= flags
    assert "samesite=lax" in cookie.lower()
    assert "secure" not in flags  # development
    assert c.get("/api/auth/me").json()["username"] == "curator"


def test_wrong_password_and_unknown_user_get_the_same_answer(app):
    c = TestClient(app)
    a = c.post("/api/auth/login", json={"username": "curator", "password": "sai-mat-khau-roi"})
    b = c.post("/api/auth/login", json={"username": "khong-co-ai", "password": "sai-mat-khau-roi"})
    assert a.status_code == b.status_code == 401
    assert a.json() == b.json()
    assert "set-cookie" not in a.headers


def test_cookie_is_secure_outside_development(tmp_path):
    settings = Settings(data_dir=tmp_path / "v", env="production", secret_key="a-long-random-production-secret")
    kbase = KnowledgeBase(settings)
    kbase.init()
    seed(kbase)
    c = TestClient(make_app(kbase), base_url="https://testserver")
    r = c.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
    assert r.status_code == 200
    assert "secure" in {p.strip().lower() for p in r.headers["set-cookie"].split(";")}
    kbase.dispose()


def test_production_refuses_the_development_secret(tmp_path):
    kbase = KnowledgeBase(Settings(data_dir=tmp_path / "v", env="production"))
    with pytest.raises(KBError, match="KB_SECRET_KEY"):
        make_app(kbase)


def test_login_renews_the_session_and_a_forged_cookie_is_ignored(app):
    c = TestClient(app)
    c.cookies.set(SESSION_COOKIE, "planted-value")
    assert c.get("/api/auth/me").status_code == 401
    first = c.post("/api/auth/login", json={"username": "admin", "password": PASSWORD}).cookies[SESSION_COOKIE]
    second = c.post("/api/auth/login", json={"username": "admin", "password": PASSWORD}).cookies[SESSION_COOKIE]
    assert first != second and first != "planted-value"


def test_disable_and_session_version_end_old_sessions(app, kbase):
    c = TestClient(app)
    c.post("/api/auth/login", json={"username": "lab_a", "password": PASSWORD})
    assert c.get("/api/auth/me").status_code == 200
    with kbase.session() as s:
        users.disable_user(s, "lab_a")
    assert c.get("/api/auth/me").status_code == 401
    # A disabled account cannot log in again either.
    assert c.post("/api/auth/login", json={"username": "lab_a", "password": PASSWORD}).status_code == 401

    c2 = TestClient(app)
    c2.post("/api/auth/login", json={"username": "curator", "password": PASSWORD})
    with kbase.session() as s:
        users.set_password(s, "curator", PASSWORD + "-moi", actor="admin")
    assert c2.get("/api/auth/me").status_code == 401
    assert c2.post("/api/auth/login", json={"username": "curator", "password": PASSWORD}).status_code == 401
    assert c2.post("/api/auth/login", json={"username": "curator", "password": PASSWORD + "-moi"}).status_code == 200

    c3 = TestClient(app)
    c3.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
    with kbase.session() as s:
        users.set_role(s, "admin", "curator", actor="admin")
    assert c3.get("/api/auth/me").status_code == 401


def test_logout_ends_every_session_of_the_account(app):
    a, b = TestClient(app), TestClient(app)
    for c in (a, b):
        c.post("/api/auth/login", json={"username": "curator", "password": PASSWORD})
    r = a.post("/api/auth/logout")
    assert r.status_code == 204
    assert a.get("/api/auth/me").status_code == 401
    assert b.get("/api/auth/me").status_code == 401


def test_html_login_form_redirects_to_next_and_refuses_foreign_next(app):
    c = TestClient(app, follow_redirects=False)
    page = HTMLParser(c.get("/login?next=/curate").text)
    form = page.css_first("form#login-form")
    assert form is not None and form.attributes["method"] == "post"
    assert page.css_first("input[name=next]").attributes["value"] == "/curate"
    assert page.css_first("label[for=password]") is not None
    r = c.post("/login", data={"username": "curator", "password": PASSWORD, "next": "//evil.example/x"})
    assert r.status_code == 303 and r.headers["location"] == "/curate"
    r = c.post("/login", data={"username": "lab_a", "password": PASSWORD, "next": "/lab"})
    assert r.headers["location"] == "/lab"
    bad = c.post("/login", data={"username": "curator", "password": "nope-nope-nope"})
    assert bad.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu" in HTMLParser(bad.text).css_first("[role=alert]").text()


def test_anonymous_page_visit_goes_to_login_and_api_gets_401(app):
    c = TestClient(app, follow_redirects=False)
    r = c.get("/curate/audit?entity=mapping")
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/curate/audit%3Fentity%3Dmapping"
    assert c.post("/api/mappings", json={}).status_code == 401


def test_html_logout(app):
    c = TestClient(app, follow_redirects=False)
    c.post("/login", data={"username": "curator", "password": PASSWORD})
    assert c.get("/curate").status_code == 200
    r = c.post("/logout")
    assert r.status_code == 303
    assert c.get("/curate").status_code == 303


def test_admin_creates_and_disables_accounts_on_the_web(app, kbase):
    from tests.support.accounts import client_for

    admin, curator = client_for(app, "admin"), client_for(app, "curator")
    assert curator.get("/admin/users").status_code == 403
    page = HTMLParser(admin.get("/admin/users").text)
    assert {th.text() for th in page.css("#accounts tbody th")} == {"admin", "curator", "lab_a", "lab_b"}
    short = admin.post("/admin/users", data={"username": "moi", "role": "lab", "lab": "VILAS 1001", "password": "ngan"})
    assert short.status_code == 400 and "10 ký tự" in HTMLParser(short.text).css_first("[role=alert]").text()
    r = admin.post("/admin/users", data={"username": "moi", "role": "lab", "lab": "vilas 1001", "password": PASSWORD},
                   follow_redirects=False)
    assert r.status_code == 303
    moi = client_for(app, "moi")
    assert moi.get("/api/auth/me").json()["lab_id"] is not None
    with kbase.session() as s:
        uid = s.exec(User.__table__.select().where(User.username == "moi")).first().id
    assert admin.post(f"/admin/users/{uid}/disable", follow_redirects=False).status_code == 303
    assert moi.get("/api/auth/me").status_code == 401


def test_signed_in_pages_are_not_stored(app):
    from tests.support.accounts import client_for

    c = client_for(app, "curator")
    for url in ("/curate", "/curate/audit", "/lab", "/login"):
        assert c.get(url).headers.get("cache-control") == "no-store", url
