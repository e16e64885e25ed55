"""The suggestion queue in a real browser (Playwright on Debian's Chromium), desktop and 360 px phone, with and
without JavaScript: filter to one standard, select all, approve with one confirmation that names the count,
and read the notice that names it too. Skipped cleanly when Playwright or /usr/bin/chromium is missing."""

from __future__ import annotations

import pytest

from kb.config import Settings
from kb.core import KnowledgeBase
from tests.support.accounts import PASSWORD
from tests.support.browser import VIEWPORTS, no_horizontal_scroll, require_browser, sign_in
from tests.support.queue import SERIES, build_queue
from tests.support.server import Server, seeded_server

require_browser()  # skips this module without Playwright or Chromium


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = seeded_server(tmp_path_factory, "queue-browser")
    yield srv
    srv.stop()


def fresh_suggestions(server: Server, prefix: str, n: int = 15):
    """Suggestions of their own for one test, written while the server runs (the queue is never cached)."""
    kbase = KnowledgeBase(Settings(data_dir=server.data_dir, secret_key="test-secret"))
    try:
        return build_queue(kbase, n=n, prefix=prefix)
    finally:
        kbase.dispose()


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_filter_select_all_approve_with_one_confirmation(server, browser, shots, device, js):
    fresh_suggestions(server, f"Thử {device} {'js' if js else 'nojs'}")
    ctx = browser.new_context(viewport=VIEWPORTS[device], java_script_enabled=js, locale="vi-VN")
    page = ctx.new_page()
    try:
        sign_in(page, server.url, "curator", PASSWORD, "/curate/suggestions")
        page.fill("#f-standard", SERIES)
        page.click("#queue-filter button[type=submit]")
        page.wait_for_url("**standard=TCVN*")
        assert page.locator("#queue-total").inner_text() == "15"
        assert page.locator("article.suggestion").count() == 15
        assert page.locator("#shortcuts").is_visible() is js  # shortcuts are listed only where they work
        no_horizontal_scroll(page)
        page.screenshot(path=shots / "1-filtered.png", full_page=True)
        if js:
            page.check("#select-page")
            assert page.locator("#selected-count").inner_text() == "15"
            asked: list[str] = []
            page.once("dialog", lambda d: (asked.append(d.message), d.accept()))
            page.click("#bulk button.btn-approve")
            page.wait_for_url("**ok=approved*")
            assert asked == ["Duyệt 15 ánh xạ?"]
        else:
            page.click("form.all-form button.btn-approve")  # every suggestion the filter shows
            page.wait_for_url("**/curate/suggestions/confirm*")
            assert page.locator("h1").inner_text() == "Duyệt 15 ánh xạ?"
            assert page.locator("#confirm-list tbody tr").count() == 15
            no_horizontal_scroll(page)
            page.screenshot(path=shots / "2-confirm.png", full_page=True)
            page.click("#confirm-form button[type=submit]")
            page.wait_for_url("**ok=approved*")
        assert page.locator("[role=status]").inner_text() == "Đã duyệt 15 ánh xạ của TCVN 4884-1:2015."
        assert page.locator("article.suggestion").count() == 0
        no_horizontal_scroll(page)
        page.screenshot(path=shots / "3-done.png", full_page=True)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n--- server output ---\n{server.log()}") from exc
    finally:
        ctx.close()


def test_keyboard_moves_selects_and_approves(server, browser, shots):
    fresh_suggestions(server, "Phím tắt", n=3)
    ctx = browser.new_context(viewport=VIEWPORTS["desktop"], locale="vi-VN")
    page = ctx.new_page()
    try:
        sign_in(page, server.url, "curator", PASSWORD, "/curate/suggestions")
        page.fill("#f-product", "phim tat")
        page.click("#queue-filter button[type=submit]")
        page.wait_for_url("**product=*")
        assert page.locator("article.suggestion").count() == 3
        page.locator("h1").click()  # keys go to the page, not to a field
        page.keyboard.press("j")
        page.keyboard.press("x")
        assert page.locator("#selected-count").inner_text() == "1"
        assert page.locator("article.suggestion.is-current h3").inner_text().startswith("Phím tắt 01")
        page.keyboard.press("j")
        page.screenshot(path=shots / "keys.png")
        page.keyboard.press("a")
        page.wait_for_url("**ok=approved*")
        assert page.locator("[role=status]").inner_text() == "Đã duyệt ánh xạ Phím tắt 02 → TCVN 4884-1:2015."
        page.locator("h1").click()
        page.keyboard.press("j")
        page.keyboard.press("r")  # the reason field of the current card takes the keys
        page.keyboard.type("không áp dụng")
        page.keyboard.press("Enter")
        page.wait_for_url("**ok=rejected*")
        assert page.locator("[role=status]").inner_text() == "Đã từ chối ánh xạ Phím tắt 01 → TCVN 4884-1:2015."
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n--- server output ---\n{server.log()}") from exc
    finally:
        ctx.close()
