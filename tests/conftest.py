"""Shared fixtures: every test builds its own world (settings on tmp_path, fresh database)."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from kb import users
from kb.config import Settings
from kb.core import KnowledgeBase
from tests.support.pg_schema import SharedSchema

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


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory) -> Path:
    """A SQLite database the migrations built once: each ``kbase`` starts from a copy, so a test pays a file
    copy instead of the twelve migrations (≈0.3 s each time). tests/kb/test_migrations.py checks the result."""
    data_dir = tmp_path_factory.mktemp("migrated") / "var"
    kb = KnowledgeBase(Settings(data_dir=data_dir, database_url=None, secret_key="test-secret"))
    kb.init()
    kb.dispose()
    db_file = data_dir / "kb.sqlite3"
    assert Settings(data_dir=data_dir, database_url=None).db_url.endswith(str(db_file.resolve()))
    assert not db_file.with_name(db_file.name + "-wal").exists(), "the template must be whole in one file"
    return db_file


@pytest.fixture
def kbase(settings: Settings, migrated_sqlite: Path):
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(migrated_sqlite, settings.data_dir / migrated_sqlite.name)
    kb = KnowledgeBase(settings)
    kb.init()  # finds the schema at head: the same checks and directories as on an operator's copy
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


@pytest.fixture(scope="session")
def pg_schema(postgres_url: str, tmp_path_factory) -> Iterator[SharedSchema]:
    shared = SharedSchema(postgres_url, tmp_path_factory.mktemp("pgschema"))
    yield shared
    shared.drop()


@pytest.fixture
def pg_kbase(pg_schema: SharedSchema, tmp_path: Path):
    """A KnowledgeBase on an empty PostgreSQL schema at head (shared, emptied afterwards: tests/support/pg_schema.py)."""
    kb = KnowledgeBase(Settings(data_dir=tmp_path / "pgvar", database_url=pg_schema.url(), secret_key="test-secret",
                                ingest_workers=1))
    kb.init()
    try:
        yield kb
    finally:
        _settle_search(kb)
        kb.dispose()
        pg_schema.empty()


@pytest.fixture(params=["sqlite", "postgres"])
def any_kbase(request):
    """The same test on SQLite and on PostgreSQL (skipped with its reason when no server answers)."""
    if request.param == "sqlite":
        return request.getfixturevalue("kbase")
    return request.getfixturevalue("pg_kbase")
