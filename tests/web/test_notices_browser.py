"""The curators' notices page in a real browser (Playwright on Debian's Chromium), desktop and 360 px phone,
with and without JavaScript: hold a pending notice, edit its title and sentence, release it at once.
Skipped cleanly when Playwright or /usr/bin/chromium is missing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kb import notices
from kb.models import utcnow
from tests.support.accounts import PASSWORD
from tests.support.browser import VIEWPORTS, explained, no_horizontal_scroll, require_browser, sign_in
from tests.support.server import seeded_server

require_browser()  # skips this module without Playwright or Chromium

VARIANTS = [f"{device}-{js}" for device in VIEWPORTS for js in ("js", "nojs")]


def _title(variant: str) -> str:
    return f"Bánh phu thê Đình Bảng: thêm TCVN 3118:1993 ({variant})"


def _notices(kbase, w) -> None:
    """One pending notice per browser variant, due tomorrow: the server's delivery loop leaves it alone."""
    with kbase.session() as s:
        for v in VARIANTS:
            notices.emit(s, notices.Draft("mapping_approved", f"browser-test:{v}", _title(v),
                                          "Bánh phu thê Đình Bảng có thêm yêu cầu TCVN 3118:1993 (phương pháp thử).",
                                          f"/products/{w.product}", {"entity": "mapping", "id": w.mapping}),
                         release_at=utcnow() + timedelta(days=1))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = seeded_server(tmp_path_factory, "notices-browser", _notices)
    yield srv
    srv.stop()


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_hold_then_edit_then_release(server, browser, shots, device, js):
    variant = f"{device}-{'js' if js else 'nojs'}"
    title, edited = _title(variant), f"Đã sửa: bánh phu thê cần thử cường độ ({variant})"
    ctx = browser.new_context(viewport=VIEWPORTS[device], java_script_enabled=js, locale="vi-VN")
    page = ctx.new_page()
    try:
        with explained(server):
            sign_in(page, server.url, "curator", PASSWORD, "/curate/notices")
            item = page.locator("#queue article", has=page.locator("h3", has_text=title))
            assert item.count() == 1 and item.get_attribute("data-status") == "pending"
            assert "Bánh phu thê Đình Bảng" in item.locator(".notice-subjects").inner_text()
            assert "Gửi đi lúc" in item.locator(".notice-when").inner_text()
            no_horizontal_scroll(page)
            page.screenshot(path=shots / "1-pending.png", full_page=True)

            item.get_by_role("button", name="Giữ lại", exact=True).click()
            page.wait_for_url("**ok=hold*")
            assert page.locator("p.notice[role=status]").inner_text() == f"Đã giữ lại thông báo «{title}»."
            item = page.locator("#queue article", has=page.locator("h3", has_text=title))
            assert item.get_attribute("data-status") == "held"
            assert "Đang giữ lại" in item.locator(".notice-when").inner_text()

            form = item.locator("form.notice-edit")
            assert not form.is_visible()
            item.locator("details summary").click()
            form.get_by_label("Tiêu đề").fill(edited)
            form.get_by_label("Nội dung").fill("Bánh phu thê Đình Bảng cần thử cường độ nén theo TCVN 3118:1993.")
            no_horizontal_scroll(page)
            form.get_by_role("button", name="Lưu thông báo").click()
            page.wait_for_url("**ok=edit*")
            assert page.locator("p.notice[role=status]").inner_text() == f"Đã sửa thông báo «{edited}»."
            item = page.locator("#queue article", has=page.locator("h3", has_text=edited))
            assert item.get_attribute("data-status") == "held"
            assert "cường độ nén" in item.locator(".notice-sentence").inner_text()
            page.screenshot(path=shots / "2-held-edited.png", full_page=True)

            item.get_by_role("button", name="Phát hành ngay").click()
            page.wait_for_url("**ok=release*")
            assert page.locator("p.notice[role=status]").inner_text() == f"Đã phát hành thông báo «{edited}»."
            assert page.locator("#queue article", has=page.locator("h3", has_text=edited)).count() == 0
            assert page.locator("#released tr", has_text=edited).count() == 1
            no_horizontal_scroll(page)
            page.screenshot(path=shots / "3-released.png", full_page=True)
    finally:
        ctx.close()
