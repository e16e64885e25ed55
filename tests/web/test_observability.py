"""Operators' endpoints and records: /healthz, /readyz (database, migrations, index lag), /metrics (Prometheus,
by route template, several worker processes added up) and one JSON access line per request with its id."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import urlopen

import pytest
from alembic import command
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from kb import documents, health, outbox, subscriptions
from kb import search as kb_search
from kb.config import Settings
from kb.core import KnowledgeBase
from kb.db import alembic_config
from kb.errors import KBError
from kb.models import FollowKind, IngestRun, MailKind, Subscription
from tests.support.records import build_world, make_product, make_standard
from tests.support.server import Server
from web.app import create_app
from web.cache import PageCache

REPO = Path(__file__).resolve().parents[2]
LOCAL = ("127.0.0.1", 40000)
STANDARD_ROUTE = "/standards/{code:path}"


def _client(kbase: KnowledgeBase, client: tuple[str, int] = LOCAL, **kw) -> TestClient:
    return TestClient(create_app(kbase=kbase), client=client, **kw)


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a text exposition: ``{(name, sorted labels): value}``."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def _value(text: str, name: str, **labels: str) -> float:
    return _samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


def _scrape(client: TestClient) -> str:
    r = client.get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain; version=")
    return r.text


# --- /healthz and /readyz ---------------------------------------------------------------------------


def test_healthz_and_readyz_answer_json_that_no_cache_keeps(kbase):
    with _client(kbase) as c:
        r = c.get("/healthz")
        assert (r.status_code, r.json()) == (200, {"status": "ok"})
        assert r.headers["cache-control"] == "no-store"
        assert c.head("/healthz").status_code == 200
        r = c.get("/readyz")
        assert r.status_code == 200
        body = r.json()
        assert body["status"] == "ready"
        assert body["database"] == {"ok": True, "kind": "sqlite"}
        head = health.head_revision()
        assert head and body["migrations"] == {"current": head, "head": head, "ok": True}
        # never built: reported, not a reason to refuse (searches answer from the database meanwhile)
        assert body["index"] == {"generation": None, "current": False, "lag_seconds": None, "stamped_at": None}
        assert r.headers["cache-control"] == "no-store"


def test_readyz_reports_index_lag_without_refusing(kbase):
    kb_search.ensure_index(kbase)
    with _client(kbase) as c:
        index = c.get("/readyz").json()["index"]
        assert index["current"] is True and index["lag_seconds"] == 0.0
        assert index["generation"].startswith("gen-") and index["stamped_at"]
        gen = kbase.settings.index_dir / index["generation"]
        # a change the index has not seen yet, its stamp written a minute ago
        with kbase.session() as s:
            make_standard(s, "TCVN 9999:2026", title_vi="Chưa có trong chỉ mục")
        past = time.time() - 60
        os.utime(gen / "stamp.json", (past, past))
        r = c.get("/readyz")
        assert r.status_code == 200 and r.json()["status"] == "ready"
        index = r.json()["index"]
        assert index["current"] is False and 59 <= index["lag_seconds"] < 600
        assert _value(_scrape(c), "kb_index_lag_seconds") >= 59
        kb_search.ensure_index(kbase)  # caught up
        index = c.get("/readyz").json()["index"]
        assert index["current"] is True and index["lag_seconds"] == 0.0
        text = _scrape(c)
        assert _value(text, "kb_index_lag_seconds") == 0.0
        assert _value(text, "kb_index_generation_info", generation=index["generation"]) == 1.0


def test_readyz_refuses_when_migrations_are_behind(kbase):
    command.downgrade(alembic_config(kbase.engine), "-1")
    with _client(kbase) as c:
        r = c.get("/readyz")
        assert r.status_code == 503
        body = r.json()
        assert body["status"] == "not ready" and body["database"]["ok"] is True
        assert body["migrations"]["ok"] is False
        assert body["migrations"]["current"] != body["migrations"]["head"] == health.head_revision()
        assert c.get("/healthz").status_code == 200


def test_an_unreachable_database_is_not_ready_but_the_process_is_healthy(tmp_path):
    # nothing listens on port 1: the connection is refused at once
    kbase = KnowledgeBase(Settings(data_dir=tmp_path / "var", secret_key="test-secret",
                                   database_url="postgresql+psycopg://postgres:pw@127.0.0.1:1/kb"))
    try:
        with _client(kbase) as c:
            assert c.get("/healthz").json() == {"status": "ok"}
            r = c.get("/readyz")
            assert r.status_code == 503
            body = r.json()
            assert body["status"] == "not ready"
            assert body["database"]["ok"] is False and body["database"]["kind"] == "postgresql"
            assert body["migrations"] == {"current": None, "head": health.head_revision(), "ok": False}
            assert "pw" not in r.text and "127.0.0.1" not in r.text  # the database's address is nobody's business
            text = _scrape(c)
            assert _value(text, "kb_db_up") == 0.0
            assert "kb_outbox_mails" not in text
    finally:
        kbase.dispose()


@pytest.mark.postgres
def test_readyz_on_postgresql(pg_kbase):
    with _client(pg_kbase) as c:
        r = c.get("/readyz")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["database"] == {"ok": True, "kind": "postgresql"}
        assert body["migrations"]["ok"] is True
        assert _value(_scrape(c), "kb_db_up") == 1.0


# --- /metrics ----------------------------------------------------------------------------------------


def _page_cache(app: FastAPI) -> PageCache:
    node = app.middleware_stack
    while node is not None and not isinstance(node, PageCache):
        node = getattr(node, "app", None)
    assert isinstance(node, PageCache)
    return node


def test_requests_are_counted_by_route_template(kbase):
    world = build_world(kbase)
    app = create_app(kbase=kbase)
    with TestClient(app, client=LOCAL) as c:
        before = _scrape(c)
        for code in (world.regulation, world.voluntary, world.voluntary):  # the last one from the page cache
            assert c.get(f"/standards/{code}").status_code == 200
        assert _page_cache(app).hits == 1
        assert c.get("/standards/TCVN 1:1900").status_code == 404
        assert c.get("/no/such/page").status_code == 404
        assert c.get("/static/queue.css").status_code == 200
        after = _scrape(c)

    def delta(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert delta("kb_http_requests_total", method="GET", route=STANDARD_ROUTE, status="200") == 3
    assert delta("kb_http_requests_total", method="GET", route=STANDARD_ROUTE, status="404") == 1
    assert delta("kb_http_requests_total", method="GET", route="unmatched", status="404") == 1
    assert delta("kb_http_requests_total", method="GET", route="/static", status="200") == 1  # every file: one series
    assert not any(world.voluntary in line for line in after.splitlines())  # no address became a label
    assert delta("kb_http_request_duration_seconds_count", method="GET", route=STANDARD_ROUTE) == 4
    buckets = [le for (name, labels), _ in _samples(after).items() if name == "kb_http_request_duration_seconds_bucket"
               and dict(labels)["route"] == STANDARD_ROUTE for k, le in labels if k == "le"]
    assert {"0.005", "0.05", "0.2", "2.0", "10.0", "+Inf"} <= set(buckets)
    assert _value(after, "kb_http_request_duration_seconds_bucket", method="GET", route=STANDARD_ROUTE, le="+Inf") \
        == _value(after, "kb_http_request_duration_seconds_count", method="GET", route=STANDARD_ROUTE)


def test_a_server_error_is_counted_and_carries_its_request_id(kbase):
    app = create_app(kbase=kbase)

    def boom() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/boom-for-test", boom)
    with TestClient(app, client=LOCAL, raise_server_exceptions=False) as c:
        before = _scrape(c)
        r = c.get("/boom-for-test", headers={"X-Request-ID": "trace-500"})
        assert r.status_code == 500 and r.headers["x-request-id"] == "trace-500"
        after = _scrape(c)
    labels = {"method": "GET", "route": "/boom-for-test", "status": "500"}
    assert _value(after, "kb_http_requests_total", **labels) - _value(before, "kb_http_requests_total", **labels) == 1


def test_searches_outbox_and_runs_are_counted(kbase):
    world = build_world(kbase)
    kb_search.ensure_index(kbase)  # answered by the index, not the database's slow path
    with kbase.session() as s:
        product = make_product(s, "Nước mắm cốt")
        tgt = subscriptions.target(s, FollowKind.product, str(product.id))
        sub = Subscription(email="a@example.vn", target_kind=tgt.kind, target_key=tgt.key, target_label=tgt.label,
                           nonce="n1")
        s.add(sub)
        s.flush()
        outbox.queue(s, sub, MailKind.confirm, [], "example")
    with _client(kbase) as c:
        before = _scrape(c)
        assert c.get("/api/search", params={"q": "aflatoxin"}).json()["degraded"] is False
        assert c.get("/api/search", params={"q": "aflatoxin", "kind": "lab"}).status_code == 200
        assert c.get("/search", params={"q": "nhãn thực phẩm"}).status_code == 200
        after = _scrape(c)
    assert world.lab_id

    def delta(**labels: str) -> float:
        return _value(after, "kb_search_queries_total", **labels) - _value(before, "kb_search_queries_total", **labels)

    assert delta(kind="all", degraded="false") == 2
    assert delta(kind="lab", degraded="false") == 1
    assert _value(after, "kb_outbox_mails", status="pending") == 1.0
    assert _value(after, "kb_outbox_mails", status="sent") == 0.0
    assert _value(after, "kb_db_up") == 1.0

    def counter(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    ingested, failed = counter("kb_ingest_files_total", status="ingested"), counter("kb_ingest_files_total", status="failed")
    run_id = documents.start_run(kbase, "test", [("a.pdf", "a.pdf")])
    documents.finish_run(kbase, run_id, {"ingested": 2, "failed": 1, "unchanged": 0, "needs_ocr": 0, "pages": 7})
    assert counter("kb_ingest_files_total", status="ingested") - ingested == 2
    assert counter("kb_ingest_files_total", status="failed") - failed == 1
    created = counter("kb_import_rows_total", kind="products", outcome="created")
    errors = counter("kb_import_rows_total", kind="products", outcome="error")
    job_id = documents.start_run(kbase, "test", [("p.csv", "p.csv")])
    with kbase.session() as s:
        run = s.get(IngestRun, job_id)
        assert run is not None
        run.kind = "products"
        s.add(run)
    documents.finish_run(kbase, job_id, {"phase": "done", "read": 4, "written": 3, "created": 3, "updated": 0,
                                         "error_count": 1, "errors": [{"line": 2, "message": "x"}]})
    assert counter("kb_import_rows_total", kind="products", outcome="created") - created == 3
    assert counter("kb_import_rows_total", kind="products", outcome="error") - errors == 1


@pytest.mark.parametrize("client_host, allow, trusted, headers, status", [
    ("127.0.0.1", None, "", {}, 200),
    ("::1", None, "", {}, 200),
    ("10.1.2.3", None, "", {}, 403),
    ("testclient", None, "", {}, 403),  # not an address at all
    ("10.1.2.3", "10.0.0.0/8", "", {}, 200),
    ("127.0.0.1", "", "", {}, 403),  # empty: nobody
    # a proxy on this host forwarding a stranger: refused unless the proxy is trusted and the stranger allowed
    ("127.0.0.1", None, "", {"X-Forwarded-For": "203.0.113.9"}, 403),
    ("127.0.0.1", None, "127.0.0.1", {"X-Forwarded-For": "203.0.113.9"}, 403),
    ("127.0.0.1", "203.0.113.0/24", "127.0.0.1", {"X-Forwarded-For": "203.0.113.9"}, 200),
    ("127.0.0.1", None, "127.0.0.1", {"Forwarded": "for=203.0.113.9"}, 403),
])
def test_metrics_answers_only_allowed_addresses(tmp_path, client_host, allow, trusted, headers, status):
    extra = {} if allow is None else {"metrics_allow": allow}
    kbase = KnowledgeBase(Settings(data_dir=tmp_path / "var", secret_key="test-secret", trusted_proxies=trusted, **extra))
    kbase.init()
    try:
        with _client(kbase, client=(client_host, 5000)) as c:
            r = c.get("/metrics", headers=headers)
            assert r.status_code == status, r.text
            if status == 403:
                assert "KB_METRICS_ALLOW" in r.text and "kb_http" not in r.text
    finally:
        kbase.dispose()


def test_a_wrong_metrics_allow_stops_the_app_in_one_line(tmp_path):
    kbase = KnowledgeBase(Settings(data_dir=tmp_path / "var", secret_key="test-secret", metrics_allow="127.0.0.1,localhost"))
    with pytest.raises(KBError, match="KB_METRICS_ALLOW: 'localhost'"):
        create_app(kbase=kbase)


# --- the access log ----------------------------------------------------------------------------------


def _access_lines(caplog) -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "kb.access"]


def test_one_json_line_per_request_with_its_id(kbase, caplog):
    caplog.set_level(logging.INFO, logger="kb.access")
    world = build_world(kbase)
    with _client(kbase) as c:
        r = c.get(f"/standards/{world.regulation}", headers={"X-Request-ID": "lb-42.a_b"})
        assert r.headers["x-request-id"] == "lb-42.a_b"
        r2 = c.get("/search", params={"q": "mật khẩu bí mật"}, headers={"X-Request-ID": "x" * 65})
        hostile = r2.headers["x-request-id"]
        r3 = c.get("/api/search", params={"q": "a"}, headers={"X-Request-ID": "evil\" id\n{}"})
        c.get("/subscriptions/confirm/SECRET-TOKEN-123")
    lines = _access_lines(caplog)
    assert len(lines) == 4
    first, second, third, fourth = lines
    assert set(first) == {"ts", "method", "route", "path", "query_len", "status", "duration_ms", "request_id", "client"}
    assert first["route"] == STANDARD_ROUTE and first["status"] == 200 and first["method"] == "GET"
    assert first["request_id"] == "lb-42.a_b" and first["client"] == "127.0.0.1"
    assert isinstance(first["duration_ms"], float) and first["duration_ms"] > 0
    assert re.fullmatch(r"[0-9a-f]{32}", hostile) and second["request_id"] == hostile
    assert second["route"] == "/search" and second["path"] == "/search" and second["query_len"] > 0
    assert re.fullmatch(r"[0-9a-f]{32}", r3.headers["x-request-id"]) and third["request_id"] == r3.headers["x-request-id"]
    assert "bí mật" not in json.dumps(lines, ensure_ascii=False)  # what was searched stays out of the log
    assert fourth["route"] == "/subscriptions/confirm/{token}" and "SECRET" not in json.dumps(fourth)


def test_the_log_names_the_client_a_trusted_proxy_forwards(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="kb.access")
    kbase = KnowledgeBase(Settings(data_dir=tmp_path / "var", secret_key="test-secret", trusted_proxies="127.0.0.1"))
    kbase.init()
    try:
        with _client(kbase) as c:
            c.get("/healthz", headers={"X-Forwarded-For": "203.0.113.9"})
            c.get("/healthz")
    finally:
        kbase.dispose()
    assert [line["client"] for line in _access_lines(caplog)] == ["203.0.113.9", "127.0.0.1"]


def test_kb_serve_writes_json_lines_and_no_uvicorn_access_lines(tmp_path):
    data_dir = tmp_path / "var"
    kbase = KnowledgeBase(Settings(data_dir=data_dir, secret_key="test-secret"))
    kbase.init()
    kbase.dispose()
    srv = Server(data_dir, {"KB_SECRET_KEY": "test-secret", "KB_NOTIFY_INTERVAL": "0"})
    try:
        with urlopen(f"{srv.url}/healthz", timeout=10) as r:
            assert json.load(r) == {"status": "ok"}
            rid = r.headers["x-request-id"]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(rid in line for line in srv.lines):
            time.sleep(0.05)  # polling the server's output for the line, not waiting for a time
    finally:
        srv.stop()
    access = [json.loads(line) for line in srv.lines if line.startswith("{")]
    assert [a["request_id"] for a in access] == [rid], srv.log()
    assert access[0]["route"] == "/healthz" and access[0]["status"] == 200
    assert not any('"GET /healthz HTTP/1.1"' in line for line in srv.lines), srv.log()  # uvicorn's own access line


# --- several worker processes ------------------------------------------------------------------------

WORKER = """
import sys
from fastapi.testclient import TestClient
from kb.config import Settings
from web.app import create_app

with TestClient(create_app(Settings()), client=("127.0.0.1", 1)) as c:
    if sys.argv[1] == "write":
        for i in range(int(sys.argv[2])):
            assert c.get(f"/standards/TCVN {i}:2000").status_code == 404
    else:
        sys.stdout.write(c.get("/metrics").text)
"""


def test_metrics_add_up_worker_processes(kbase, tmp_path):
    prom = tmp_path / "prom"
    prom.mkdir()
    env = {**os.environ, "KB_DATA_DIR": str(kbase.settings.data_dir), "KB_SECRET_KEY": "test-secret",
           "PROMETHEUS_MULTIPROC_DIR": str(prom)}
    env.pop("KB_DATABASE_URL", None)
    writers = [subprocess.Popen([sys.executable, "-c", WORKER, "write", str(n)], cwd=REPO, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in (3, 2)]
    for w in writers:
        out, err = w.communicate(timeout=120)
        assert w.returncode == 0, err
    assert len(list(prom.glob("counter_*.db"))) == 2  # one file per process
    scraper = subprocess.run([sys.executable, "-c", WORKER, "scrape"], cwd=REPO, env=env, capture_output=True,
                             text=True, timeout=120)
    assert scraper.returncode == 0, scraper.stderr
    text = scraper.stdout
    assert _value(text, "kb_http_requests_total", method="GET", route=STANDARD_ROUTE, status="404") == 5
    assert _value(text, "kb_http_request_duration_seconds_count", method="GET", route=STANDARD_ROUTE) == 5
    assert _value(text, "kb_http_request_duration_seconds_bucket", method="GET", route=STANDARD_ROUTE, le="+Inf") == 5
    assert _value(text, "kb_db_up") == 1.0  # computed by the process that answered
    assert _value(text, "kb_outbox_mails", status="pending") == 0.0


def test_a_multiprocess_dir_named_too_late_loses_no_counter(kbase, tmp_path, monkeypatch):
    """The library picks its mode when first imported: a variable set afterwards must not hide this
    process's counters behind an empty directory."""
    (tmp_path / "late").mkdir()
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "late"))
    with _client(kbase) as c:
        c.get("/healthz")
        text = _scrape(c)
    assert _value(text, "kb_http_requests_total", method="GET", route="/healthz", status="200") >= 1
    assert not list((tmp_path / "late").iterdir())
