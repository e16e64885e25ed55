"""What every browser test shares: Debian's Chromium driven by Playwright, the desktop and phone viewports,
screenshots, and the checks every page must pass. Test modules call :func:`require_browser` at import (a
clean skip without Playwright or Chromium); the ``browser`` and ``shots`` fixtures are in tests/web/conftest.py.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("KB_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 360, "height": 740}}


def require_browser() -> Any:
    """Playwright's sync API, or skip the calling module with the reason (at import: module level)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)
    return sync_api


def screenshot_dir(tmp_path: Path, test_name: str) -> Path:
    root = Path(os.environ["KB_TEST_OUTPUT"]) if os.environ.get("KB_TEST_OUTPUT") else tmp_path
    out = root / "screenshots" / test_name.replace("[", "_").replace("]", "")
    out.mkdir(parents=True, exist_ok=True)
    return out


@contextmanager
def explained(server):
    """Put the server's output into the failure message."""
    try:
        yield
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n--- server output ---\n{server.log()}") from exc


def no_horizontal_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    assert width <= viewport, f"{page.url}: page is {width}px wide in a {viewport}px viewport"


def in_first_screen(page, selector: str) -> None:
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    # y counts from the viewport's top; scrolled to an anchor, it may sit a fraction of a pixel above it
    assert -1 < box["y"] < page.viewport_size["height"], f"{selector} at y={box['y']}"


def sign_in(page, url: str, username: str, password: str, target: str | None = None) -> None:
    """Sign in through the login form; with ``target``, wait until the page it leads to is open."""
    page.goto(f"{url}/login" + (f"?next={target}" if target else ""))
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-form button[type=submit]")
    if target:
        page.wait_for_url(f"**{target}*")


def no_english(page, words: re.Pattern[str]) -> None:
    """The page's main content has none of ``words`` (the site's own English that must not reach a page)."""
    found = words.findall(page.locator("main").inner_text())
    assert not found, f"{page.url}: {found}"
