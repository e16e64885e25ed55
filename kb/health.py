"""Is this knowledge base ready to serve? The database answers, its schema is at the newest migration, and
how far the search index is behind (reported, never a reason to refuse: searches are answered from the
database while the index catches up, see ``kb.search._fallback``).

Nothing here names the database's address: the answer is shown to anyone who may ask ``/readyz``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from kb.core import KnowledgeBase
from kb.db import MIGRATIONS_DIR


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    """The newest migration shipped with this code (read once: the scripts do not change while it runs)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    heads = ScriptDirectory.from_config(cfg).get_heads()
    return ",".join(sorted(heads)) or None


def readiness(kbase: KnowledgeBase) -> dict[str, Any]:
    """``{"status": "ready" | "not ready", "database": {"ok", "kind"[, "error"]},
    "migrations": {"current", "head", "ok"}, "index": kb.search.index_status}``.

    Ready when the database answers and its schema is at the head revision.
    """
    from kb.search import index_status  # whoosh loads only here, not for a health check

    head = head_revision()
    database: dict[str, Any] = {"ok": False, "kind": kbase.engine.dialect.name}
    current: str | None = None
    try:
        with kbase.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            database["ok"] = True
            current = MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError as exc:
        database["error"] = type(exc).__name__
    migrations = {"current": current, "head": head, "ok": database["ok"] and current == head}
    index = index_status(kbase, compare=database["ok"])
    ready = database["ok"] and migrations["ok"]
    return {"status": "ready" if ready else "not ready", "database": database, "migrations": migrations,
            "index": index}
