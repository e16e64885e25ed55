"""The audit log in a real browser (Playwright on Debian's Chromium), desktop and 360 px phone, with and
without JavaScript: filter to one kind of record and a date range, read the sentence, open the before/after
table. Skipped cleanly when Playwright or /usr/bin/chromium is missing."""

from __future__ import annotations

import pytest

from kb import products
from kb.models import ProductUpdate, utcnow
from tests.support.accounts import PASSWORD
from tests.support.browser import VIEWPORTS, no_horizontal_scroll, require_browser, sign_in
from tests.support.server import seeded_server

require_browser()  # skips this module without Playwright or Chromium


def _edited(kbase, w) -> None:
    with kbase.session() as s:
        products.update_product(s, w.product, ProductUpdate(category="Bánh truyền thống", ocop_stars=4), None, "cur1")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = seeded_server(tmp_path_factory, "audit-browser", _edited)
    yield srv
    srv.stop()


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_filter_the_log_and_open_a_change(server, browser, shots, device, js):
    ctx = browser.new_context(viewport=VIEWPORTS[device], java_script_enabled=js, locale="vi-VN")
    page = ctx.new_page()
    try:
        sign_in(page, server.url, "curator", PASSWORD, "/curate/audit")
        no_horizontal_scroll(page)
        page.select_option("#f-entity", label="Sản phẩm")
        page.select_option("#f-action", label="Sửa")
        today = utcnow().date().isoformat()
        page.fill("#f-from", today)
        page.fill("#f-to", today)
        page.click("#audit-filter button[type=submit]")
        page.wait_for_url("**entity=product*")
        lines = page.locator("#events li.audit-line")
        assert lines.count() == 1
        line = lines.first
        assert line.locator(".audit-sentence").inner_text() == (
            "cur1 sửa sản phẩm Bánh phu thê Đình Bảng (đổi nhóm sản phẩm, số sao OCOP)")
        table = line.locator("table.audit-diff")
        assert not table.is_visible()
        line.locator("details summary").click()
        assert table.is_visible()
        row = table.locator("tbody tr", has_text="Nhóm sản phẩm")
        assert row.locator("td").all_inner_texts() == ["Bánh kẹo", "Bánh truyền thống"]
        assert row.get_attribute("class") == "changed"
        assert line.locator("button", has_text="Hoàn tác").is_visible()
        no_horizontal_scroll(page)
        page.screenshot(path=shots / "audit-filtered-open.png", full_page=True)
        assert page.locator("#f-entity").input_value() == "product"  # the filter stays chosen
    finally:
        ctx.close()
