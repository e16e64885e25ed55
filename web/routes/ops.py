"""For the operator and the load balancer: ``/healthz`` (the process answers), ``/readyz`` (the database
answers at the newest migration; the search index's generation and lag) and ``/metrics`` (Prometheus).

None of them is cached (``Cache-Control: no-store``; the page cache passes them by) or counted against any
limit; all are GET. ``/healthz`` touches nothing but the event loop. ``/metrics`` answers only the
addresses of ``KB_METRICS_ALLOW`` (``web.observability.metrics_allowed``).
"""

from __future__ import annotations

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from kb import health
from kb.core import KnowledgeBase
from web.observability import metrics_allowed, render_metrics

router = APIRouter(include_in_schema=False)

#: A database that does not answer within this many seconds is "not ready" (a firewalled PostgreSQL would
#: otherwise hold the probe for the operating system's connect timeout, minutes).
READY_TIMEOUT = 5.0
NO_STORE = {"Cache-Control": "no-store"}
FORBIDDEN = "Không được xem số liệu đo (/metrics) từ địa chỉ này: xem KB_METRICS_ALLOW."


@router.api_route("/healthz", methods=["GET", "HEAD"])
async def healthz() -> Response:
    return JSONResponse({"status": "ok"}, headers=NO_STORE)


@router.api_route("/readyz", methods=["GET", "HEAD"])
async def readyz(request: Request) -> Response:
    kbase: KnowledgeBase = request.app.state.kbase
    answer = None
    with anyio.move_on_after(READY_TIMEOUT):
        # abandoned on timeout: the thread ends by itself when the connect attempt gives up
        answer = await anyio.to_thread.run_sync(health.readiness, kbase, abandon_on_cancel=True)
    if answer is None:
        answer = {"status": "not ready", "database": {"ok": False, "kind": kbase.engine.dialect.name, "error": "timeout"},
                  "migrations": {"current": None, "head": health.head_revision(), "ok": False},
                  "index": {"generation": None, "current": None, "lag_seconds": None, "stamped_at": None}}
    return JSONResponse(answer, status_code=200 if answer["status"] == "ready" else 503, headers=NO_STORE)


@router.get("/metrics")
def metrics(request: Request) -> Response:
    # Through a proxy the real client is known only when the app believes that proxy's X-Forwarded-For
    # (KB_TRUSTED_PROXIES, web.app); a standard Forwarded header is read by nobody here.
    unknown = "forwarded" in request.headers or (
        "x-forwarded-for" in request.headers and not request.app.state.settings.trusted_proxy_list)
    client = request.client.host if request.client else None
    if unknown or not metrics_allowed(request.app.state.metrics_allow, client):
        return Response(FORBIDDEN, status_code=403, media_type="text/plain; charset=utf-8", headers=NO_STORE)
    body, content_type = render_metrics(request.app.state.kbase)
    return Response(body, media_type=content_type, headers=NO_STORE)
