"""Accounts on the web: changing one's own password, an admin's reset, the header's link to one's
workspace, and the 403 page that leads back to it. Storage matters here (the password and session
version), so the password flows run on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import anyio
import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from sqlmodel import select

from kb.models import AuditEvent, User
from tests.support.accounts import PASSWORD, TestClient, client_for, make_app, seed
from web.auth import SESSION_COOKIE
from web.ratelimit import LoginLimiter

NEW = "mật-khẩu-mới-đủ-dài"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["sqlite", "postgres"])
def store(request):
    """The knowledge base on each database (PostgreSQL skips cleanly when no server answers)."""
    return request.getfixturevalue("kbase" if request.param == "sqlite" else "pg_kbase")


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def world(kbase):
    return seed(kbase)


@pytest.fixture
def app(kbase, world, clock):
    return make_app(kbase, limiter=LoginLimiter(clock=clock))


def page(response):
    return HTMLParser(response.text)


def alert(response) -> str:
    node = page(response).css_first("[role=alert]")
    return node.text().strip() if node else ""


def change(client, current=PASSWORD, new=NEW, repeat=None, **kw):
    return client.post("/account/password", data={"current": current, "new": new,
                                                  "repeat": new if repeat is None else repeat},
                       follow_redirects=False, **kw)


def user_events(kbase) -> list[AuditEvent]:
    with kbase.session() as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.entity == "user").order_by(AuditEvent.id)).all())


def can_login(app, username, password) -> bool:
    r = TestClient(app).post("/api/auth/login", json={"username": username, "password": password})
    return r.status_code == 200


# --- Changing one's own password ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "curator", "lab_a"])
def test_every_role_changes_its_own_password_and_other_sessions_end(store, role):
    seed(store)
    app = make_app(store)
    this, other = client_for(app, role), client_for(app, role)
    form = page(this.get("/account/password")).css_first("form#password-form")
    assert form.attributes["method"] == "post" and form.attributes["action"] == "/account/password"
    assert {i.attributes["name"] for i in form.css("input[type=password]")} == {"current", "new", "repeat"}

    r = change(this)
    assert r.status_code == 303 and r.headers["location"] == "/account/password?ok=changed"
    assert SESSION_COOKIE in r.cookies  # a fresh cookie for the session that changed it
    assert this.get("/api/auth/me").json()["username"] == role  # this session goes on
    assert other.get("/api/auth/me").status_code == 401  # every other one is over
    notice = page(this.get("/account/password?ok=changed")).css_first("[role=status]").text()
    assert "Đã đổi mật khẩu" in notice
    assert not can_login(app, role, PASSWORD)
    assert can_login(app, role, NEW)


def test_anonymous_is_sent_to_login(app):
    c = TestClient(app, follow_redirects=False)
    r = c.get("/account/password")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/account/password"
    assert change(c).status_code == 401


def test_wrong_current_password_re_renders_in_vietnamese_and_changes_nothing(app):
    c = client_for(app, "curator")
    r = change(c, current="không-phải-mật-khẩu")
    assert r.status_code == 400
    assert alert(r) == "Mật khẩu hiện tại không đúng."
    assert page(r).css_first("form#password-form") is not None
    assert r.headers["cache-control"] == "no-store"
    assert c.get("/api/auth/me").status_code == 200  # still signed in
    assert can_login(app, "curator", PASSWORD)


@pytest.mark.parametrize("new, repeat, message", [
    ("ngắn-quá", None, "ít nhất 10 ký tự"),
    (NEW, NEW + "x", "không khớp"),
    (PASSWORD, None, "khác mật khẩu hiện tại"),
])
def test_new_password_rules(app, new, repeat, message):
    c = client_for(app, "curator")
    r = change(c, new=new, repeat=repeat)
    assert r.status_code == 400 and message in alert(r)
    assert can_login(app, "curator", PASSWORD)


def test_the_new_password_may_not_be_the_name(kbase, world):
    from kb import users
    from kb.errors import BadInput

    with kbase.session() as s:
        users.add_user(s, "phongthinghiem", PASSWORD, "curator")
    with pytest.raises(BadInput, match="trùng với tên đăng nhập"), kbase.session() as s:
        users.set_password(s, "phongthinghiem", "PhongThiNghiem", actor="test")


def test_a_decomposed_vietnamese_password_is_the_same_password(app):
    import unicodedata

    c = client_for(app, "curator")
    assert change(c, new=unicodedata.normalize("NFD", NEW)).status_code == 303
    assert can_login(app, "curator", unicodedata.normalize("NFC", NEW))


def test_wrong_current_passwords_count_against_the_login_limit(app, clock):
    c = client_for(app, "curator")
    for _ in range(10):
        assert change(c, current="đoán-mò-mật-khẩu").status_code == 400
    # Blocked now, even with the right password, here and at the login.
    r = change(c)
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert "thử lại sau" in alert(r)
    assert TestClient(app).post("/api/auth/login", json={"username": "curator", "password": PASSWORD}).status_code == 429
    # Under the login's own keys: this address and this account.
    limiter = app.state.login_limiter
    assert limiter.blocked("10.9.9.9", "curator") and limiter.blocked("testclient", "admin")
    assert not limiter.blocked("10.9.9.9", "admin")
    clock.now += 61
    assert change(c).status_code == 303


def test_cross_site_post_is_refused(app):
    c = client_for(app, "curator")
    for headers in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}):
        r = change(c, headers=headers)
        assert r.status_code == 403
    assert can_login(app, "curator", PASSWORD)


def test_change_is_audited_without_password_material(app, kbase):
    c = client_for(app, "lab_a")
    assert change(c).status_code == 303
    event = user_events(kbase)[-1]
    assert event.actor == "lab_a" and event.action == "update"
    assert "lab_a" in event.summary and "mật khẩu" in event.summary
    with kbase.session() as s:
        stored_hash = s.exec(select(User).where(User.username == "lab_a")).one().password_hash
    dumped = json.dumps([event.before, event.after, event.summary], ensure_ascii=False)
    for secret in (NEW, PASSWORD, stored_hash, "argon2"):
        assert secret not in dumped


# --- Admin reset ----------------------------------------------------------------------------------------


def _uid(kbase, username) -> int:
    with kbase.session() as s:
        return s.exec(select(User).where(User.username == username)).one().id


def test_admin_sets_a_chosen_password(store):
    seed(store)
    app = make_app(store)
    admin, lab = client_for(app, "admin"), client_for(app, "lab_a")
    uid = _uid(store, "lab_a")
    r = admin.post(f"/admin/users/{uid}/password", data={"password": NEW}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin/users?ok=password-reset"
    assert lab.get("/api/auth/me").status_code == 401  # the user's sessions end
    assert can_login(app, "lab_a", NEW) and not can_login(app, "lab_a", PASSWORD)
    event = user_events(store)[-1]
    assert (event.actor, event.after) == ("admin", {"temporary": False})
    assert NEW not in json.dumps([event.before, event.after, event.summary], ensure_ascii=False)


def test_admin_issues_a_temporary_password_shown_once(app, kbase):
    admin = client_for(app, "admin")
    uid = _uid(kbase, "curator")
    r = admin.post(f"/admin/users/{uid}/password", data={"password": ""})
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    shown = page(r).css_first("code.temporary-password").text()
    assert len(shown) == 19 and can_login(app, "curator", shown)
    assert "Mật khẩu tạm thời của curator" in page(r).css_first(".issued-password h2").text()
    assert page(admin.get("/admin/users")).css_first("code.temporary-password") is None  # only once
    event = user_events(kbase)[-1]
    assert event.after == {"temporary": True} and shown not in json.dumps([event.after, event.summary])
    # The user then changes it with the temporary one as the current password.
    user = TestClient(app)
    assert user.post("/api/auth/login", json={"username": "curator", "password": shown}).status_code == 200
    assert change(user, current=shown).status_code == 303


def test_admin_reset_refusals(app, kbase):
    admin, curator = client_for(app, "admin"), client_for(app, "curator")
    uid = _uid(kbase, "lab_b")
    assert curator.post(f"/admin/users/{uid}/password", data={"password": NEW}).status_code == 403
    short = admin.post(f"/admin/users/{uid}/password", data={"password": "ngắn"})
    assert short.status_code == 400 and "10 ký tự" in alert(short)
    own = admin.post(f"/admin/users/{_uid(kbase, 'admin')}/password", data={"password": NEW})
    assert own.status_code == 400 and "Đổi mật khẩu" in alert(own)
    assert admin.post("/admin/users/99999/password", data={"password": NEW}).status_code == 404
    assert can_login(app, "lab_b", PASSWORD) and can_login(app, "admin", PASSWORD)


def test_admin_users_page_offers_reset_forms(app, kbase):
    tree = page(client_for(app, "admin").get("/admin/users"))
    uid = _uid(kbase, "lab_a")
    forms = tree.css(f'#account-{uid} form[action="/admin/users/{uid}/password"]')
    assert len(forms) == 2 and all(f.attributes["method"] == "post" for f in forms)
    own = tree.css_first(f"#account-{_uid(kbase, 'admin')}")
    assert own.css_first("form[action$='/password']") is None
    assert own.css_first("a[href='/account/password']") is not None


# --- A temporary password must be replaced before anything else ---------------------------------------


def _issue_temporary(app, kbase, username) -> str:
    r = client_for(app, "admin").post(f"/admin/users/{_uid(kbase, username)}/password", data={"password": ""})
    assert r.status_code == 200
    return page(r).css_first("code.temporary-password").text()


def _must_change(kbase, username) -> bool:
    with kbase.session() as s:
        return s.exec(select(User).where(User.username == username)).one().must_change_password


@pytest.mark.parametrize("role", ["curator", "lab_a"])
def test_a_temporary_password_holds_the_account_on_the_password_page_until_replaced(store, role):
    w = seed(store)
    app = make_app(store)
    shown = _issue_temporary(app, store, role)
    assert _must_change(store, role)
    admin_page = page(client_for(app, "admin").get("/admin/users"))
    assert "Chờ đổi mật khẩu tạm thời" in admin_page.css_first(f"#account-{_uid(store, role)}").text()

    user = TestClient(app, follow_redirects=False)
    workspace = "/curate" if role == "curator" else f"/lab/{w.lab_a}"
    r = user.post("/login", data={"username": role, "password": shown, "next": workspace})
    assert r.status_code == 303 and r.headers["location"] == "/account/password"  # not where it asked to go
    form_page = user.get("/account/password")
    assert form_page.status_code == 200
    explained = page(form_page).css_first("#must-change").text()
    assert "mật khẩu tạm thời" in explained and "Mật khẩu hiện tại" in explained

    # Every page of the workspace leads back to the password page; forms and the JSON API answer 403.
    pages = [workspace, "/curate/review", "/curate/suggestions"] if role == "curator" else [workspace, "/lab"]
    for url in pages:
        r = user.get(url)
        assert (r.status_code, r.headers.get("location")) == (303, "/account/password"), url
    api = "/api/mappings" if role == "curator" else f"/api/labs/{w.lab_a}/scope"
    r = user.get(api)
    assert r.status_code == 403 and "mật khẩu tạm thời" in r.json()["detail"]
    form_post = (f"/curate/mappings/{w.mapping}/decide" if role == "curator"
                 else f"/lab/{w.lab_a}/scope/{w.row_a}/delete")
    r = user.post(form_post, data={"status": "approved", "version": "1"})
    assert r.status_code == 403 and "mật khẩu tạm thời" in page(r).text()
    me = user.get("/api/auth/me").json()  # the API tells a client why
    assert me["username"] == role and me["must_change_password"] is True
    assert user.get("/").status_code == 200  # public pages stay open

    # Choosing its own password lifts it: the workspace opens, the mark is gone.
    assert change(user, current=shown).headers["location"] == "/account/password?ok=changed"
    assert not _must_change(store, role)
    done = page(user.get("/account/password?ok=changed"))
    assert done.css_first("#must-change") is None and "Đã đổi mật khẩu" in done.css_first("[role=status]").text()
    assert user.get(workspace).status_code == 200 and user.get(api).status_code == 200
    assert user.get("/api/auth/me").json()["must_change_password"] is False


def test_a_password_the_admin_chose_is_not_temporary(app, kbase):
    r = client_for(app, "admin").post(f"/admin/users/{_uid(kbase, 'lab_b')}/password", data={"password": NEW},
                                      follow_redirects=False)
    assert r.status_code == 303 and not _must_change(kbase, "lab_b")
    user = TestClient(app, follow_redirects=False)
    r = user.post("/login", data={"username": "lab_b", "password": NEW})
    assert r.status_code == 303 and r.headers["location"] != "/account/password"


# --- Header link and 403 --------------------------------------------------------------------------------


def header_links(response) -> dict[str, str]:
    header = page(response).css_first("header.site-header")
    return {a.text().strip(): a.attributes["href"] for a in header.css(".header-account a")}


@pytest.mark.parametrize("role, workspace", [("admin", "/curate"), ("curator", "/curate"), ("lab_a", "/lab/{lab_a}")])
def test_header_links_to_ones_workspace_on_public_private_and_error_pages(app, world, role, workspace):
    c = client_for(app, role)
    href = workspace.format(lab_a=world.lab_a)
    for url in ("/", f"/products/{world.product}", "/browse", "/account/password", "/khong-co-trang-nay"):
        r = c.get(url)
        links = header_links(r)
        assert href in links.values(), (url, links)
        assert links["Đổi mật khẩu"] == "/account/password"
    assert c.get(href).status_code == 200


def test_no_header_link_when_signed_out_and_cached_pages_never_carry_one(app, world):
    signed_in, anonymous = client_for(app, "curator"), TestClient(app)
    urls = ("/", f"/products/{world.product}", "/coverage")
    for url in urls:  # signed in first: if this page were kept, the anonymous visitor would get it
        assert header_links(signed_in.get(url))
        r = anonymous.get(url)
        assert r.status_code == 200 and header_links(r) == {}
        assert header_links(anonymous.get(url)) == {}  # and again, from the cache
        assert header_links(signed_in.get(url))  # the kept anonymous page is not served to a signed-in user
    # Signed-in answers tell browsers and proxies not to keep them; public ones do not.
    assert signed_in.get("/").headers["cache-control"] == "no-store"
    assert "cache-control" not in anonymous.get("/").headers
    # A stale cookie (after logout) names nobody.
    signed_in.post("/logout")
    assert header_links(signed_in.get("/")) == {}


@pytest.mark.parametrize("role, workspace", [("lab_a", "/lab/{lab_a}"), ("lab_b", "/lab/{lab_b}")])
def test_403_leads_back_to_ones_workspace(app, world, role, workspace):
    c = client_for(app, role)
    r = c.get(f"/lab/{world.lab_a if role == 'lab_b' else world.lab_b}")
    assert r.status_code == 403
    back = page(r).css_first("a.workspace-return")
    assert back is not None and back.attributes["href"] == workspace.format(lab_a=world.lab_a, lab_b=world.lab_b)
    assert c.get(back.attributes["href"]).status_code == 200
    r = c.get("/curate")
    assert r.status_code == 403 and page(r).css_first("a.workspace-return") is not None


def test_403_without_a_session_leads_to_login(app):
    # An anonymous 403 is rare (most pages send anonymous visitors to the login first); render it directly.
    from starlette.requests import Request

    from kb.errors import Forbidden
    from web import errors

    scope = {"type": "http", "method": "GET", "path": "/curate/audit", "query_string": b"entity=user",
             "headers": [(b"host", b"testserver")], "app": app, "scheme": "http", "server": ("testserver", 80),
             "root_path": ""}
    r = anyio.run(errors.handle, Request(scope), Forbidden("Không có quyền."))
    tree = HTMLParser(r.body.decode())
    assert r.status_code == 403
    assert tree.css_first("a.login-return").attributes["href"] == "/login?next=/curate/audit%3Fentity%3Duser"
    assert tree.css_first("a.workspace-return") is None
    assert tree.css_first("header .header-account") is None
