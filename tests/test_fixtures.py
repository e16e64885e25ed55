"""The shared fixtures give each test what a new database would be: the PostgreSQL schema the tests share is
emptied between them (tests/support/pg_schema.py), and replaced when a test changed its shape."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import select

from kb.config import Settings
from kb.core import KnowledgeBase
from kb.models import Standard
from tests.support.records import make_standard


def _kbase(pg_schema, data_dir) -> KnowledgeBase:
    kb = KnowledgeBase(Settings(data_dir=data_dir, database_url=pg_schema.url(), secret_key="test-secret"))
    kb.init()
    return kb


def test_an_emptied_schema_has_no_rows_and_counts_ids_from_the_start(pg_schema, tmp_path):
    kb = _kbase(pg_schema, tmp_path / "a")
    with kb.session() as s:
        first = make_standard(s, "TCVN 1:2000").id
        make_standard(s, "TCVN 2:2000")
    kb.dispose()
    schema = pg_schema.schema
    pg_schema.empty()

    kb = _kbase(pg_schema, tmp_path / "b")
    assert pg_schema.schema == schema  # shared, not rebuilt
    with kb.session() as s:
        assert s.exec(select(Standard)).all() == []
        assert make_standard(s, "TCVN 3:2000").id == first
    kb.dispose()
    pg_schema.empty()


def test_a_schema_whose_shape_a_test_changed_is_replaced(pg_schema, tmp_path):
    pg_schema.url()
    schema = pg_schema.schema
    with pg_schema.admin.begin() as conn:
        conn.execute(text(f'ALTER TABLE "{schema}".{Standard.__tablename__} ADD COLUMN added_by_a_test integer'))
    pg_schema.empty()

    assert pg_schema.schema is None
    with pg_schema.admin.connect() as conn:
        assert conn.execute(text("select count(*) from pg_namespace where nspname = :s"), {"s": schema}).scalar() == 0
    kb = _kbase(pg_schema, tmp_path / "c")
    assert pg_schema.schema not in (None, schema)
    kb.dispose()
    pg_schema.empty()
