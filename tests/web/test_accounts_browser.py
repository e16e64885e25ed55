"""Accounts in a real browser: sign in → the header's link to one's workspace → change the password →
sign out → sign in with the new one. Playwright on Debian's Chromium against a server process, on a
desktop (a curator) and a 360 px phone (a lab), with and without JavaScript. Skipped cleanly when
Playwright or /usr/bin/chromium is missing.
"""

from __future__ import annotations

import pytest

from kb import users
from kb.models import Role
from tests.support.accounts import PASSWORD
from tests.support.browser import VIEWPORTS, explained, no_horizontal_scroll, require_browser, sign_in
from tests.support.server import seeded_server

require_browser()  # skips this module without Playwright or Chromium

NEW = "mật-khẩu-mới-trên-trình-duyệt"
#: One account per run (a run changes its password): curators on the desktop, a lab's staff on the phone.
ROLES = {"desktop": Role.curator, "phone": Role.lab}


def account(device: str, js: bool) -> str:
    return f"{device}_{'js' if js else 'nojs'}"


TEMPORARY = "abcd-efgh-ijkm-npqr"


def _accounts(kbase, _world) -> None:
    with kbase.session() as s:
        for device, role in ROLES.items():
            for js in (True, False):
                lab = "VILAS 1001" if role == Role.lab else None
                users.add_user(s, account(device, js), PASSWORD, role, lab=lab)
                # As after an admin's reset: a temporary password the user must replace at once.
                users.add_user(s, "temp_" + account(device, js), PASSWORD, role, lab=lab)
                users.set_password(s, "temp_" + account(device, js), TEMPORARY, actor="admin", must_change=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = seeded_server(tmp_path_factory, "accounts-browser", _accounts)
    yield srv
    srv.stop()


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_sign_in_workspace_link_change_password_sign_out_sign_in_again(server, browser, shots, device, js):
    name = account(device, js)
    workspace = "/curate" if ROLES[device] == Role.curator else f"/lab/{server.world.lab_a}"
    ctx = browser.new_context(viewport=VIEWPORTS[device], java_script_enabled=js, locale="vi-VN")
    page = ctx.new_page()
    with explained(server):
        sign_in(page, server.url, name, PASSWORD)
        page.wait_for_url(f"**{workspace}")

        # From a public page, the header leads back to the workspace.
        page.goto(server.url + f"/products/{server.world.product}")
        link = page.locator("header .header-account a.workspace-link")
        assert link.get_attribute("href") == workspace
        page.screenshot(path=shots / "1-public-page-signed-in.png", full_page=True)
        no_horizontal_scroll(page)
        link.click()
        page.wait_for_url(f"**{workspace}")

        # The header's "Đổi mật khẩu": a wrong current password first, then the change.
        page.locator("header .header-account a", has_text="Đổi mật khẩu").click()
        page.wait_for_url("**/account/password")
        no_horizontal_scroll(page)
        page.fill("#pw-current", "không-phải-mật-khẩu")
        page.fill("#pw-new", NEW)
        page.fill("#pw-repeat", NEW)
        page.click("#password-form button[type=submit]")
        assert page.locator("[role=alert]").inner_text().strip() == "Mật khẩu hiện tại không đúng."
        page.fill("#pw-current", PASSWORD)
        page.fill("#pw-new", NEW)
        page.fill("#pw-repeat", NEW)
        page.click("#password-form button[type=submit]")
        page.wait_for_url("**/account/password?ok=changed")
        assert "Đã đổi mật khẩu" in page.locator("[role=status]").inner_text()
        page.screenshot(path=shots / "2-password-changed.png", full_page=True)
        no_horizontal_scroll(page)

        # Still signed in; sign out, and the header names nobody.
        page.click(".account form[action='/logout'] button")
        page.wait_for_url(server.url + "/")
        assert page.locator("header .header-account").count() == 0

        sign_in(page, server.url, name, PASSWORD)
        assert page.locator("[role=alert]").inner_text().strip() == "Sai tên đăng nhập hoặc mật khẩu."
        sign_in(page, server.url, name, NEW)
        page.wait_for_url(f"**{workspace}")
        assert page.locator("header .header-account a.workspace-link").get_attribute("href") == workspace
        page.screenshot(path=shots / "3-signed-in-again.png", full_page=True)
    ctx.close()


def test_403_page_leads_back_on_a_phone(server, browser, shots):
    ctx = browser.new_context(viewport=VIEWPORTS["phone"], java_script_enabled=False)
    page = ctx.new_page()
    with explained(server):
        sign_in(page, server.url, "lab_b", PASSWORD)
        page.wait_for_url(f"**/lab/{server.world.lab_b}")
        response = page.goto(server.url + "/curate")
        assert response.status == 403
        no_horizontal_scroll(page)
        page.screenshot(path=shots / "403.png", full_page=True)
        page.click("a.workspace-return")
        page.wait_for_url(f"**/lab/{server.world.lab_b}")
    ctx.close()


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_a_temporary_password_leads_to_the_password_page_until_replaced(server, browser, shots, device, js):
    name = "temp_" + account(device, js)
    workspace = "/curate" if ROLES[device] == Role.curator else f"/lab/{server.world.lab_a}"
    ctx = browser.new_context(viewport=VIEWPORTS[device], java_script_enabled=js, locale="vi-VN")
    page = ctx.new_page()
    with explained(server):
        sign_in(page, server.url, name, TEMPORARY)
        page.wait_for_url("**/account/password")
        assert "mật khẩu tạm thời" in page.locator("#must-change").inner_text()
        page.screenshot(path=shots / "1-must-change.png", full_page=True)
        no_horizontal_scroll(page)
        # The workspace link in the header leads back here until the password is the user's own.
        page.locator("header .header-account a.workspace-link").click()
        page.wait_for_url("**/account/password")
        page.fill("#pw-current", TEMPORARY)
        page.fill("#pw-new", NEW)
        page.fill("#pw-repeat", NEW)
        page.click("#password-form button[type=submit]")
        page.wait_for_url("**/account/password?ok=changed")
        assert page.locator("#must-change").count() == 0
        page.locator("header .header-account a.workspace-link").click()
        page.wait_for_url(f"**{workspace}")
        page.screenshot(path=shots / "2-workspace-open.png", full_page=True)
    ctx.close()
