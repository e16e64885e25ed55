"""Fixtures for page and API tests: the small world of tests.support.records and a client on it; the browser and
screenshot fixtures of the browser tests."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.support.browser import ARGS, CHROMIUM, require_browser, screenshot_dir
from tests.support.records import World, build_world
from web.app import create_app


@pytest.fixture
def world(kbase) -> World:
    return build_world(kbase)


@pytest.fixture
def client(kbase):
    with TestClient(create_app(kbase=kbase)) as c:
        yield c


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, one per test module (browser test modules skip at import when it is missing)."""
    with require_browser().sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def shots(tmp_path, request):
    """Where a browser test leaves its screenshots: ``$KB_TEST_OUTPUT`` or the test's tmp dir."""
    return screenshot_dir(tmp_path, request.node.name)
