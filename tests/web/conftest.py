"""Fixtures for page and API tests: the small world of tests.support.records and a client on it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.support.records import World, build_world
from web.app import create_app


@pytest.fixture
def world(kbase) -> World:
    return build_world(kbase)


@pytest.fixture
def client(kbase):
    with TestClient(create_app(kbase=kbase)) as c:
        yield c
