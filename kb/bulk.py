"""Small helpers of the bulk write paths (an import's batch, a full index build): rows written with one
executemany INSERT (PostgreSQL: COPY) instead of one ORM object each, read back by a unique key; fewer garbage
collections.

RETURNING in parameter order is not used: SQLAlchemy sends SQLite one statement per row for it."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from pydantic_core import PydanticUndefined
from sqlalchemy import Connection, Engine, Table, insert, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, SQLModel, col, select

from kb import db

#: Rows read or written per statement (under every database's parameter limit).
CHUNK = 500


def defaults(model: type[SQLModel], now: datetime) -> dict[str, Any]:
    """The column defaults of ``model`` as a new ORM object gets them (timestamps: ``now``), for a core INSERT."""
    out: dict[str, Any] = {}
    for name, f in model.model_fields.items():
        if name == "id":
            continue
        if name in ("created_at", "updated_at"):
            out[name] = now
        elif f.default_factory is not None:
            out[name] = f.default_factory()  # type: ignore[call-arg]
        elif f.default is not PydanticUndefined:
            out[name] = f.default
    return out


def insert_rows(session: Session, model: type[SQLModel], rows: Sequence[dict[str, Any]]) -> None:
    """``rows`` (column dicts, the same keys in each) in one executemany, in ``session``'s transaction; on
    PostgreSQL, when they give every column but the generated id, in one COPY."""
    if not rows:
        return
    conn = session.connection()
    table: Table = model.__table__  # type: ignore[attr-defined]
    if conn.dialect.name == "postgresql" and {c.name for c in table.c if not c.primary_key} <= rows[0].keys():
        _copy(conn, table, rows)
    else:
        conn.execute(insert(model), list(rows))


def _copy(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """PostgreSQL's COPY FROM STDIN in the connection's transaction. Against psycopg's executemany (one bound
    statement per row, pipelined) it took a quarter of the client's time for 100,000 audit events, and the server
    writes the rows without executing a statement for each. Values go through the columns' bind processors, as an
    INSERT's would (enums as their names, JSON dumped); a refused row raises SQLAlchemy's error class for it
    (IntegrityError, DataError), as the INSERT would."""
    dialect, quote = conn.dialect, conn.dialect.identifier_preparer.quote
    names = list(rows[0])
    columns = [table.c[n] for n in names]
    processors = [c.type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
    sql = (f"COPY {dialect.identifier_preparer.format_table(table)} ({', '.join(quote(n) for n in names)}) "
           "FROM STDIN")
    driver = conn.connection.driver_connection
    try:
        with driver.cursor() as cur, cur.copy(sql) as copy:  # type: ignore[union-attr]
            for row in rows:
                copy.write_row([v if p is None else p(v) for p, v in zip(processors, (row[n] for n in names), strict=True)])
    except dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(sql, None, exc, dialect.loaded_dbapi.Error, dialect=dialect) from exc
    db.note_write(conn)


#: A table is analyzed again (``analyze_grown``) once the rows written since its last ANALYZE reach this share of it
#: (and GROWN_MIN_ROWS): as it doubles, so a file filling it from empty costs a handful of ANALYZEs.
GROWN_SHARE = 0.5
GROWN_MIN_ROWS = 1000


def analyze_grown(engine: Engine) -> list[str]:
    """PostgreSQL: ANALYZE the tables of this schema that changed by more than GROWN_SHARE since they were last
    analyzed (what is committed: call it after a commit); returns their names. Nothing on SQLite.

    An import filling a table from empty cannot wait for autovacuum (a minute apart at best, and off on some
    servers): psycopg prepares a statement run five times, the server may then keep one plan for it, made when
    the table was small (a scan of the whole table for ``code_key IN (...)``), and it keeps using that plan until the
    table's statistics change. 100,000 standards took 168 s, the server's CPU growing with each batch; an ANALYZE
    invalidates such plans in every connection, the site's too."""
    if engine.dialect.name != "postgresql":
        return []
    quote = engine.dialect.identifier_preparer.quote
    with engine.connect() as conn:
        names = list(conn.execute(text(
            "SELECT relname FROM pg_stat_user_tables WHERE schemaname = current_schema() "
            "AND n_mod_since_analyze >= GREATEST(:least, :share * n_live_tup) ORDER BY relname"),
            {"least": GROWN_MIN_ROWS, "share": GROWN_SHARE}).scalars())
        for name in names:
            conn.execute(text(f"ANALYZE {quote(name)}"))
        conn.commit()
    return names


def among(column: Any, ids: Sequence[int]) -> ColumnElement[bool]:
    """``column IN ids`` for sorted distinct ``ids``; a run of consecutive ids as ``BETWEEN`` its ends. A full index
    build reads its share of each kind so: one parameter per id cost more than reading the rows (ids are bound and
    matched one by one)."""
    if ids and ids[-1] - ids[0] + 1 == len(ids):
        return col(column).between(ids[0], ids[-1])
    return col(column).in_(list(ids))


def ids_by(session: Session, model: type[SQLModel], key: str, values: Iterable[Any]) -> dict[Any, int]:
    """``{value of the unique column key: id}`` for ``values``, read CHUNK at a time."""
    wanted = list(dict.fromkeys(values))
    column, ident = getattr(model, key), model.id  # type: ignore[attr-defined]
    out: dict[Any, int] = {}
    for i in range(0, len(wanted), CHUNK):
        out.update((k, pk) for pk, k in session.exec(select(ident, column).where(col(column).in_(wanted[i:i + CHUNK]))))
    return out


#: Allocations between two young-generation collections during bulk work (Python's default: 700).
BULK_GC_THRESHOLD = 50_000
_gc_lock = threading.Lock()
_gc_users = 0
_gc_saved: tuple[int, int, int] | None = None


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Bulk work with the garbage collector run less often. An import or an index build makes millions of objects
    that live until it ends (rows, documents, postings); at the default threshold a collection runs every 700 of
    them and the older generations are walked again and again: 13 s of a 100,000-product import (70.6 → 57.6 s,
    75 → 61 s of CPU). Cycles are still collected, later. Process-wide, so nested and concurrent users (an import
    beside a build in a server's threads) share one setting; the last to leave puts the old one back."""
    global _gc_users, _gc_saved
    with _gc_lock:
        if _gc_users == 0:
            _gc_saved = gc.get_threshold()
            gc.set_threshold(max(BULK_GC_THRESHOLD, _gc_saved[0]), max(20, _gc_saved[1]), max(100, _gc_saved[2]))
        _gc_users += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_users -= 1
            if _gc_users == 0 and _gc_saved is not None:
                gc.set_threshold(*_gc_saved)
