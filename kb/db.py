"""Engine, sessions and schema migrations. The database is the source of truth."""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session, create_engine

from kb.config import Settings
from kb.errors import KBError

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def make_engine(settings: Settings) -> Engine:
    url = settings.db_url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": LOCK_WAIT_SECONDS},
                               **POOL)
        event.listen(engine, "connect", _sqlite_pragmas)
    elif url.startswith("postgresql"):
        # A statement waiting for a row or table lock gives up after LOCK_WAIT_SECONDS (sqlstate 55P03),
        # which the web answers 503 + Retry-After instead of hanging a worker thread.
        engine = create_engine(url, pool_pre_ping=True, **POOL)
        event.listen(engine, "connect", _postgres_settings)
    else:
        engine = create_engine(url, pool_pre_ping=True, **POOL)
    _count_write_commits(engine)
    return engine


_WROTE = "kb_wrote"
_DML = ("INSERT", "UPDATE", "DELETE", "REPLACE", "UPSERT", "WITH", "MERGE", "TRUNCATE")
_write_commits: weakref.WeakKeyDictionary[Engine, list[int]] = weakref.WeakKeyDictionary()


def _count_write_commits(engine: Engine) -> None:
    """Count the commits through this engine that wrote something (see :func:`write_commits`)."""
    count = _write_commits[engine] = [0]

    @event.listens_for(engine, "after_cursor_execute")
    def _wrote(conn, _cursor, statement, _params, _context, _executemany) -> None:
        if statement.lstrip()[:8].upper().startswith(_DML):
            conn.info[_WROTE] = True

    @event.listens_for(engine, "commit")
    def _committed(conn) -> None:
        if conn.info.pop(_WROTE, False):
            count[0] += 1

    @event.listens_for(engine, "rollback")
    def _rolled_back(conn) -> None:
        conn.info.pop(_WROTE, None)


def note_write(conn: Connection) -> None:
    """Count ``conn``'s transaction as one that wrote, for a write its cursor events do not see (a COPY)."""
    conn.info[_WROTE] = True


def write_commits(engine: Engine) -> int:
    """How many transactions that wrote this process has committed through ``engine``, counted as each commit
    is sent: a read that starts after a commit returned sees the number moved. Other processes' writes are
    not counted, so a reader that trusts what it read while this number stays must bound that trust in time."""
    return _write_commits[engine][0]


#: How long a statement waits for another connection's write lock before it fails (SQLite busy_timeout,
#: PostgreSQL lock_timeout). Background imports commit every few hundred rows, so a wait is a moment; past
#: this the request answers 503 with Retry-After (web/errors.py) rather than holding a thread for 30 s.
LOCK_WAIT_SECONDS = 3.0


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
    # Wait for the writer (the ``timeout`` connect argument sets the same; said here so it is explicit).
    cur.execute(f"PRAGMA busy_timeout={int(LOCK_WAIT_SECONDS * 1000)}")
    cur.close()


def _postgres_settings(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute(f"SET lock_timeout = {int(LOCK_WAIT_SECONDS * 1000)}")
    cur.close()
    dbapi_conn.commit()


def is_lock_error(exc: BaseException) -> bool:
    """A database error that means "another transaction holds what this one needs": worth retrying.

    SQLite: ``database is locked`` / ``database table is locked`` / ``busy`` after the busy timeout.
    PostgreSQL: lock_timeout (55P03), serialization failure (40001), deadlock (40P01).
    """
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate in ("55P03", "40001", "40P01"):
        return True
    if isinstance(exc, OperationalError):
        text = str(orig).lower()
        return "database is locked" in text or "database table is locked" in text or "busy" in text
    return False


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
