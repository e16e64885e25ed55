"""Review of an ingested document in a real browser (Playwright on Debian's Chromium), desktop and 360 px
phone, with and without JavaScript: open the item from the queue, see the rendered PDF page, switch to the
page of another field (on focus with JavaScript, by its link without), confirm one field; correct a replaces
code and the criteria table. Skipped cleanly when Playwright or /usr/bin/chromium is missing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from ingest.pipeline import ingest_paths
from kb import standards
from kb.config import Settings
from kb.core import KnowledgeBase
from kb.models import Standard
from tests.support.accounts import PASSWORD
from tests.support.browser import VIEWPORTS, explained, no_horizontal_scroll, require_browser, sign_in
from tests.support.pdfs import make_standard_pdf
from tests.support.server import Server, seeded_server

require_browser()  # skips this module without Playwright or Chromium


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = seeded_server(tmp_path_factory, "review-browser")
    yield srv
    srv.stop()


def _kbase(server: Server) -> KnowledgeBase:
    return KnowledgeBase(Settings(data_dir=server.data_dir, secret_key="test-secret"))


def ingest_one(server: Server, tmp_path, code: str) -> int:
    """A standard of the test's own, ingested while the server runs: stored, every field unconfirmed."""
    kbase = _kbase(server)
    try:
        [r] = ingest_paths(kbase, [make_standard_pdf(tmp_path / "doc.pdf", code=code, title="Mật ong - Yêu cầu kỹ thuật")])
        assert r["status"] == "ingested", r
        with kbase.session() as s:
            return standards.require_standard(s, code).id
    finally:
        kbase.dispose()


@contextmanager
def reviewing(server: Server, browser, tmp_path, device: str, js: bool, base: int) -> Iterator[tuple[Any, str, int]]:
    """A standard of the test's own (numbered from ``base`` by device and JavaScript, so no two runs share
    one) and a fresh browser page: ``(page, code, standard id)``."""
    code = f"TCVN {base + list(VIEWPORTS).index(device) * 2 + int(js)}:2021"
    std_id = ingest_one(server, tmp_path, code)
    ctx = browser.new_context(viewport=VIEWPORTS[device], java_script_enabled=js, locale="vi-VN")
    try:
        yield ctx.new_page(), code, std_id
    finally:
        ctx.close()


def _image_loaded(page) -> bool:
    return page.locator("#page-view img").evaluate("i => i.complete && i.naturalWidth === 900")


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_open_see_the_page_and_confirm_a_field(server, browser, shots, tmp_path, device, js):
    with reviewing(server, browser, tmp_path, device, js, 12000) as (page, code, std_id):
        with explained(server):
            sign_in(page, server.url, "curator", PASSWORD, "/curate/review")
            row = page.locator("#review tbody tr", has_text=code)
            assert "trường chưa xác nhận: " in row.locator(".unconfirmed").inner_text()
            row.locator("a").click()
            page.wait_for_url(f"**/curate/review/{std_id}")
            img = page.locator("#page-view img")
            img.scroll_into_view_if_needed()
            page.wait_for_function("() => document.querySelector('#page-view img').complete")
            assert _image_loaded(page)
            no_horizontal_scroll(page)
            page.screenshot(path=shots / "1-item.png", full_page=True)
            # The scope was read on another page than the title: show it.
            scope_page = page.locator("#field-scope").get_attribute("data-page")
            assert scope_page and not img.get_attribute("src").endswith(f"/pages/{scope_page}.png")
            if js:
                page.focus("#f-scope")
            else:
                page.click("#field-scope a.page-link")
                page.wait_for_url(f"**?page={scope_page}*")
            page.wait_for_function("n => document.querySelector('#page-view img').src.endsWith(`/pages/${n}.png`)",
                                   arg=scope_page)
            page.wait_for_function("() => document.querySelector('#page-view img').complete")
            img.scroll_into_view_if_needed()
            assert _image_loaded(page)
            assert page.locator("#page-view .page-no").inner_text() == scope_page
            page.screenshot(path=shots / "2-scope-page.png", full_page=True)
            # Confirm the scope alone.
            for box in page.locator("input[name=confirm]").all():
                box.uncheck()
            page.check('#field-scope input[name=confirm]')
            page.click("#review-form button[type=submit]")
            page.wait_for_url("**/curate/review?ok=reviewed*")
            no_horizontal_scroll(page)
        kbase = _kbase(server)
        try:
            with kbase.session() as s:
                prov = s.get(Standard, std_id).provenance
                assert prov["scope"]["verified"] and prov["scope_first_sentence"]["verified"]
                assert not prov["title_vi"].get("verified") and not prov["code"].get("verified")
        finally:
            kbase.dispose()


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_correct_a_replaces_code_and_a_criterion(server, browser, shots, tmp_path, device, js):
    """A wrong code first (the form comes back saying which, with what was typed), then the right one loosely
    typed and a criterion added; then that criterion corrected and another removed."""
    with reviewing(server, browser, tmp_path, device, js, 12100) as (page, _, std_id):
        with explained(server):
            sign_in(page, server.url, "curator", PASSWORD, f"/curate/review/{std_id}")
            assert page.input_value("#f-replaces") == "TCVN 3118:1993"
            page.fill("#f-replaces", "tcvn 3118 1985; bản năm 93")
            page.fill("input[name=crit-0-name]", "Hàm lượng nước")
            page.fill("input[name=crit-0-requirement]", "≤ 20")
            page.fill("input[name=crit-0-unit]", "%")
            page.fill("input[name=crit-0-method]", "tcvn 5263 1990")
            page.fill("input[name=crit-1-name]", "Đường khử")
            page.fill("input[name=crit-1-method]", "TCVN 5266:1990")
            no_horizontal_scroll(page)
            page.click("#review-form button[type=submit]")
            page.wait_for_selector("p.error")
            assert "“bản năm 93”" in page.inner_text("p.error")
            assert page.get_attribute("#f-replaces", "aria-invalid") == "true"
            assert page.input_value("input[name=crit-0-name]") == "Hàm lượng nước"  # nothing typed is lost
            no_horizontal_scroll(page)
            page.screenshot(path=shots / "1-refused.png", full_page=True)
            page.fill("#f-replaces", "tcvn 3118 1985")
            page.click("#review-form button[type=submit]")
            page.wait_for_url("**/curate/review?ok=reviewed*")
            page.goto(f"{server.url}/curate/review/{std_id}")
            assert page.input_value("#f-replaces") == "TCVN 3118:1985"
            assert page.inner_text("#crit-0 .method-code") == "liên kết: TCVN 5263:1990"
            assert page.locator("#criteria-table tbody tr.new-row").count() == 3
            no_horizontal_scroll(page)
            page.screenshot(path=shots / "2-saved.png", full_page=True)
            page.fill("input[name=crit-0-requirement]", "≤ 18")
            page.check("input[name=crit-1-delete]")
            page.click("#review-form button[type=submit]")
            page.wait_for_url("**/curate/review?ok=reviewed*")
        kbase = _kbase(server)
        try:
            with kbase.session() as s:
                std = s.get(Standard, std_id)
                assert std.extra["replaces"] == ["TCVN 3118:1985"]
                assert std.provenance["replaces"]["verified"] and std.provenance["criteria"]["method"] == "curator"
                rows = [(c.name, c.requirement, c.unit, c.method, c.method_code) for c in standards.criteria_of(s, std)]
                assert rows == [("Hàm lượng nước", "≤ 18", "%", "TCVN 5263:1990", "TCVN 5263:1990")]
        finally:
            kbase.dispose()
