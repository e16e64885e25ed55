"""A write held open by another connection makes a curator's edit wait briefly, then answer 503 with
Retry-After and a Vietnamese message — never 500 — and succeed once the writer is done (SQLite and PostgreSQL)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text

from kb import db
from tests.support.accounts import client_for, make_app, seed


@contextmanager
def writer_holding(kbase, mapping_id: int) -> Iterator[None]:
    """Another connection with an open write transaction on the mapping (its own engine, not the app's)."""
    url = kbase.settings.db_url
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.split("///", 1)[1], isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")  # the database's one write lock
        conn.execute("UPDATE mapping SET rationale = rationale WHERE id = ?", (mapping_id,))
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT id FROM mapping WHERE id = :id FOR UPDATE"), {"id": mapping_id})
            try:
                yield
            finally:
                conn.rollback()
    finally:
        engine.dispose()


def test_an_edit_blocked_by_another_writer_answers_503_with_retry_after_then_succeeds(any_kbase):
    world = seed(any_kbase)
    curator = client_for(make_app(any_kbase), "curator")
    body = {"rationale": "đã kiểm tra lại"}
    with writer_holding(any_kbase, world.mapping):
        started = time.monotonic()
        r = curator.patch(f"/api/mappings/{world.mapping}", json=body)
        waited = time.monotonic() - started
        assert r.status_code == 503, r.text
        assert r.headers["retry-after"] == "2"
        assert "đang bận" in r.json()["detail"] and "locked" not in r.text
        assert db.LOCK_WAIT_SECONDS - 0.5 <= waited < db.LOCK_WAIT_SECONDS + 5  # waited its turn, not 30 s
    r = curator.patch(f"/api/mappings/{world.mapping}", json=body)
    assert r.status_code == 200 and r.json()["rationale"] == "đã kiểm tra lại"


@pytest.mark.parametrize("message, sqlstate, busy", [
    ("database is locked", None, True), ("database table is locked", None, True),
    ("canceling statement due to lock timeout", "55P03", True), ("could not serialize access", "40001", True),
    ("deadlock detected", "40P01", True), ("no such table: x", None, False),
])
def test_which_database_errors_mean_busy(message, sqlstate, busy):
    from sqlalchemy.exc import OperationalError

    class Orig(Exception):
        pass

    orig = Orig(message)
    orig.sqlstate = sqlstate  # type: ignore[attr-defined]
    assert db.is_lock_error(OperationalError("UPDATE x", {}, orig)) is busy
