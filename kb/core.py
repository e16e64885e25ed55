"""The knowledge base as one object: settings, engine and data directories, passed explicitly."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property

from sqlalchemy.engine import Engine
from sqlmodel import Session

from kb import db
from kb.config import Settings


class KnowledgeBase:
    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings()
        #: work to finish before the engine goes (a background thread of the search index would open a new
        #: connection on a disposed engine, left open): name → callable, set by whoever starts such work
        self.before_dispose: dict[str, Callable[[], object]] = {}

    @cached_property
    def engine(self) -> Engine:
        return db.make_engine(self.settings)

    def init(self) -> None:
        """Create the data directories and create or upgrade the schema (idempotent)."""
        for d in (self.settings.data_dir, self.settings.files_dir, self.settings.uploads_dir):
            d.mkdir(parents=True, exist_ok=True)
        db.upgrade(self.engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with db.session_scope(self.engine) as s:
            yield s

    def dispose(self) -> None:
        for finish in list(self.before_dispose.values()):
            finish()
        if "engine" in self.__dict__:
            self.engine.dispose()
