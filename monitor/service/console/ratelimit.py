"""Login rate limiting: at most N failed logins per user name and per client address within a window.

Counted in this process's memory by the service's clock (a restart forgets, and each worker
counts alone). A name that is no user counts like one that is, so a refusal says nothing about
who exists; a successful login clears its user's count (not its address's).
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime, timedelta

__all__ = ["LoginLimiter"]


class LoginLimiter:
    """Failures per ``("user", name)`` and ``("addr", address)`` within ``window``; ``max_keys`` bounds memory."""

    def __init__(self, max_failures: int = 5, window: timedelta = timedelta(minutes=15),
                 max_keys: int = 100_000) -> None:
        self.max_failures, self.window, self.max_keys = max_failures, window, max_keys
        self._failures: dict[tuple[str, str], deque[datetime]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: datetime) -> deque[datetime] | None:
        times = self._failures.get(key)
        if times is None:
            return None
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._failures[key]
            return None
        return times

    def blocked(self, user: str, address: str, now: datetime) -> bool:
        """Whether this user name or this address has used up its failures."""
        with self._lock:
            return any(len(times) >= self.max_failures for key in (("user", user), ("addr", address))
                       if (times := self._recent(key, now)) is not None)

    def failed(self, user: str, address: str, now: datetime) -> None:
        with self._lock:
            if len(self._failures) >= self.max_keys:
                for key in list(self._failures):
                    self._recent(key, now)
            if len(self._failures) >= self.max_keys:  # still full of live keys: forget the oldest
                del self._failures[min(self._failures, key=lambda k: self._failures[k][-1])]
            for key in (("user", user), ("addr", address)):
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, user: str) -> None:
        with self._lock:
            self._failures.pop(("user", user), None)
