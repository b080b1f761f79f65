"""Work done beside the caller: calls run in order on a thread of their own while the caller goes on."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

__all__ = ["Beside"]


class Beside:
    """Runs each submitted call on one thread of its own, in the order given, while the caller goes on.

    At most ``limit`` (in the callers' own units, such as seconds of audio) is waiting at once: past it the
    caller waits for the oldest. A call's error is raised to the caller at its next :meth:`submit` or at
    :meth:`join`. :meth:`close` (also on leaving a ``with`` block) stops the thread, dropping what waits.
    """

    def __init__(self, name: str, limit: float) -> None:
        self.limit = limit
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._waiting: deque[tuple[Future[None], float]] = deque()
        self._weight = 0.0

    def submit(self, call: Callable[[], None], weight: float = 1.0) -> None:
        while self._waiting and (self._waiting[0][0].done() or self._weight + weight > self.limit):
            self._take()
        self._waiting.append((self._pool.submit(call), weight))
        self._weight += weight

    def join(self) -> None:
        """Wait for every call; raise the first error."""
        while self._waiting:
            self._take()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Beside:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _take(self) -> None:
        future, weight = self._waiting.popleft()
        self._weight -= weight
        future.result()
