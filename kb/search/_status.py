"""How far the search index is behind the database, for ``/readyz`` and ``/metrics``.

Read-only: the live generation's name, its stamp (what of the database it reflects) and the database's
stamp now. Lag is 0 when the two stamps are equal; otherwise the seconds since the stamp was written (the
mtime of ``stamp.json``): an upper bound of how long the oldest change not yet indexed has waited. With no
live generation (never built, or removed) the lag is unknown (None): searches are answered from the
database meanwhile (``kb.search._fallback``), and the first search has one built in the background.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from kb.core import KnowledgeBase
from kb.search._index import _read_stamp, current_generation, db_stamp


def index_status(kbase: KnowledgeBase, *, compare: bool = True) -> dict[str, Any]:
    """``{"generation": name | None, "current": bool | None, "lag_seconds": float | None,
    "stamped_at": ISO time | None}``. ``current`` and ``lag_seconds`` are None when the database cannot be
    read (``database_error`` then names the exception type) or ``compare`` is False (the caller knows it is
    down: no second wait for it); with no live generation ``current`` is False and the lag unknown."""
    root = Path(kbase.settings.index_dir)
    gen = current_generation(root)
    out: dict[str, Any] = {"generation": gen.name if gen else None, "current": None if gen else False,
                           "lag_seconds": None, "stamped_at": None}
    if gen is None:
        return out
    stamp = _read_stamp(gen)
    try:
        mtime: float | None = (gen / "stamp.json").stat().st_mtime
    except OSError:
        mtime = None
    if mtime is not None:
        out["stamped_at"] = datetime.fromtimestamp(mtime, UTC).isoformat(timespec="seconds")
    if not compare:
        return out
    try:
        with kbase.session() as session:
            now = db_stamp(session)
    except SQLAlchemyError as exc:
        out["database_error"] = type(exc).__name__
        return out
    out["current"] = stamp is not None and stamp == now
    if out["current"]:
        out["lag_seconds"] = 0.0
    elif mtime is not None:
        out["lag_seconds"] = round(max(0.0, time.time() - mtime), 3)
    return out
