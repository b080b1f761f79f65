"""When a live room's stream is lost: reopen it with jittered exponential backoff until an outage budget runs out.

:func:`reconnecting` builds the tenacity policy one outage runs under: a failed reopening (the
server refuses, answers with an error, sends nothing readable, or opens and is lost again before
any media came) is retried after a random wait of up to ``first_wait_s * 2**n`` seconds (``n``
the attempts so far, at most ``max_wait_s``: "full jitter", so rooms of one CDN that dropped
together do not come back in step), and the outage ends in failure once the room has had no
media for ``outage_s`` seconds (``reconnect_outage``). A refused address (:class:`~monitor.errors.ForbiddenSource`) is
never retried. Each outage starts afresh: its first reopening is at once, its backoff from
``first_wait_s``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from tenacity import RetryCallState, Retrying, retry_if_exception, wait_random_exponential

from monitor.errors import ForbiddenSource, InputError

__all__ = ["ConnectionLost", "ReconnectOptions", "reconnecting"]


@dataclass(frozen=True, slots=True)
class ReconnectOptions:
    """How long a lost live room waits between reopenings (the outage budget is ``ScanOptions.reconnect_outage``)."""

    first_wait_s: float = 1.0
    """Upper bound of the first random wait; it doubles with each failed attempt."""
    max_wait_s: float = 30.0
    """Upper bound of any one wait."""


class ConnectionLost(Exception):
    """A live stream's connection ended (end of stream, error or stall) before any media came from it."""


def _worth_retrying(error: BaseException) -> bool:
    return isinstance(error, ConnectionLost | InputError) and not isinstance(error, ForbiddenSource)


def reconnecting(
    outage_s: float,
    options: ReconnectOptions,
    stop: threading.Event,
    since_media: Callable[[], float],
    before_wait: Callable[[RetryCallState], None],
) -> Retrying:
    """The retry policy of one outage, given up ``outage_s`` after the room's last media (``since_media()``
    gives the seconds since).

    Waits end early when ``stop`` is set (and the outage then ends, re-raising the last error), and
    never run past the outage budget.
    """
    backoff = wait_random_exponential(multiplier=options.first_wait_s, max=options.max_wait_s)

    def wait(state: RetryCallState) -> float:
        return max(0.0, min(backoff(state), outage_s - since_media()))

    def pause(seconds: float) -> None:
        stop.wait(seconds)

    return Retrying(
        retry=retry_if_exception(_worth_retrying),
        wait=wait,
        stop=lambda state: stop.is_set() or since_media() >= outage_s,
        sleep=pause,
        before_sleep=before_wait,
        reraise=True,
    )
