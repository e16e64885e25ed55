"""Small helpers of the bulk write paths (an import's batch): rows written with one executemany INSERT
instead of one ORM object each, and read back by a unique key.

RETURNING in parameter order is not used: SQLAlchemy sends SQLite one statement per row for it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from pydantic_core import PydanticUndefined
from sqlalchemy import insert
from sqlmodel import Session, SQLModel, col, select

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
    """``rows`` (full column dicts) in one executemany, in ``session``'s transaction."""
    if rows:
        session.connection().execute(insert(model), list(rows))


def ids_by(session: Session, model: type[SQLModel], key: str, values: Iterable[Any]) -> dict[Any, int]:
    """``{value of the unique column key: id}`` for ``values``, read CHUNK at a time."""
    wanted = list(dict.fromkeys(values))
    column, ident = getattr(model, key), model.id  # type: ignore[attr-defined]
    out: dict[Any, int] = {}
    for i in range(0, len(wanted), CHUNK):
        out.update((k, pk) for pk, k in session.exec(select(ident, column).where(col(column).in_(wanted[i:i + CHUNK]))))
    return out
