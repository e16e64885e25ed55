"""Login throttling: a sliding window of failures per key (client IP, account), kept in memory.

One process serves the site, so memory is the right store; a restart forgets the counts, which only
gives an attacker ten more guesses. The clock is injectable so tests step time instead of sleeping.
"""

from __future__ import annotations

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
    """10 failed logins a minute per client IP and per account name, whichever fills first."""

    def __init__(self, limit: int = 10, window: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.failures = SlidingWindowLimiter(limit, window, clock)

    @staticmethod
    def keys(ip: str | None, username: str | None) -> list[str]:
        return [f"ip:{ip or '?'}", f"user:{fold(username or '')}"]

    def blocked(self, ip: str | None, username: str | None) -> int:
        """0 when a login may be tried, else the seconds to wait."""
        waits = [self.failures.retry_after(k) for k in self.keys(ip, username) if self.failures.blocked(k)]
        return max(waits, default=0)

    def failed(self, ip: str | None, username: str | None) -> None:
        for k in self.keys(ip, username):
            self.failures.hit(k)

    def succeeded(self, ip: str | None, username: str | None) -> None:
        # Only the account's count is forgiven: one valid login must not reset an IP's guessing budget.
        self.failures.reset(self.keys(ip, username)[1])
