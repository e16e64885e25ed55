"""Answers for a date, kept per period: a product's answer is the same on every day between two dates the
data holds, so one answer per product per period serves every date in it.

A product's answer for a date (``/api/products/{id}?on=…``) compares the date only with stored dates: the
risk lists' and legal documents' effective dates, the dates of what replaces or amends a document, and
labs' accreditation end dates (less :data:`EXPIRING_DAYS`, where "sắp hết hạn" starts). Each such date
``d`` and the day after it are the period bounds (a comparison ``on > d`` changes between ``d`` and ``d+1``,
``on < d`` between ``d-1`` and ``d``), so two dates with no bound between them get the same answer, except
for what counts days (a lab's days left) and the date itself, which the caller's ``redate`` puts right for
the asked day.

Entries are keyed by the database fingerprint (:mod:`kb.fingerprint`, the one the page cache uses): any
change, in any process, starts afresh. Per process, bounded (least recently used first out).
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from kb.fingerprint import PAGES, fingerprint
from kb.models import Lab, LegalDocument, LegalRelation, RiskList
from kb.read.labs import EXPIRING_DAYS

Answer = dict[str, Any]
#: Every stored date an answer compares the asked date with.
DATE_COLUMNS: tuple[Any, ...] = tuple(col(c) for c in (
    RiskList.effective_from, RiskList.effective_until, LegalDocument.effective_from, LegalDocument.effective_until,
    LegalRelation.effective_from, Lab.valid_until))
VALID_UNTIL = col(Lab.valid_until)


def period_bounds(session: Session) -> list[date]:
    """The sorted days on which some answer may change."""
    days: set[date] = set()
    for column in DATE_COLUMNS:
        for (d,) in session.connection().execute(select(column).where(column.is_not(None)).distinct()):
            days |= {d, d + timedelta(days=1)}
            if column is VALID_UNTIL:
                days |= {d - timedelta(days=EXPIRING_DAYS)}
    return sorted(days)


class DatedAnswers:
    """A per-process memo of answers that depend on a date only through stored dates."""

    def __init__(self, max_entries: int = 2048):
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._version: Any = None
        self._bounds: list[date] = []
        self._entries: OrderedDict[tuple[Any, ...], Answer] = OrderedDict()
        self.hits = self.misses = 0

    def stored(self, key: tuple[Any, ...], on: date, version: Any,
               redate: Callable[[Answer, date], Answer]) -> Answer | None:
        """The answer for ``on`` if one of its period is kept for data ``version``, without the database (an
        async route can answer on the event loop); None otherwise."""
        with self._lock:
            if version is None or version != self._version:
                return None
            period = (*key, bisect_right(self._bounds, on))
            stored = self._entries.get(period)
            if stored is None:
                return None
            self._entries.move_to_end(period)
            self.hits += 1
        return redate(stored, on)

    def answer(self, session: Session, key: tuple[Any, ...], on: date, build: Callable[[Session, date], Answer],
               redate: Callable[[Answer, date], Answer], version: Any = None) -> Answer:
        """``build(session, on)``, or ``redate(answer, on)`` of the answer built for another day of ``on``'s
        period. ``redate`` returns a new answer (the stored one is shared). ``version``: the fingerprint of
        :data:`kb.fingerprint.PAGES` if the caller read it for this request already."""
        version = version if version is not None else fingerprint(session, PAGES)
        kept = self.stored(key, on, version, redate)
        if kept is not None:
            return kept
        with self._lock:
            if version != self._version:
                self._entries.clear()
                self._version, self._bounds = version, period_bounds(session)
            period = (*key, bisect_right(self._bounds, on))
        self.misses += 1
        fresh = build(session, on)
        with self._lock:
            if version == self._version:  # not a stale answer from before another request's change
                self._entries[period] = fresh
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
        return fresh
