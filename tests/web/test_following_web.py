"""The follow form, its JSON twin and the links in the mails, through the app (no browser): what each page
offers, what is answered (always the same to a subscription request), limits, and absolute links that
never come from the request's Host."""

from __future__ import annotations

import email
import email.policy
import re

import pytest
from sqlmodel import select

from kb import mailer, subscriptions
from kb.models import MailKind, OutboxMail, Subscription, SubscriptionStatus
from tests.support.records import html, make_product, make_standard
from web.routes import follow as follow_routes


@pytest.fixture
def ids(kbase):
    with kbase.session() as s:
        p = make_product(s, "Nước mắm cốt Cát Hải")
        std = make_standard(s, "TCVN 5107:2018", title_vi="Nước mắm")
        return {"product": p.id, "standard": std.code}


def _outbox(kbase) -> list[OutboxMail]:
    with kbase.session() as s:
        return list(s.exec(select(OutboxMail)).all())


@pytest.mark.parametrize("page, kind", [("product", "product"), ("standard", "standard")])
def test_pages_offer_the_follow_form(client, ids, page, kind):
    url = f"/products/{ids['product']}" if page == "product" else "/standards/TCVN%205107:2018"
    doc = html(client.get(url))
    form = doc.css_first("#theo-doi form")
    assert form.attributes["action"] == "/subscriptions" and form.attributes["method"] == "post"
    assert doc.css_first("#theo-doi input[name=kind]").attributes["value"] == kind
    key = doc.css_first("#theo-doi input[name=key]").attributes["value"]
    assert key == (str(ids["product"]) if kind == "product" else "TCVN 5107:2018")
    assert doc.css_first("#follow-email").attributes["type"] == "email"
    assert doc.css_first("#theo-doi a.feed-link").attributes["href"].endswith(".atom")


def test_the_answer_is_the_same_whatever_the_address_follows(client, kbase, ids):
    form = {"email": "an@example.vn", "kind": "product", "key": str(ids["product"]), "digest": "daily"}
    first = client.post("/subscriptions", data=form, follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"].startswith("/subscriptions/sent?")
    with kbase.session() as s:
        sub = s.exec(select(Subscription)).one()
        subscriptions.confirm(s, sub)
    again = client.post("/subscriptions", data=form, follow_redirects=False)
    assert (again.status_code, again.headers["location"]) == (first.status_code, first.headers["location"])
    assert [m.kind for m in _outbox(kbase)] == [MailKind.confirm]  # nothing more for a confirmed address
    api = [client.post("/api/subscriptions", json={"email": e, "product_id": ids["product"]})
           for e in ("an@example.vn", "moi@example.vn")]
    assert [r.status_code for r in api] == [202, 202] and api[0].json() == api[1].json()


def test_a_bad_form_comes_back_with_its_values_and_the_reason(client, ids):
    r = client.post("/subscriptions", data={"email": "nguoi@maychu", "kind": "product", "key": str(ids["product"]),
                                            "digest": "weekly"})
    assert r.status_code == 400
    doc = html(r)
    assert "Địa chỉ thư điện tử không hợp lệ" in doc.css_first("#form-error").text()
    assert doc.css_first("#follow-email").attributes["value"] == "nguoi@maychu"
    assert doc.css_first("#follow-digest option[selected]").attributes["value"] == "weekly"
    assert client.post("/subscriptions", data={"email": "a@example.vn", "kind": "product", "key": "999999"}
                       ).status_code == 404
    assert client.post("/subscriptions", data={"email": "a@example.vn", "kind": "user", "key": "1"}).status_code == 400


@pytest.mark.parametrize("body, status", [
    ({"email": "a@example.vn"}, 400),
    ({"email": "a@example.vn", "product_id": 1, "standard": "TCVN 5107:2018"}, 400),
    ({"email": "a@example.vn", "standard": "TCVN 99999:2099"}, 404),
    ({"email": "a@example.vn", "hs_code": "12345"}, 400),
    ({"email": "a@example.vn", "standard": "TCVN 5107:2018", "digest": "hourly"}, 400),
    ({"email": "không phải thư", "standard": "TCVN 5107:2018"}, 400),
    ({"email": "a@example.vn", "hs_code": "8516.60.10"}, 202),
    ({"email": "a@example.vn", "legal_document": "36/2026/tt-bkhcn"}, 404),
])
def test_api_refusals_are_clear(client, ids, body, status):
    r = client.post("/api/subscriptions", json=body)
    assert r.status_code == status, r.text
    assert re.search(r"[àáảãạăâđêôơư]", r.json()["detail"])  # Vietnamese, whatever the outcome


def test_a_client_is_limited_per_hour(client, ids):
    for _ in range(follow_routes.REQUESTS_PER_HOUR):
        assert client.post("/api/subscriptions", json={"email": "x@example.vn", "product_id": ids["product"]}
                           ).status_code == 202
    r = client.post("/api/subscriptions", json={"email": "y@example.vn", "product_id": ids["product"]})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    page = client.post("/subscriptions", data={"email": "y@example.vn", "kind": "product", "key": str(ids["product"])})
    assert page.status_code == 429 and "quá nhiều yêu cầu" in page.text


def test_links_in_mails_come_from_the_public_url_not_the_host_header(client, kbase, ids):
    kbase.settings.public_url = "https://tieuchuan.bacninh.gov.example"
    client.post("/subscriptions", data={"email": "an@example.vn", "kind": "product", "key": str(ids["product"])},
                headers={"Host": "evil.example"})
    with kbase.session() as s:
        out = mailer.render(s, s.exec(select(OutboxMail)).one(), kbase.settings.secret_key, kbase.settings.site_url,
                            kbase.settings.mail_from)
    msg = email.message_from_bytes(out.data, policy=email.policy.default)
    text = msg.get_body(preferencelist=("plain",)).get_content()
    assert "evil.example" not in msg.as_string()
    assert "https://tieuchuan.bacninh.gov.example/subscriptions/confirm/" in text


def test_confirm_and_unsubscribe_links(client, kbase, ids):
    client.post("/api/subscriptions", json={"email": "an@example.vn", "standard": "tcvn 5107-2018"})
    with kbase.session() as s:
        sub = s.exec(select(Subscription)).one()
    secret = kbase.settings.secret_key
    confirm = subscriptions.link_token(secret, sub, "confirm")
    r = client.get(f"/subscriptions/confirm/{confirm}")
    assert r.status_code == 200 and "Đã xác nhận theo dõi" in r.text
    assert html(r).css_first("main a").attributes["href"] == "/standards/TCVN%205107:2018"
    assert client.get(f"/subscriptions/confirm/{confirm}").status_code == 200  # a second click changes nothing
    assert client.get(f"/subscriptions/confirm/{confirm[:-3]}abc").status_code == 404
    unsub = subscriptions.link_token(secret, sub, "unsubscribe")
    # RFC 8058: the mail provider posts from elsewhere; the signed link is its authority, not a cookie.
    r = client.post(f"/subscriptions/unsubscribe/{unsub}", data={"List-Unsubscribe": "One-Click"},
                    headers={"Sec-Fetch-Site": "cross-site", "Origin": "https://mail.example"})
    assert r.status_code == 200 and "Đã hủy theo dõi" in r.text
    with kbase.session() as s:
        assert s.get(Subscription, sub.id).status == SubscriptionStatus.unsubscribed
    assert client.get(f"/subscriptions/unsubscribe/{unsub}").status_code == 200
    assert client.get("/subscriptions/unsubscribe/" + "x" * 500).status_code in (400, 404)
    # Other unsafe requests from another site are still refused.
    assert client.post("/subscriptions", data={"email": "a@example.vn", "kind": "standard", "key": "TCVN 5107:2018"},
                       headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403


def test_hs_code_page(client, kbase, ids):
    with kbase.session() as s:
        from kb import hscodes
        from kb.models import Product
        hscodes.add_codes(s, s.get(Product, ids["product"]), ["2103.90"], "test")
    r = client.get("/hs/2103.90", follow_redirects=False)
    assert r.status_code == 301 and r.headers["location"] == "/hs/210390"
    doc = html(client.get("/hs/210390"))
    assert doc.css_first("h1").text().strip() == "2103.90"
    assert doc.css_first("#theo-doi input[name=kind]").attributes["value"] == "hs_code"
    assert client.get("/hs/12345").status_code == 400
    assert client.get("/api/hs/2103").json()["code"] == "2103"

