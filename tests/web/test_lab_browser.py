"""The lab's own flow in a real browser (issue 13, item 5): sign in, add a loosely typed method at the top
form, see it linked in the message at the top, delete it through the confirmation page, undo. On a desktop and
a 360 px phone, with and without JavaScript; skipped cleanly when Playwright or Chromium is missing."""

from __future__ import annotations

import re

import pytest

from kb import standards
from kb.models import StandardCreate
from tests.support.accounts import PASSWORD
from tests.support.browser import VIEWPORTS, explained, in_first_screen, no_english, no_horizontal_scroll, require_browser, sign_in
from tests.support.server import seeded_server

require_browser()  # skips this module without Playwright or Chromium

#: Words of the site's English that must not reach these pages (the lab's own data is theirs to write).
ENGLISH = re.compile(r"\b(accreditation|material|test|range|method|accredited|linked|delete|undo|upload|scope|"
                     r"verified|yes|no|error|submit|save|cancel)\b", re.IGNORECASE)


def _with_method_standard(kbase, _world) -> None:
    with kbase.session() as s:
        standards.upsert_standard(s, StandardCreate(code="TCVN 7570:2006", title_vi="Cốt liệu cho bê tông và vữa"),
                                  actor="test", source="import")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = seeded_server(tmp_path_factory, "lab-browser", _with_method_standard)
    yield srv
    srv.stop()



@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_add_loose_method_see_it_linked_delete_with_confirmation_and_undo(server, browser, shots, device, js):
    lab_id = server.world.lab_a
    name = f"Thành phần hạt ({device}, {'có' if js else 'không'} JavaScript)"
    ctx = browser.new_context(viewport=VIEWPORTS[device], java_script_enabled=js, locale="vi-VN")
    page = ctx.new_page()
    with explained(server):
        sign_in(page, server.url, "lab_a", PASSWORD, f"/lab/{lab_id}")
        no_horizontal_scroll(page)
        # The add form comes before the rows.
        form_y = page.locator("#add-row").bounding_box()["y"]
        assert form_y < page.locator("#scope").bounding_box()["y"]
        page.fill("#new-material", "Cát xây dựng")
        page.fill("#new-test", name)
        page.fill("#new-method", "tcvn 7570 2006")
        page.screenshot(path=shots / "1-add.png", full_page=True)
        page.locator("#add-row button[type=submit]").click()
        page.wait_for_url(re.compile(r".*ok=added.*"))

        # The message is at the top and says the method is linked, with the standard's page.
        notice = page.locator("#lab-notice")
        assert name in notice.inner_text()
        linked = notice.locator("li.linked")
        assert " ".join(linked.inner_text().split()) == "Đã liên kết với TCVN 7570:2006"
        assert linked.locator("a").get_attribute("href") == "/standards/TCVN%207570:2006"
        in_first_screen(page, "#lab-notice")
        row = page.locator("#scope tbody tr", has=page.locator(f'th:text-is("{name}")'))
        assert row.locator("td").nth(2).inner_text().startswith("TCVN 7570:2006")
        no_horizontal_scroll(page)
        no_english(page, ENGLISH)
        page.screenshot(path=shots / "2-added.png", full_page=True)

        # Delete asks first, on a page of its own.
        row.locator("a.delete-link").click()
        page.wait_for_url(re.compile(r".*/scope/\d+/delete$"))
        assert name in page.locator("#delete-row").inner_text()
        no_horizontal_scroll(page)
        no_english(page, ENGLISH)
        page.screenshot(path=shots / "3-confirm.png", full_page=True)
        page.locator("#confirm-delete button[type=submit]").click()
        page.wait_for_url(re.compile(r".*ok=deleted.*"))
        assert page.locator("#scope tbody tr", has=page.locator(f'th:text-is("{name}")')).count() == 0
        in_first_screen(page, "#undo-form")
        assert name in page.locator("#undo-form").inner_text()
        page.screenshot(path=shots / "4-deleted.png", full_page=True)

        # Undo brings it back, linked as before.
        page.locator("#undo-form button").click()
        page.wait_for_url(re.compile(r".*ok=restored.*"))
        assert "Đã khôi phục" in page.locator("#lab-notice").inner_text()
        row = page.locator("#scope tbody tr", has=page.locator(f'th:text-is("{name}")'))
        assert row.count() == 1 and row.locator("li.linked").count() == 1
        no_english(page, ENGLISH)
        page.screenshot(path=shots / "5-restored.png", full_page=True)

        # The public page of a standard finds the lab now.
        page.goto(f"{server.url}/standards/TCVN%207570:2006")
        assert page.locator(f'li.lab[data-lab-id="{lab_id}"]').count() == 1
    ctx.close()
