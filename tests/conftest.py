"""Shared fixtures: every test builds its own world (settings on tmp_path, fresh database)."""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from kb import users
from kb.config import Settings
from kb.core import KnowledgeBase

REPO = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("KB_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    path = Path(os.environ.get("KB_CORPUS_DIR", REPO.parent / "shared" / "corpus"))
    if not (path / "pdf").is_dir():
        pytest.skip(f"corpus not found at {path} (set KB_CORPUS_DIR)")
    return path


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch):
    """Cheap argon2 parameters: the tests check who may do what, not the hash's cost."""
    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var", database_url=None, secret_key="test-secret", ingest_workers=1)


@pytest.fixture
def kbase(settings: Settings):
    kb = KnowledgeBase(settings)
    kb.init()
    yield kb
    _settle_search(kb)
    kb.dispose()


def _settle_search(kb: KnowledgeBase) -> None:
    """Let the search index's background catch-up or rebuild end before the database goes away."""
    index = sys.modules.get("kb.search._index")
    if index is not None:
        assert index.settle(kb, 60), "the search index's background work did not end"


def _postgres_reason() -> str | None:
    try:
        eng = create_engine(PG_URL)
        with eng.connect() as conn:
            conn.execute(text("select 1"))
        eng.dispose()
    except (OperationalError, ImportError) as exc:
        return f"PostgreSQL not reachable at {PG_URL}: {str(exc).splitlines()[0]}"
    return None


@pytest.fixture(scope="session")
def postgres_url() -> str:
    reason = _postgres_reason()
    if reason:
        pytest.skip(reason)
    return PG_URL


@pytest.fixture
def pg_kbase(postgres_url: str, tmp_path: Path):
    """A KnowledgeBase on a fresh PostgreSQL schema, dropped afterwards."""
    schema = f"kbtest_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in postgres_url else "?"
    url = f"{postgres_url}{sep}options=-csearch_path%3D{schema}"
    kb = KnowledgeBase(Settings(data_dir=tmp_path / "pgvar", database_url=url, secret_key="test-secret", ingest_workers=1))
    kb.init()
    try:
        yield kb
    finally:
        _settle_search(kb)
        kb.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def any_kbase(request):
    """The same test on SQLite and on PostgreSQL (skipped with its reason when no server answers)."""
    if request.param == "sqlite":
        return request.getfixturevalue("kbase")
    return request.getfixturevalue("pg_kbase")
