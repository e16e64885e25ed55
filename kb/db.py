"""Engine, sessions and schema migrations. The database is the source of truth."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from kb.config import Settings
from kb.errors import KBError

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def make_engine(settings: Settings) -> Engine:
    url = settings.db_url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **POOL)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **POOL)


#: Connections kept open, and how many more a burst may open. The web serves sync routes from a pool of 40
#: threads: with SQLAlchemy's default (5 kept) 16 busy clients opened and closed a connection per request,
#: each new SQLite connection paying its PRAGMAs (WAL needs a lock), a PostgreSQL one a server process.
POOL = {"pool_size": 20, "max_overflow": 20}


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets readers (the web) go on while a writer (ingest) works.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine) -> None:
    """Create or upgrade the schema to the latest migration (idempotent)."""
    try:
        command.upgrade(alembic_config(engine), "head")
    except Exception as exc:  # noqa: BLE001 - the CLI must print one line, not a traceback
        raise KBError(f"không nâng cấp được cơ sở dữ liệu ({engine.url.render_as_string()}): {exc}") from exc


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
