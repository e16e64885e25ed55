"""Request ids, one JSON log line per request, and Prometheus metrics (pure ASGI, outermost).

:class:`Observe` wraps the whole stack (:func:`install`, like ``web.headers``): it sees every answer, the
page cache's stored ones and Starlette's 500 page included. Per request it

- takes the client's ``X-Request-ID`` when it is sane (1–64 of ``A–Z a–z 0–9 . _ -``), else makes one, and
  sends it back in the answer's ``X-Request-ID`` (``request.state.request_id`` for the app);
- counts it in ``kb_http_requests_total{method,route,status}`` and times it in
  ``kb_http_request_duration_seconds{method,route}``, ``route`` being the route's template
  (``/standards/{code:path}``), never the address asked (an unbounded number of series), ``unmatched`` when
  no route answers;
- writes one JSON line to the ``kb.access`` logger: ``ts, method, route, path, query_len, status,
  duration_ms, request_id, client``. The query string is never logged (it may hold what a visitor typed, or a
  token), only its length; a path carrying a token (``/subscriptions/confirm/{token}``) is logged as its
  template.

``/metrics`` (``web.routes.ops``) renders this process's counters, or, when ``PROMETHEUS_MULTIPROC_DIR`` is
set (``kb serve --workers N`` sets it before the workers start), all workers' counters added up from that
directory; gauges read from the database (outbox, index lag, database up) are computed at scrape time by
the worker that answers.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import re
import time
import uuid
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col, select
from starlette.applications import Starlette
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kb.config import Settings
from kb.core import KnowledgeBase
from kb.errors import KBError
from kb.models import MailStatus, OutboxMail

access_log = logging.getLogger("kb.access")
disable_created_metrics()  # no ``*_created`` series beside every counter: Prometheus keeps its own start times

#: Seconds: 5 ms … 10 s, with the issue's goals (50 ms, 200 ms, 2 s) as bucket edges.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
REQUESTS = Counter("kb_http_requests", "HTTP requests answered, by route template and status",
                   ["method", "route", "status"])
LATENCY = Histogram("kb_http_request_duration_seconds", "Time to answer an HTTP request, by route template",
                    ["method", "route"], buckets=BUCKETS)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
REQUEST_ID_HEADER = b"x-request-id"
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
#: Longest path written to the log (a scanner's megabyte of path is cut).
MAX_LOGGED_PATH = 300
UNMATCHED = "unmatched"


def request_id(scope: Scope) -> str:
    """The client's ``X-Request-ID`` when it is sane, else a new one (32 hex digits)."""
    for k, v in scope["headers"]:
        if k == REQUEST_ID_HEADER:
            try:
                given = v.decode("ascii")
            except UnicodeDecodeError:
                break
            if _SANE_ID.fullmatch(given):
                return given
            break
    return uuid.uuid4().hex


class Observe:
    def __init__(self, app: ASGIApp, routes_of: Starlette, max_remembered: int = 4096):
        self.app = app
        self.routes_of = routes_of  # the FastAPI app, whose routes name an answer the page cache gave
        self.max_remembered = max_remembered
        self._templates: OrderedDict[str, str] = OrderedDict()

    def _template(self, scope: Scope, root_path: str) -> str:
        """The template of the route that answered; a stored page (the page cache answered before any route
        was chosen) is matched here, remembering the answer per path."""
        route = scope.get("route")
        if route is not None:
            return str(getattr(route, "path", None) or UNMATCHED)
        path = scope["path"]
        known = self._templates.get(path)
        if known is not None:
            return known
        # ``root_path`` as the request came: a mount (/static) has extended the scope's own by now
        probe = {"type": "http", "path": path, "root_path": root_path, "method": scope["method"]}
        found = _match(self.routes_of.router.routes, probe) or UNMATCHED
        self._templates[path] = found
        while len(self._templates) > self.max_remembered:
            self._templates.popitem(last=False)
        return found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        root_path = scope.get("root_path", "")
        rid = request_id(scope)
        scope.setdefault("state", {})["request_id"] = rid
        header = (REQUEST_ID_HEADER, rid.encode("ascii"))
        status = 500  # what the server sends when the app fails before answering

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [h for h in message.get("headers", []) if h[0].lower() != REQUEST_ID_HEADER]
                message["headers"].append(header)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._record(scope, root_path, rid, status, time.perf_counter() - started)

    def _record(self, scope: Scope, root_path: str, rid: str, status: int, seconds: float) -> None:
        try:
            route = self._template(scope, root_path)
        except Exception:  # noqa: BLE001 - bookkeeping must never turn an answer into an error
            route = UNMATCHED
        method = scope["method"] if scope["method"] in METHODS else "other"
        REQUESTS.labels(method=method, route=route, status=str(status)).inc()
        LATENCY.labels(method=method, route=route).observe(seconds)
        if not access_log.isEnabledFor(logging.INFO):
            return
        path = route if "{token" in route else scope["path"][:MAX_LOGGED_PATH]
        client = scope.get("client")
        access_log.info(json.dumps({
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "method": scope["method"][:16], "route": route, "path": path,
            "query_len": len(scope.get("query_string") or b""), "status": status,
            "duration_ms": round(seconds * 1000, 2), "request_id": rid,
            "client": client[0] if client else None,
        }, ensure_ascii=False))


def _match(routes: list[Any], probe: Scope) -> str | None:
    """The template of the route the router would choose for ``probe``: the first full match, else the first
    partial one (another method). A router included into the app (FastAPI keeps it whole, as
    ``original_router``) is searched in place; the app includes its routers without a prefix of their own."""
    partial = None
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            found = _match(inner.routes, probe)
            if found is not None:
                return found
            continue
        match, _ = route.matches(probe)
        if match is Match.FULL:
            return str(getattr(route, "path", None) or UNMATCHED)
        if match is Match.PARTIAL and partial is None:
            partial = str(getattr(route, "path", None) or UNMATCHED)
    return partial


def install(app: Starlette) -> None:
    """Wrap the whole stack in :class:`Observe`. Call it last (after ``web.headers.install``): outermost,
    it times and counts everything, the security headers and the 500 page included."""
    build = app.build_middleware_stack

    def build_observed() -> ASGIApp:
        return Observe(build(), app)

    app.build_middleware_stack = build_observed  # type: ignore[method-assign]


# --- /metrics --------------------------------------------------------------------------------------


def allowed_networks(settings: Settings) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """``KB_METRICS_ALLOW`` parsed; a wrong entry stops the app from starting, in one line."""
    nets = []
    for part in settings.metrics_allow.split(","):
        if not part.strip():
            continue
        try:
            nets.append(ipaddress.ip_network(part.strip(), strict=False))
        except ValueError as exc:
            raise KBError(f"KB_METRICS_ALLOW: {part.strip()!r} không phải địa chỉ hay mạng IP") from exc
    return nets


def metrics_allowed(nets: list[Any], client_host: str | None) -> bool:
    """May this client address read /metrics (``KB_METRICS_ALLOW``)? Not an IP address: no."""
    try:
        addr = ipaddress.ip_address(client_host or "")
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return any(addr.version == net.version and addr in net for net in nets)


class DatabaseCollector(Collector):
    """Gauges read at scrape time: is the database up, how far behind is the index, mails by status."""

    def __init__(self, kbase: KnowledgeBase):
        self.kbase = kbase

    def collect(self):
        from kb.search import index_status

        up = GaugeMetricFamily("kb_db_up", "1 when the database answered this scrape")
        outbox = GaugeMetricFamily("kb_outbox_mails", "Mails in the outbox, by status", labels=["status"])
        try:
            with self.kbase.session() as session:
                counts = dict(session.exec(select(OutboxMail.status, func.count(col(OutboxMail.id)))
                                           .group_by(OutboxMail.status)).all())
            up.add_metric([], 1)
            for status in MailStatus:
                outbox.add_metric([status.value], counts.get(status, 0))
            db_ok = True
        except SQLAlchemyError:
            up.add_metric([], 0)
            db_ok = False
        yield up
        if db_ok:
            yield outbox
        index = index_status(self.kbase, compare=db_ok)
        lag = GaugeMetricFamily("kb_index_lag_seconds",
                                "Seconds the search index is behind the database (0: current; +Inf: no index)")
        if index["generation"] is None:
            lag.add_metric([], float("inf"))
            yield lag
        elif index["lag_seconds"] is not None:
            lag.add_metric([], index["lag_seconds"])
            yield lag
        info = GaugeMetricFamily("kb_index_generation_info", "The live search index generation (value 1)",
                                 labels=["generation"])
        if index["generation"] is not None:
            info.add_metric([index["generation"]], 1)
        yield info


def multiprocess_dir() -> str | None:
    """``PROMETHEUS_MULTIPROC_DIR`` when this process keeps its counters there. The library chooses when it is
    first imported: a variable set later (after ``import prometheus_client``) left this process's counters in
    memory, and reading only the directory would lose them."""
    from prometheus_client import values

    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not path or not os.path.isdir(path) or not getattr(values.ValueClass, "_multiprocess", False):
        return None
    return path


def render_metrics(kbase: KnowledgeBase) -> tuple[bytes, str]:
    """The text exposition: counters and histograms of this process (or of every worker, added up, in
    multiprocess mode), then the gauges read from the database now."""
    scrape = CollectorRegistry(auto_describe=False)  # one per scrape: the app's own database, no global
    scrape.register(DatabaseCollector(kbase))
    path = multiprocess_dir()
    if path is not None:
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(scrape, path=path)
        return generate_latest(scrape), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY) + generate_latest(scrape), CONTENT_TYPE_LATEST


# --- Logging for ``kb serve`` ----------------------------------------------------------------------


def uvicorn_log_config() -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for ``uvicorn.run(..., access_log=False, log_config=...)``: the
    ``kb.access`` lines as they are (one JSON object per line) on stderr; uvicorn's own messages and the
    app's (``kb``, ``web``, ``ingest`` at INFO, everything else at WARNING) as timestamped text on stderr.
    uvicorn's access log is off: ``kb.access`` says more (route, duration, request id)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,  # module-level loggers made before this runs keep working
        "formatters": {
            "json_line": {"format": "%(message)s"},
            "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        },
        "handlers": {
            "access": {"class": "logging.StreamHandler", "formatter": "json_line", "stream": "ext://sys.stderr"},
            "text": {"class": "logging.StreamHandler", "formatter": "text", "stream": "ext://sys.stderr"},
        },
        "loggers": {
            "kb.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
            "uvicorn": {"handlers": ["text"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO"},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "kb": {"level": "INFO"},
            "web": {"level": "INFO"},
            "ingest": {"level": "INFO"},
        },
        "root": {"handlers": ["text"], "level": "WARNING"},
    }
