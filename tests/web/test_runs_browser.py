"""Uploads and ingest runs in a real browser (Playwright on Debian's Chromium), desktop and 360 px phone, with
and without JavaScript: upload a PDF, land on its run page, see it finish; a run that works updates in
place with JavaScript and by refreshing without. Waits are on the page's content, with timeouts.
Skipped cleanly when Playwright or /usr/bin/chromium is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb import documents
from kb.config import Settings
from kb.core import KnowledgeBase
from kb.models import IngestStatus
from tests.support.accounts import PASSWORD
from tests.support.browser import VIEWPORTS, no_horizontal_scroll, require_browser, sign_in
from tests.support.pdfs import make_standard_pdf
from tests.support.server import seeded_server

WAIT_MS = 30_000

expect = require_browser().expect  # skips this module without Playwright or Chromium


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = seeded_server(tmp_path_factory, "runs-browser")
    yield srv
    srv.stop()


@pytest.fixture
def kbase(server):
    """The server's knowledge base, opened from this process as ``kb ingest`` would open it."""
    kb = KnowledgeBase(Settings(data_dir=server.data_dir, secret_key="test-secret"))
    yield kb
    kb.dispose()


def _row(page, n: int):
    return page.locator("#files tbody tr").nth(n)


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_upload_lands_on_the_run_page_and_sees_it_finish(server, browser, tmp_path, device, js):
    number = 9100 + list(VIEWPORTS).index(device) * 2 + js  # a standard of its own per case
    pdf = make_standard_pdf(tmp_path / "upload.pdf", code=f"TCVN {number}:2024", title="Gạch - Thử độ hút nước")
    ctx = browser.new_context(viewport=VIEWPORTS[device], java_script_enabled=js, locale="vi-VN")
    page = ctx.new_page()
    try:
        sign_in(page, server.url, "curator", PASSWORD, "/curate/upload")
        page.set_input_files("#u-file", files=[{"name": "Gạch xây đặc.pdf", "mimeType": "application/pdf",
                                               "buffer": pdf.read_bytes()}])
        page.click("#upload-form button[type=submit]")
        page.wait_for_url("**/curate/runs/*")
        expect(page.locator("#run-state")).to_have_text("xong", timeout=WAIT_MS)
        expect(_row(page, 0).locator("td").nth(0)).to_have_text("Gạch xây đặc.pdf")
        expect(_row(page, 0).locator("td").nth(1)).to_have_text("xong — đã nạp")
        expect(_row(page, 0).locator("a")).to_have_text(f"TCVN {number}:2024")
        no_horizontal_scroll(page)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n--- server output ---\n{server.log()}") from exc
    finally:
        ctx.close()


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_a_working_run_updates_itself(server, browser, kbase, tmp_path, js):
    files = [(str(tmp_path / "h1.pdf"), "Nước mắm.pdf"), (str(tmp_path / "h2.pdf"), "Rượu.pdf")]
    run_id = documents.start_run(kbase, "cli", files)  # this process is alive: the server sees a working run
    ctx = browser.new_context(viewport=VIEWPORTS["phone"], java_script_enabled=js, locale="vi-VN")
    page = ctx.new_page()
    try:
        sign_in(page, server.url, "curator", PASSWORD, f"/curate/runs/{run_id}")
        expect(page.locator("#run-state")).to_have_text("đang xử lý")
        expect(_row(page, 0).locator("td").nth(1)).to_have_text("đang chờ")
        if js:
            page.evaluate("window.notReloaded = true")
        documents.record_failure(kbase, run_id, Path(files[0][0]), None, "tệp hỏng: thiếu bảng xref")
        expect(_row(page, 0).locator("td").nth(1)).to_have_text("lỗi", timeout=WAIT_MS)
        expect(_row(page, 0).locator("td").nth(3)).to_have_text("tệp hỏng: thiếu bảng xref")
        expect(page.locator('[data-count="failed"]')).to_have_text("1")
        if js:
            assert page.evaluate("window.notReloaded === true"), "the row changed by a reload, not in place"
        no_horizontal_scroll(page)
        documents.record_failure(kbase, run_id, Path(files[1][0]), None, "", status=IngestStatus.unchanged)
        documents.finish_run(kbase, run_id, {})
        expect(page.locator("#run-state")).to_have_text("xong", timeout=WAIT_MS)
        expect(page.locator("#run-refresh")).to_have_count(0)
        expect(_row(page, 1).locator("td").nth(1)).to_have_text("xong — đã có sẵn, không đổi")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n--- server output ---\n{server.log()}") from exc
    finally:
        ctx.close()
