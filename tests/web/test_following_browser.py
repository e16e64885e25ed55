"""Following a product in a real browser against a real `kb serve` that mails through a real SMTP server on
localhost: the form on the product page (desktop and 360 px phone, with and without JavaScript), the
confirmation link from the mail, then a curator's approval reaching the inbox through the background loop."""

from __future__ import annotations

import re
import time

import pytest

from tests.support.accounts import PASSWORD
from tests.support.browser import VIEWPORTS, explained, no_english, no_horizontal_scroll, require_browser, sign_in
from tests.support.server import seeded_server
from tests.support.smtp import SmtpServer

require_browser()

ENGLISH = re.compile(r"\b(subscribe|email|confirm|follow|digest|daily|weekly|submit|error|feed)\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture(scope="module")
def server(tmp_path_factory, smtp):
    srv = seeded_server(tmp_path_factory, "follow-browser", env={
        "KB_SMTP_URL": smtp.url, "KB_PUBLIC_URL": "{url}", "KB_NOTIFY_INTERVAL": "1", "KB_NOTICE_HOLD_SECONDS": "0",
        "KB_MAIL_FROM": "Tra cứu tiêu chuẩn <no-reply@tieuchuan.example>"})
    yield srv
    srv.stop()



@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_follow_form_on_a_product_page(server, browser, shots, device, js):
    ctx = browser.new_context(viewport=VIEWPORTS[device], java_script_enabled=js, locale="vi-VN")
    page = ctx.new_page()
    with explained(server):
        page.goto(f"{server.url}/products/{server.world.product}")
        form = page.locator("#theo-doi form")
        assert form.is_visible()
        # The browser's own check lets "a@b" through (no dot needed); the server's refuses it.
        page.fill("#follow-email", "nguoi@maychu")
        page.select_option("#follow-digest", "weekly")
        page.click("#theo-doi button[type=submit]")
        page.wait_for_load_state()
        assert "Địa chỉ thư điện tử không hợp lệ" in page.locator("#form-error").inner_text()
        assert page.input_value("#follow-email") == "nguoi@maychu"  # nothing typed is lost
        assert page.input_value("#follow-digest") == "weekly"
        no_english(page, ENGLISH)
        page.fill("#follow-email", f"{device}-{js}@example.vn")
        page.click("#theo-doi button[type=submit]")
        page.wait_for_url(re.compile(r"/subscriptions/sent"))
        assert "thư xác nhận" in page.locator("#follow-result").inner_text()
        assert page.locator("a", has_text="Quay lại trang Bánh phu thê Đình Bảng").count() == 1
        no_horizontal_scroll(page)
        no_english(page, ENGLISH)
        page.screenshot(path=str(shots / f"follow-sent-{device}-{'js' if js else 'nojs'}.png"), full_page=True)
    ctx.close()


def test_confirm_from_the_mail_then_a_curator_change_reaches_the_inbox(server, smtp, browser):
    ctx = browser.new_context(viewport=VIEWPORTS["desktop"], locale="vi-VN")
    page = ctx.new_page()
    address = "nguoi-theo-doi@example.vn"
    with explained(server):
        page.goto(f"{server.url}/products/{server.world.product}")
        page.fill("#follow-email", address)
        page.click("#theo-doi button[type=submit]")
        page.wait_for_url(re.compile(r"/subscriptions/sent"))
        confirm = smtp.inbox.wait_to(address)
        link = re.search(r"(http://\S+/subscriptions/confirm/\S+)", confirm.text()).group(1)
        assert link.startswith(server.url)  # built from KB_PUBLIC_URL
        page.goto(link)
        assert page.locator("h1").inner_text() == "Đã xác nhận theo dõi"
        no_english(page, ENGLISH)

        sign_in(page, server.url, "curator", PASSWORD)
        before = len(smtp.inbox.received)
        started = time.monotonic()
        r = page.request.post(f"{server.url}/api/mappings/bulk",
                              data={"ids": [server.world.mapping], "status": "approved"})
        assert r.status == 200, r.text()
        mail = smtp.inbox.wait_to(address, after=before)
        elapsed = time.monotonic() - started
        assert "Bánh phu thê Đình Bảng có thêm yêu cầu TCVN 3118:1993" in mail.text()
        unsub = re.search(r"(http://\S+/subscriptions/unsubscribe/\S+)", mail.text()).group(1)
        print(f"từ lúc duyệt đến hộp thư: {elapsed:.1f} s")
    # One click from the mail provider (RFC 8058): a cross-site POST with no cookie ends it.
    ctx2 = browser.new_context()
    r = ctx2.request.post(unsub, form={"List-Unsubscribe": "One-Click"}, headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status == 200 and "Đã hủy theo dõi" in r.text()
    ctx.close()
    ctx2.close()
