"""The migrations build exactly the schema the models declare, on SQLite and on PostgreSQL: a model
change without its migration fails here, not on an operator's server."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import kb.models  # noqa: F401 - registers every table


def test_migrations_match_the_models(any_kbase):
    with any_kbase.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, SQLModel.metadata)
    assert diffs == []
