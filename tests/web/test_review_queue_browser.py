"""The document review queue in a real browser (Playwright on Debian's Chromium), desktop and 360 px phone, with
and without JavaScript: filter to one batch, select all by the filter, confirm the sure fields on the one
confirmation page that names the count, and read the notice that names what changed; no English from the site
on either page. Skipped cleanly when Playwright or /usr/bin/chromium is missing."""

from __future__ import annotations

import re

import pytest

from kb import standards
from kb.config import Settings
from kb.core import KnowledgeBase
from kb.models import Standard
from kb.text import fold
from tests.support.accounts import PASSWORD
from tests.support.browser import VIEWPORTS, explained, no_english, no_horizontal_scroll, require_browser, sign_in
from tests.support.review_queue import build_review_queue, fresh_documents
from tests.support.server import Server, seeded_server

require_browser()  # skips this module without Playwright or Chromium

#: Words of the site's English that must not reach these pages (file names and codes are data, not the site's).
ENGLISH = re.compile(r"\b(review|confirm|sure|fair|check|pending|field|fields|title|scope|document|source|level|"
                     r"bulk|select|all|submit|filter|page|next|previous|error|yes|no|none)\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = seeded_server(tmp_path_factory, "review-queue-browser", lambda kbase, _world: build_review_queue(kbase))
    yield srv
    srv.stop()


def _kbase(server: Server) -> KnowledgeBase:
    return KnowledgeBase(Settings(data_dir=server.data_dir, secret_key="test-secret"))



@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_filter_select_all_confirm_sure_fields_and_read_the_notice(server, browser, shots, device, js):
    tag = f"{'máy bàn' if device == 'desktop' else 'điện thoại'} {'có' if js else 'không'} JS"
    first = 60000 + 10 * (list(VIEWPORTS).index(device) * 2 + int(js))
    kbase = _kbase(server)
    try:
        ids = fresh_documents(kbase, tag, first)
    finally:
        kbase.dispose()
    ctx = browser.new_context(viewport=VIEWPORTS[device], java_script_enabled=js, locale="vi-VN")
    page = ctx.new_page()
    try:
        with explained(server):
            sign_in(page, server.url, "curator", PASSWORD, "/curate/review")
            page.fill("#f-text", f"lo {fold(tag)}")  # typed without accents
            page.select_option("#f-level", "check")
            page.click("#review-filter button[type=submit]")
            page.wait_for_url("**level=check*")
            assert page.locator("#review tbody tr").count() == 3
            matched, total = page.locator("#review-count").inner_text().split(" / ")
            assert matched == "3" and int(total) >= 3
            assert re.search(r"\(3 / \d+ tài liệu\)", page.locator("#documents").inner_text())
            no_horizontal_scroll(page)
            no_english(page, ENGLISH)
            page.screenshot(path=shots / "1-filtered.png", full_page=True)

            page.check("#select-all")
            page.click("#bulk button[type=submit]")
            page.wait_for_url("**/curate/review/bulk*")
            assert page.locator("h1").inner_text() == "Xác nhận 6 trường chắc chắn của 3 tài liệu?"
            assert page.locator("#confirm-list tbody tr").count() == 3
            no_horizontal_scroll(page)
            no_english(page, ENGLISH)
            page.screenshot(path=shots / "2-confirm.png", full_page=True)

            page.click("#confirm-form button[type=submit]")
            page.wait_for_url("**ok=confirmed*")
            message = page.locator("[role=status]").inner_text()
            assert message.startswith("Đã xác nhận 6 trường chắc chắn của 3 tài liệu: "), message
            assert all(f"TCVN {first + i}:2020" in message for i in range(3)), message
            # the filter is kept: the batch is still there, its scope still to check
            assert page.locator("#f-level").input_value() == "check"
            assert "1 trường chưa xác nhận: Phạm vi áp dụng" in page.locator("#review tbody tr").first.inner_text()
            no_horizontal_scroll(page)
            no_english(page, ENGLISH)
            page.screenshot(path=shots / "3-done.png", full_page=True)
        kbase = _kbase(server)
        try:
            with kbase.session() as s:
                for sid in ids:
                    std = s.get(Standard, sid)
                    assert standards.unconfirmed_fields(std) == ["scope"]
                    assert std.provenance["code"]["by"] == "curator"
        finally:
            kbase.dispose()
    finally:
        ctx.close()
