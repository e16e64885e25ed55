"""What the request id, access line and metrics cost per request (``web.observability.Observe``).

    .venv/bin/python bench/observability.py [--requests 3000] [--runs 3]

In process (httpx's ASGI transport, no network), one request at a time, on two cheap routes: ``/healthz``
(no database) and a standard's page answered by the page cache (one fingerprint query). Each route is timed
three ways: the app's stack without ``Observe``; with it, the ``kb.access`` logger off (metrics only); with
it and the access line written (JSON formatted, to a handler on /dev/null, as ``kb serve`` writes to
stderr). Prints CPU microseconds per request (the median and the least of the batches) and the differences:
CPU time, because on a shared machine wall time mostly measures the other processes.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


async def measure(app, variant, names: tuple[str, ...], path: str, n: int, rounds: int) -> dict[str, list[float]]:
    """CPU µs per request (this process's CPU time, its threads included: other processes on a shared
    machine do not count), ``rounds`` batches of ``n`` per variant, the variants interleaved batch by batch."""
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 4000))
    out: dict[str, list[float]] = {name: [] for name in names}
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for name in names:
            variant(name)
            for _ in range(50):  # warm: the page cache stores the page, the route templates are remembered
                assert (await client.get(path)).status_code == 200
        for _ in range(rounds):
            for name in names:
                variant(name)
                started = time.process_time()
                for _ in range(n):
                    await client.get(path)
                out[name].append((time.process_time() - started) / n * 1e6)
    return out


async def bare_cost(observed, names, variant, n: int, rounds: int) -> dict[str, list[float]]:
    """The middleware alone: CPU µs per call of ``Observe`` around an ASGI app that answers at once, against
    that app called directly (no HTTP client, no routing)."""
    from web.observability import Observe

    async def answer(scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})

    wrapped = Observe(answer, observed)

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message) -> None:
        return None

    route = next(r for r in observed.router.routes if getattr(r, "path", "") == "/openapi.json")
    out: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(rounds):
        for name in names:
            variant(name)
            app = answer if name == "without" else wrapped
            started = time.process_time()
            for _ in range(n):
                scope = {"type": "http", "method": "GET", "path": "/openapi.json", "query_string": b"",
                         "headers": [(b"host", b"bench")], "client": ("127.0.0.1", 4000), "route": route}
                await app(scope, receive, send)
            out[name].append((time.process_time() - started) / n * 1e6)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=500, help="requests per batch")
    ap.add_argument("--rounds", type=int, default=9, help="batches per variant")
    args = ap.parse_args()

    from kb.config import Settings
    from kb.core import KnowledgeBase
    from tests.support.records import build_world
    from web.app import create_app
    from web.observability import Observe

    tmp = Path(tempfile.mkdtemp(prefix="kb-bench-obs-"))
    kbase = KnowledgeBase(Settings(data_dir=tmp / "var", secret_key="bench"))
    kbase.init()
    world = build_world(kbase)
    app = create_app(kbase=kbase)
    observed = app.build_middleware_stack()
    assert isinstance(observed, Observe)
    bare = observed.app  # the same stack, security headers and 500 page included, without Observe

    access = logging.getLogger("kb.access")
    sink = open(os.devnull, "w")  # noqa: SIM115 - closed at the end
    handler = logging.StreamHandler(sink)
    handler.setFormatter(logging.Formatter("%(message)s"))
    access.addHandler(handler)
    access.propagate = False

    def variant(name: str):
        if name == "logged":
            access.setLevel(logging.INFO)
        else:
            access.setLevel(logging.WARNING)
        app.middleware_stack = bare if name == "without" else observed  # what the app calls (it sets scope["app"])
        return app

    names = ("without", "metrics", "logged")
    print(f"CPU µs per request: median (min) of {args.rounds} batches of {args.requests} sequential requests")
    for label, path in (("/healthz", "/healthz"), ("cached standard page", f"/standards/{world.regulation}"),
                        ("middleware alone", "")):
        if path:
            times = asyncio.run(measure(app, variant, names, path, args.requests, args.rounds))
        else:
            times = asyncio.run(bare_cost(app, names, variant, args.requests * 10, args.rounds))
        med = {n: statistics.median(v) for n, v in times.items()}
        low = {n: min(v) for n, v in times.items()}
        print(f"{label:21s} without {med['without']:5.0f} ({low['without']:4.0f})   "
              f"metrics {med['metrics']:5.0f} ({low['metrics']:4.0f}) +{med['metrics'] - med['without']:.0f}   "
              f"metrics+log {med['logged']:5.0f} ({low['logged']:4.0f}) +{med['logged'] - med['without']:.0f}")
    kbase.dispose()
    sink.close()


if __name__ == "__main__":
    main()
