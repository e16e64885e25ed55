"""A real server under many simultaneous requests that each need the database (no page cache can answer).

Found by the product-answer benchmark: 16 uncached pages at once hung the server for good. Each page held
its route's connection while its footer asked the pool for a second one; once the pool was spent, every
request waited for a connection only another waiting request could free, and the error page then waited
for one on the event loop itself, stopping everything.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import httpx
import pytest

from tests.support.server import world_server

#: Well over the connection pool (5 + 10 overflow): with 64 the old code hung every run here, with 24 it
#: did not (this test's pages are light, so fewer overlap).
CLIENTS = 64


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = world_server(tmp_path_factory, "concurrency")
    yield srv
    srv.stop()


def _get_all(url: str, paths: list[str]) -> list[int]:
    # A timeout well under the pool's 30 s: a server that queues for connections fails this, not just one
    # that hangs for good.
    with httpx.Client(base_url=url, timeout=15) as client, ThreadPoolExecutor(CLIENTS) as pool:
        return list(pool.map(lambda p: client.get(p).status_code, paths))


def test_many_uncached_pages_at_once_all_answer(server):
    pid = server.world.product_id
    day = date.today()
    # A new address each (a date), so each request renders its page with the database.
    pages = [f"/products/{pid}?on={day + timedelta(days=i)}" for i in range(CLIENTS)]
    answers = [f"/api/products/{pid}?on={day + timedelta(days=i)}" for i in range(CLIENTS, 2 * CLIENTS)]
    assert _get_all(server.url, pages + answers) == [200] * (2 * CLIENTS), server.log()


def test_many_error_pages_at_once_all_answer_with_the_footer(server):
    # Error pages render outside a route, on the event loop: their footer is read in a worker thread.
    missing = [f"/products/{2_000_000 + i}" for i in range(CLIENTS)]
    assert _get_all(server.url, missing) == [404] * CLIENTS, server.log()
