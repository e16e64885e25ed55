"""Login throttling: sliding windows of failures per client address and per account.

The login limiter's failures live in the database (:class:`DatabaseStore`): every worker of ``kb serve`` and
every server on one database counts the same ones, where each process's own counts let an address try N times
as often with N workers, and a restart forgot them. A site-wide limit in the reverse proxy remains a good
first line (``deploy/nginx.conf``). Other limits (subscription requests) stay per process
(:class:`SlidingWindowLimiter`). The clock is injectable so tests step time instead of sleeping.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import delete
from sqlmodel import col, select

from kb.models import LoginFailure, LoginKnownAddress
from kb.text import fold

if TYPE_CHECKING:
    from kb.core import KnowledgeBase

#: Longest key kept (a username as typed can be anything): keys are cut to it, as the database's column is.
KEY_CHARS = 200
#: Addresses remembered per account as the owner's.
KNOWN_PER_ACCOUNT = 8


class FailureStore(Protocol):
    """Where a :class:`LoginLimiter` keeps failures (per key, with their times) and the owners' addresses."""

    def times(self, key: str, since: float) -> list[float]:
        """The key's failures after ``since``, oldest first."""

    def add(self, key: str, at: float) -> None: ...

    def forget(self, key: str) -> None: ...

    def known(self, user_key: str) -> Sequence[str]:
        """The addresses the account signed in from."""

    def remember(self, user_key: str, ip_key: str, at: float) -> None: ...


class MemoryStore:
    """The failures in this process only (tests; a limiter no other process needs to agree with)."""

    def __init__(self, max_keys: int = 100_000, per_key: int = 128):
        self.max_keys = max_keys
        self._times: OrderedDict[str, deque[float]] = OrderedDict()
        self._per_key = per_key
        self._known: OrderedDict[str, deque[str]] = OrderedDict()

    def times(self, key: str, since: float) -> list[float]:
        return [t for t in self._times.get(key, ()) if t > since]

    def add(self, key: str, at: float) -> None:
        self._times.setdefault(key, deque(maxlen=self._per_key)).append(at)
        self._times.move_to_end(key)
        while len(self._times) > self.max_keys:  # a flood of distinct keys cannot grow memory without bound
            self._times.popitem(last=False)

    def forget(self, key: str) -> None:
        self._times.pop(key, None)

    def known(self, user_key: str) -> Sequence[str]:
        return tuple(self._known.get(user_key, ()))

    def remember(self, user_key: str, ip_key: str, at: float) -> None:
        known = self._known.setdefault(user_key, deque(maxlen=KNOWN_PER_ACCOUNT))
        if ip_key not in known:
            known.append(ip_key)
        self._known.move_to_end(user_key)
        while len(self._known) > self.max_keys:
            self._known.popitem(last=False)


def _wait(oldest: float, window: float, now: float) -> int:
    """Seconds until a failure at ``oldest`` leaves a window of ``window`` seconds."""
    return max(1, int(oldest + window - now) + 1)


class SlidingWindowLimiter:
    """At most ``limit`` hits per key in ``window`` seconds, counted in this process (subscription requests)."""

    def __init__(self, limit: int = 10, window: float = 60.0, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 100_000):
        self.limit = limit
        self.window = window
        self.clock = clock
        self.store = MemoryStore(max_keys, per_key=limit * 2)

    def _recent(self, key: str) -> list[float]:
        return self.store.times(key, self.clock() - self.window)

    def blocked(self, key: str) -> bool:
        return len(self._recent(key)) >= self.limit

    def retry_after(self, key: str) -> int:
        """Seconds until the oldest hit in the window leaves it."""
        hits = self._recent(key)
        return _wait(hits[0], self.window, self.clock()) if hits else 0

    def hit(self, key: str) -> None:
        self.store.add(key, self.clock())

    def reset(self, key: str) -> None:
        self.store.forget(key)


class DatabaseStore:
    """The failures in the knowledge base's database, each in its own short transaction, so that every worker
    and server counts them; rows older than ``keep`` seconds are deleted as new failures come."""

    def __init__(self, kbase: KnowledgeBase, keep: float):
        self.kbase = kbase
        self.keep = keep

    def times(self, key: str, since: float) -> list[float]:
        with self.kbase.session() as session:
            stmt = select(LoginFailure.at).where(LoginFailure.key == key[:KEY_CHARS], LoginFailure.at > since)
            return sorted(session.exec(stmt))

    def add(self, key: str, at: float) -> None:
        with self.kbase.session() as session:
            session.exec(delete(LoginFailure).where(col(LoginFailure.at) <= at - self.keep))
            session.add(LoginFailure(key=key[:KEY_CHARS], at=at))
            session.commit()

    def forget(self, key: str) -> None:
        with self.kbase.session() as session:
            session.exec(delete(LoginFailure).where(col(LoginFailure.key) == key[:KEY_CHARS]))
            session.commit()

    def known(self, user_key: str) -> Sequence[str]:
        with self.kbase.session() as session:
            return list(session.exec(select(LoginKnownAddress.ip_key)
                                     .where(LoginKnownAddress.user_key == user_key[:KEY_CHARS])))

    def remember(self, user_key: str, ip_key: str, at: float) -> None:
        user_key, ip_key = user_key[:KEY_CHARS], ip_key[:KEY_CHARS]
        with self.kbase.session() as session:
            row = session.get(LoginKnownAddress, (user_key, ip_key))
            if row is None:
                session.add(LoginKnownAddress(user_key=user_key, ip_key=ip_key, at=at))
            else:
                row.at = at
            session.flush()
            older = session.exec(select(LoginKnownAddress.ip_key).where(LoginKnownAddress.user_key == user_key)
                                 .order_by(col(LoginKnownAddress.at).desc()).offset(KNOWN_PER_ACCOUNT)).all()
            if older:
                session.exec(delete(LoginKnownAddress).where(col(LoginKnownAddress.user_key) == user_key,
                                                             col(LoginKnownAddress.ip_key).in_(older)))
            session.commit()


class LoginLimiter:
    """Guessing is slowed down per address and per account, but nobody can lock an owner out.

    - Per client address: ``limit`` failures in ``window`` seconds, then 429 until the oldest leaves the window.
    - Per account: no lock. From the ``free``-th failure within ``account_window`` on, each further try waits a
      delay that doubles per failure (2, 4, 8 … s, at most ``max_delay``) after the latest failure, so guesses
      from many addresses at once come to one a minute. An address the account has signed in from before is
      exempt from that delay (it still has its own per-address limit): the owner keeps getting in while
      someone elsewhere keeps failing on the account.

    The counts live in ``store``: :func:`shared_login_limiter` (the site's) keeps them in the database; the
    default, :class:`MemoryStore`, in this process.
    """

    def __init__(self, limit: int = 10, window: float = 60.0, clock: Callable[[], float] = time.monotonic, *,
                 free: int = 10, max_delay: float = 60.0, account_window: float = 900.0, max_keys: int = 100_000,
                 store: FailureStore | None = None):
        self.clock = clock
        self.limit = limit
        self.window = window
        self.free = free
        self.max_delay = max_delay
        self.account_window = account_window
        self.store: FailureStore = store if store is not None else MemoryStore(max_keys)

    @staticmethod
    def keys(ip: str | None, username: str | None) -> list[str]:
        return [f"ip:{ip or '?'}", f"user:{fold(username or '')}"]

    def account_delay(self, ip: str | None, username: str | None) -> int:
        """Seconds this address must still wait before trying this account again (0: may try now)."""
        ip_key, user_key = self.keys(ip, username)
        hits = self.store.times(user_key, self.clock() - self.account_window)
        if len(hits) < self.free or ip_key in self.store.known(user_key):
            return 0
        delay = min(2.0 ** (len(hits) - self.free + 1), self.max_delay)
        wait = hits[-1] + delay - self.clock()
        return math.ceil(wait) if wait > 0 else 0

    def blocked(self, ip: str | None, username: str | None) -> int:
        """0 when a login may be tried, else the seconds to wait."""
        ip_key = self.keys(ip, username)[0]
        hits = self.store.times(ip_key, self.clock() - self.window)
        by_address = _wait(hits[0], self.window, self.clock()) if len(hits) >= self.limit else 0
        return max(by_address, self.account_delay(ip, username))

    def failed(self, ip: str | None, username: str | None) -> None:
        now = self.clock()
        for key in self.keys(ip, username):
            self.store.add(key, now)

    def succeeded(self, ip: str | None, username: str | None) -> None:
        # The account's count is forgiven and the address remembered as the owner's; the address's own
        # guessing budget is not reset by one valid login.
        ip_key, user_key = self.keys(ip, username)
        self.store.forget(user_key)
        self.store.remember(user_key, ip_key, self.clock())


def shared_login_limiter(kbase: KnowledgeBase) -> LoginLimiter:
    """The site's login limiter: its failures in the database, on the wall clock (comparable between servers)."""
    limiter = LoginLimiter(clock=time.time)
    limiter.store = DatabaseStore(kbase, keep=max(limiter.window, limiter.account_window))
    return limiter
