"""The web app factory: settings in, a FastAPI app out. No module-level engine or index.

Every router is mounted here, and only here; the routers import their permission dependencies from
``web.auth`` and ``web.deps``, which import no router.
"""

from __future__ import annotations

import html
import logging
import re
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

import jinja2
from fastapi import Depends, FastAPI, Request
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from kb import contacts
from kb.config import SITE_NAME, Settings
from kb.core import KnowledgeBase
from kb.links import safe_href
from kb.models import STATUS_LABELS_VI
from kb.read.dated import DatedAnswers
from kb.search import keep_up as keep_index_up
from kb.urls import feed_url, standard_url
from web import auth, errors, headers, observability, openapi
from web.cache import PageCache
from web.csrf import CSRFMiddleware
from web.deps import footer_agency
from web.inputs import RefuseNulBodies, refuse_nul
from web.ratelimit import LoginLimiter, shared_login_limiter
from web.routes import (
    admin,
    api,
    browse,
    coverage,
    curate,
    feeds,
    follow,
    groups,
    hs,
    lab_admin,
    labs,
    legal,
    ops,
    products,
    search,
    standards,
)
from web.routes import auth as auth_routes

#: Public pages and API first, then accounts, the curator workspace, lab self-service and administration.
ROUTERS = (search, standards, products, groups, legal, hs, labs, browse, coverage, follow, feeds, api, auth_routes, curate, lab_admin,
           admin, ops)

HERE = Path(__file__).resolve().parent


def _date_vi(value: str | date | None) -> str:
    """``2026-03-01`` → ``01/03/2026`` (the way dates are written in Vietnam)."""
    if not value:
        return ""
    d = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return d.strftime("%d/%m/%Y")


_MARK = re.compile(r"(</?mark>)")
QUALIFIER_LABELS_VI = {
    "IDT": "tương đương hoàn toàn (IDT)",
    "MOD": "có sửa đổi (MOD)",
    "NEQ": "không tương đương (NEQ)",
    "reference": "tham khảo",
    "dated": "viện dẫn có năm",
    "undated": "viện dẫn không năm (áp dụng phiên bản mới nhất)",
}


def _snippet(value: str | None) -> Markup:
    """Search snippets carry <mark> around matches: keep only those tags, escape everything else.

    Unescaping first makes this correct whether or not the producer escaped the text already.
    """
    out = []
    for part in _MARK.split(value or ""):
        out.append(part if part in ("<mark>", "</mark>") else str(escape(html.unescape(part))))
    return Markup("".join(out))


def _absolute_url(request: Request, path: str) -> str:
    """An absolute link (share links, printed sources): under ``KB_PUBLIC_URL`` (``settings.site_url``),
    never the request's Host header, which any client sets and the page cache would keep for everyone."""
    return f"{request.app.state.settings.site_url}{path}"


def _page_address(request: Request) -> str:
    """The address a printed page names as its source (see :func:`_absolute_url`)."""
    query = f"?{request.url.query}" if request.url.query else ""
    return _absolute_url(request, f"{request.url.path}{query}")


def make_templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every template, whatever its name: extracted text is untrusted
        undefined=jinja2.ChainableUndefined,
    )
    env.filters["date_vi"] = _date_vi
    env.filters["snippet"] = _snippet
    env.filters["safe_href"] = safe_href  # every stored outside address that becomes a link goes through it
    env.globals["status_labels"] = STATUS_LABELS_VI
    env.globals["qualifier_labels"] = QUALIFIER_LABELS_VI
    env.globals["standard_url"] = standard_url
    env.globals["feed_url"] = feed_url
    env.globals["site_name"] = SITE_NAME
    env.globals["vi"] = auth.LABELS_VI
    env.globals["footer_agency"] = footer_agency
    env.globals["header_user"] = auth.header_user  # the signed-in account's links in the header
    env.globals["workspace"] = auth.workspace
    env.globals["contact_fields"] = contacts.CONTACT_FIELDS
    env.globals["page_address"] = _page_address
    env.globals["absolute_url"] = _absolute_url
    env.globals["today"] = date.today  # the page cache keys on the day, so a printed date is never stale
    return Jinja2Templates(env=env)


def _close_dead_runs(kbase: KnowledgeBase) -> None:
    """Ingest runs a crashed server left open are marked interrupted at start (their page offers a re-run)."""
    from kb import documents

    try:
        documents.mark_interrupted(kbase)
    except Exception:  # noqa: BLE001 - a database not set up yet must not stop the server starting
        logging.getLogger(__name__).exception("ingest runs not checked at start")


def create_app(
    settings: Settings | None = None,
    *,
    kbase: KnowledgeBase | None = None,
    page_cache: bool = True,
    login_limiter: LoginLimiter | None = None,
) -> FastAPI:
    """Build the app on ``settings`` (or an existing KnowledgeBase, which tests share with the app).

    ``page_cache`` keeps rendered pages until the data changes (see ``web.cache``); ``login_limiter``
    replaces the default limit on failed logins (tests bring one with their own clock).
    """
    owned = kbase is None
    kbase = kbase or KnowledgeBase(settings or Settings())
    auth.check_secret(kbase.settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(_close_dead_runs, kbase)
        # The index follows the database while the server runs, searched or not (a change through another
        # server, or one the page cache would otherwise hide until somebody asks something new).
        stop = threading.Event()
        keeper = threading.Thread(target=keep_index_up, args=(kbase, stop), name="kb-index-keep-up", daemon=True)
        keeper.start()
        yield
        stop.set()
        await run_in_threadpool(keeper.join, 10)
        if owned:
            kbase.dispose()

    app = FastAPI(
        title=SITE_NAME,
        description="API mở: tiêu chuẩn (TCVN), quy chuẩn (QCVN), sản phẩm OCOP và chủ lực, "
                    "phòng thí nghiệm được công nhận của tỉnh Bắc Ninh. Mọi trang HTML đều có bản JSON dưới /api/.",
        version="1.0",
        lifespan=lifespan,
        docs_url=None,  # /api/docs is our own page: Swagger UI would load from a CDN
        redoc_url=None,
        openapi_url="/openapi.json",
        dependencies=[Depends(refuse_nul)],
    )
    app.state.kbase = kbase
    app.state.settings = kbase.settings
    app.state.answers = DatedAnswers()
    app.state.templates = make_templates()
    app.state.login_limiter = login_limiter or shared_login_limiter(kbase)
    app.state.follow_limiter = follow.new_limiter()
    app.state.metrics_allow = observability.allowed_networks(kbase.settings)  # KB_METRICS_ALLOW, checked now
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in ROUTERS:
        app.include_router(module.router)
    errors.install(app)
    openapi.install(app)  # the statuses each route really answers
    app.add_middleware(RefuseNulBodies)
    app.add_middleware(CSRFMiddleware)
    if page_cache:
        app.add_middleware(PageCache, kbase=kbase)
    if kbase.settings.trusted_proxy_list:  # only a named proxy may say who the client is (login limiter)
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=kbase.settings.trusted_proxy_list)
    headers.install(app)  # around the 500 page too
    observability.install(app)  # outermost: request id, access log line and metrics of every answer
    return app
