"""Browser tests: Playwright drives Debian's Chromium against a real server process on a free port.

The enterprise flow — an unaccented product name, then the product, then a lab — on a desktop and on a
360×740 phone, with and without JavaScript. Screenshots go to ``$KB_TEST_OUTPUT`` (default: the test's
tmp dir). Skipped cleanly when Playwright or /usr/bin/chromium is missing.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.support.browser import VIEWPORTS, explained, no_horizontal_scroll, require_browser
from tests.support.server import world_server

require_browser()  # skips this module without Playwright or Chromium


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # Printed addresses and share links come from KB_PUBLIC_URL only: the server's own address here.
    srv = world_server(tmp_path_factory, "browser", {"KB_PUBLIC_URL": "{url}"})
    yield srv
    srv.stop()


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_unaccented_name_to_product_to_lab_in_three_taps(server, browser, shots, device, js):
    ctx = browser.new_context(viewport=VIEWPORTS[device], java_script_enabled=js, locale="vi-VN")
    page = ctx.new_page()
    with explained(server):
        page.goto(server.url + "/")
        no_horizontal_scroll(page)
        page.fill("#q", "banh phu the")
        page.screenshot(path=shots / "1-home.png", full_page=True)
        page.press("#q", "Enter")  # tap 1: search
        page.wait_for_url("**/search?**")
        first = page.locator("section.result-group[data-kind=product] li.hit a.hit-title").first
        assert first.inner_text().strip() == "Bánh phu thê Đình Bảng"
        page.screenshot(path=shots / "2-results.png", full_page=True)
        no_horizontal_scroll(page)
        first.click()  # tap 2: the product
        page.wait_for_url(f"**/products/{server.world.product_id}")
        assert page.locator("h1").inner_text().strip() == "Bánh phu thê Đình Bảng"
        assert page.locator("section.mapping-group").first.get_attribute("data-type") == "mandatory"
        page.screenshot(path=shots / "3-product.png", full_page=True)
        no_horizontal_scroll(page)
        lab = page.locator(f'li.lab[data-lab-id="{server.world.lab_id}"] a.lab-name').first
        lab.click()  # tap 3: a lab that can test it
        page.wait_for_url(f"**/labs/{server.world.lab_id}")
        assert page.locator("dd.acc").inner_text().strip() == "VILAS 1074"
        page.screenshot(path=shots / "4-lab.png", full_page=True)
        no_horizontal_scroll(page)
    ctx.close()


def test_instant_results_as_you_type(server, browser, shots):
    ctx = browser.new_context(viewport=VIEWPORTS["phone"])
    page = ctx.new_page()
    with explained(server):
        page.goto(server.url + "/")
        page.locator("#q").press_sequentially("banh phu")
        link = page.locator("#instant a").first
        link.wait_for(state="visible", timeout=5000)
        assert "Bánh phu thê" in link.inner_text()
        page.screenshot(path=shots / "instant.png")
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")
        page.wait_for_url(f"**/products/{server.world.product_id}")
    ctx.close()


def test_instant_results_keep_near_matches_under_a_divider(server, browser, shots):
    ctx = browser.new_context(viewport=VIEWPORTS["desktop"])
    page = ctx.new_page()
    with explained(server):
        page.goto(server.url + "/")
        # the method standard names aflatoxin (an answer); the labs only test it (near matches)
        page.locator("#q").press_sequentially("aflatoxin")
        divider = page.locator("#instant li.near-divider")
        divider.wait_for(state="visible", timeout=5000)
        assert divider.inner_text() == "Kết quả gần đúng"
        items = page.locator("#instant li").evaluate_all(
            "els => els.map(e => e.classList.contains('near-divider') ? '|' : (e.classList.contains('near') ? 'n' : 'h'))")
        assert "".join(items).startswith("h") and "".join(items).split("|")[1] and set("".join(items).split("|")[1]) == {"n"}
        page.screenshot(path=shots / "instant-near.png")
    ctx.close()


def test_code_query_opens_standard_and_pages_fit_a_phone(server, browser, shots):
    ctx = browser.new_context(viewport=VIEWPORTS["phone"], java_script_enabled=False)
    page = ctx.new_page()
    with explained(server):
        page.goto(server.url + "/")
        page.fill("#q", "qcvn 8 1 2011")
        page.press("#q", "Enter")
        page.wait_for_url("**/standards/**")
        assert page.locator("h1 .code").inner_text() == "QCVN 8-1:2011/BYT"
        no_horizontal_scroll(page)
        for path in ("/coverage", "/browse", "/browse/products", "/browse/standards",
                     f"/labs/{server.world.lab_id}", "/standards/TCVN%209999:2020"):
            page.goto(server.url + path)
            no_horizontal_scroll(page)
            page.screenshot(path=shots / (path.strip("/").replace("/", "_").replace("%", "") + ".png"), full_page=True)
        assert page.locator(".error-page").get_attribute("data-status") == "404"
    ctx.close()


def test_print_stylesheet_hides_navigation(server, browser):
    ctx = browser.new_context(viewport=VIEWPORTS["desktop"])
    page = ctx.new_page()
    with explained(server):
        page.goto(f"{server.url}/products/{server.world.product_id}")
        page.emulate_media(media="print")
        assert not page.locator("header.site-header").is_visible()
        assert page.locator("#viec-can-lam").is_visible()
    ctx.close()


def test_results_keep_their_width_without_a_facet_column(server, browser, shots):
    ctx = browser.new_context(viewport=VIEWPORTS["desktop"])
    page = ctx.new_page()
    with explained(server):
        page.goto(f"{server.url}/search?q=banh+phu+the")
        assert page.locator("aside.facets").count() == 0  # this query narrows to one kind: nothing to filter
        results = page.locator(".results-layout > .results").bounding_box()
        main = page.locator("main").bounding_box()
        page.screenshot(path=shots / "no-facets.png", full_page=True)
        # The whole content width of main (1280px viewport, 68rem wrap), not a 14rem facet column.
        assert results["width"] >= 0.9 * (main["width"] - 32), (results, main)
        assert results["width"] > 900, results
        page.goto(f"{server.url}/search?q=thuc+pham")  # with facets the two columns are still there
        facets = page.locator("aside.facets").bounding_box()
        results = page.locator(".results-layout > .results").bounding_box()
        assert facets["width"] < 260 and results["x"] > facets["x"] + facets["width"], (facets, results)
    ctx.close()


def test_a_printed_page_ends_with_its_date_and_address(server, browser):
    ctx = browser.new_context(viewport=VIEWPORTS["desktop"])
    page = ctx.new_page()
    with explained(server):
        path = f"/products/{server.world.product_id}"
        page.goto(server.url + path)
        source = page.locator("p.print-source")
        assert not source.is_visible()  # on screen the footer says who and where
        page.emulate_media(media="print")
        assert source.is_visible()
        text = source.inner_text()
        assert date.today().strftime("%d/%m/%Y") in text and f"{server.url}{path}" in text, text
        assert not page.locator("footer.site-footer").is_visible()
        pdf = page.pdf(format="A4")  # the real print path renders
        assert pdf[:4] == b"%PDF"
    ctx.close()
