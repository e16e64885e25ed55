"""Login throttling: sliding windows of failures per client address and per account, kept in memory.

Each worker process keeps its own counts (``kb serve --workers N`` lets an address try N times as often, and a
restart forgets them, which only gives an attacker ten more guesses): a site-wide limit belongs in front, in
the reverse proxy (``deploy/nginx.conf`` limits ``/login`` per address for all workers). The clock is
injectable so tests step time instead of sleeping.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from kb.text import fold


class SlidingWindowLimiter:
    def __init__(self, limit: int = 10, window: float = 60.0, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 100_000):
        self.limit = limit
        self.window = window
        self.clock = clock
        self.max_keys = max_keys
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, key: str) -> deque[float] | None:
        hits = self._hits.get(key)
        if hits is None:
            return None
        horizon = self.clock() - self.window
        while hits and hits[0] <= horizon:
            hits.popleft()
        if not hits:
            del self._hits[key]
            return None
        return hits

    def blocked(self, key: str) -> bool:
        hits = self._recent(key)
        return hits is not None and len(hits) >= self.limit

    def retry_after(self, key: str) -> int:
        """Seconds until the oldest failure in the window expires."""
        hits = self._recent(key)
        if not hits:
            return 0
        return max(1, int(hits[0] + self.window - self.clock()) + 1)

    def hit(self, key: str) -> None:
        hits = self._recent(key)
        if hits is None:
            hits = self._hits[key] = deque(maxlen=self.limit * 2)
        hits.append(self.clock())
        self._hits.move_to_end(key)
        while len(self._hits) > self.max_keys:  # a flood of distinct keys cannot grow memory without bound
            self._hits.popitem(last=False)

    def reset(self, key: str) -> None:
        self._hits.pop(key, None)


class LoginLimiter:
    """Guessing is slowed down per address and per account, but nobody can lock an owner out.

    - Per client address: ``limit`` failures in ``window`` seconds, then 429 until the oldest leaves the window.
    - Per account: no lock. From the ``free``-th failure within ``account_window`` on, each further try waits a
      delay that doubles per failure (2, 4, 8 … s, at most ``max_delay``) after the latest failure, so guesses
      from many addresses at once come to one a minute. An address the account has signed in from before is
      exempt from that delay (it still has its own per-address limit): the owner keeps getting in while
      someone elsewhere keeps failing on the account.
    """

    def __init__(self, limit: int = 10, window: float = 60.0, clock: Callable[[], float] = time.monotonic, *,
                 free: int = 10, max_delay: float = 60.0, account_window: float = 900.0, max_keys: int = 100_000):
        self.clock = clock
        self.failures = SlidingWindowLimiter(limit, window, clock, max_keys)
        self.accounts = SlidingWindowLimiter(64, account_window, clock, max_keys)
        self.free = free
        self.max_delay = max_delay
        self.max_keys = max_keys
        self._known: OrderedDict[str, deque[str]] = OrderedDict()

    @staticmethod
    def keys(ip: str | None, username: str | None) -> list[str]:
        return [f"ip:{ip or '?'}", f"user:{fold(username or '')}"]

    def account_delay(self, ip: str | None, username: str | None) -> int:
        """Seconds this address must still wait before trying this account again (0: may try now)."""
        ip_key, user_key = self.keys(ip, username)
        if ip_key in self._known.get(user_key, ()):
            return 0
        hits = self.accounts._recent(user_key)
        if hits is None or len(hits) < self.free:
            return 0
        delay = min(2.0 ** (len(hits) - self.free + 1), self.max_delay)
        wait = hits[-1] + delay - self.clock()
        return math.ceil(wait) if wait > 0 else 0

    def blocked(self, ip: str | None, username: str | None) -> int:
        """0 when a login may be tried, else the seconds to wait."""
        ip_key = self.keys(ip, username)[0]
        by_address = self.failures.retry_after(ip_key) if self.failures.blocked(ip_key) else 0
        return max(by_address, self.account_delay(ip, username))

    def failed(self, ip: str | None, username: str | None) -> None:
        ip_key, user_key = self.keys(ip, username)
        self.failures.hit(ip_key)
        self.accounts.hit(user_key)

    def succeeded(self, ip: str | None, username: str | None) -> None:
        # The account's count is forgiven and the address remembered as the owner's; the address's own
        # guessing budget is not reset by one valid login.
        ip_key, user_key = self.keys(ip, username)
        self.accounts.reset(user_key)
        known = self._known.setdefault(user_key, deque(maxlen=8))
        if ip_key not in known:
            known.append(ip_key)
        self._known.move_to_end(user_key)
        while len(self._known) > self.max_keys:
            self._known.popitem(last=False)
