"""Delivering the outbox: claim due rows, POST them signed, record each outcome; retry with jittered backoff.

A pass claims up to ``batch`` due rows in a short transaction (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so several deliverers share the work; under SQLite's write lock otherwise) by
counting the attempt and moving ``next_attempt_at`` past the time the pass may take. No lock is
held while posting. A deliverer that dies mid-pass leaves its rows to be claimed again when that
claim lapses: delivery is at least once. A 2xx answer delivers; anything else (a redirect
included: none is followed) or no answer fails the attempt, which is retried after a full-jitter
exponential backoff until the row's ``give_up_at``, then dead-lettered.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from prometheus_client import Counter
from sqlalchemy import select, update

from monitor.service.db import Clock, aware, lock_for_write, system_clock
from monitor.service.webhooks.endpoints import live_keys
from monitor.service.webhooks.outbox import envelope
from monitor.service.webhooks.signing import signed_headers
from monitor.store import Store
from monitor.store.outbox_schema import WebhookEndpointRow, WebhookOutboxRow

__all__ = ["OUTCOMES", "Deliverer", "DeliveryOptions", "PassResult", "delivering"]

log = logging.getLogger(__name__)
OUTCOMES: tuple[str, ...] = ("delivered", "failed", "dead")
"""Counted per attempt: ``failed`` for every failed attempt, ``dead`` once more when the row is given up."""
USER_AGENT = "livemon-webhooks/1"


@dataclass(frozen=True, slots=True)
class DeliveryOptions:
    timeout: float = 10.0
    """Seconds to connect, send and wait for the answer."""
    batch: int = 20
    """Rows claimed per pass."""
    interval: float = 1.0
    """Seconds between passes when nothing more is due."""
    base: float = 30.0
    """Backoff after the first failure is up to this many seconds, doubling with each failure…"""
    cap: float = 3600.0
    """…up to this many."""

    @property
    def claim_for(self) -> timedelta:
        """Longer than a pass may take: a row claimed by a deliverer that died is due again after this."""
        return timedelta(seconds=self.timeout * 3 * self.batch + 60)


@dataclass
class PassResult:
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    attempted: int = 0

    def add(self, other: PassResult) -> None:
        self.delivered += other.delivered
        self.failed += other.failed
        self.dead += other.dead
        self.attempted += other.attempted


@dataclass(frozen=True, slots=True)
class _Claimed:
    id: int
    event_id: str
    endpoint_id: int
    body: str
    attempts: int
    give_up_at: datetime


class Deliverer:
    """Delivers the outbox of ``store`` by ``clock``; ``counter`` (labelled by outcome) counts attempts."""

    def __init__(self, store: Store, clock: Clock = system_clock, options: DeliveryOptions | None = None, *,
                 counter: Counter | None = None, rng: random.Random | None = None) -> None:
        self.store, self.clock = store, clock
        self.options = options or DeliveryOptions()
        self.counter = counter
        self.rng = rng or random.Random()

    def backoff(self, attempts: int) -> timedelta:
        """Full jitter: uniform between 0 and ``min(cap, base · 2^(attempts-1))`` seconds."""
        ceiling = min(self.options.cap, self.options.base * 2 ** min(attempts - 1, 32))
        return timedelta(seconds=self.rng.uniform(0, ceiling))

    def run_once(self, stop: threading.Event | None = None) -> PassResult:
        """One pass over the rows due now; stops posting early (leaving the rest claimed) once ``stop`` is set."""
        claimed, urls, keys = self._claim(self.clock())
        outcomes: list[tuple[_Claimed, str | None]] = []
        if claimed:
            with httpx.Client(timeout=self.options.timeout, follow_redirects=False,
                              headers={"user-agent": USER_AGENT}) as http:
                for item in claimed:
                    if stop is not None and stop.is_set():
                        break
                    outcomes.append((item, self._post(http, urls[item.endpoint_id], keys[item.endpoint_id], item)))
        return self._record(outcomes, self.clock())

    def drain(self) -> PassResult:
        """Passes until one finds fewer rows due than a batch."""
        total = PassResult()
        while True:
            result = self.run_once()
            total.add(result)
            if result.attempted < self.options.batch:
                return total

    def run(self, stop: threading.Event) -> None:
        """Passes until ``stop`` is set, resting ``interval`` whenever less than a batch was due."""
        while not stop.is_set():
            try:
                result = self.run_once(stop)
            except Exception:  # the database or the network failing: the next pass tries again
                log.exception("a webhook delivery pass failed")
                result = PassResult()
            if result.attempted < self.options.batch:
                stop.wait(self.options.interval)

    def _claim(self, now: datetime) -> tuple[list[_Claimed], dict[int, str], dict[int, list[str]]]:
        due = WebhookOutboxRow.next_attempt_at <= now
        with self.store.session() as s:
            if s.scalars(select(WebhookOutboxRow.id).where(due).limit(1)).first() is None:
                return [], {}, {}  # nothing due: no write lock taken
        with self.store.session() as s:
            lock_for_write(s, ())  # SQLite: the write lock, so two deliverers never claim the same row
            rows = s.scalars(
                select(WebhookOutboxRow).where(due).order_by(WebhookOutboxRow.next_attempt_at, WebhookOutboxRow.id)
                .limit(self.options.batch).with_for_update(skip_locked=True)
            ).all()
            claimed = []
            for row in rows:
                row.attempts += 1
                row.next_attempt_at = now + self.options.claim_for
                claimed.append(_Claimed(row.id, row.event_id, row.endpoint_id,
                                        envelope(row.event_id, row.kind, row.payload, row.created_at),
                                        row.attempts, aware(row.give_up_at)))
            ids = {c.endpoint_id for c in claimed}
            urls = {endpoint_id: url for endpoint_id, url in s.execute(
                select(WebhookEndpointRow.id, WebhookEndpointRow.url).where(WebhookEndpointRow.id.in_(ids)))}
            keys = live_keys(s, ids, now)
        return claimed, urls, keys

    def _post(self, http: httpx.Client, url: str, keys: list[str], item: _Claimed) -> str | None:
        """``None`` when the receiver took the event (2xx), else why not."""
        headers = {**signed_headers(item.event_id, item.body, keys, self.clock()), "content-type": "application/json"}
        try:
            with http.stream("POST", url, content=item.body.encode("utf-8"), headers=headers) as response:
                if response.is_success:
                    return None
                return f"HTTP {response.status_code}"
        except (httpx.HTTPError, httpx.InvalidURL) as e:
            return f"{type(e).__name__}: {e}"[:500]

    def _record(self, outcomes: list[tuple[_Claimed, str | None]], now: datetime) -> PassResult:
        result = PassResult(attempted=len(outcomes))
        if not outcomes:
            return result
        with self.store.session() as s:
            for item, error in outcomes:
                if error is None:
                    changed = s.execute(
                        update(WebhookOutboxRow)
                        .where(WebhookOutboxRow.id == item.id, WebhookOutboxRow.delivered_at.is_(None))
                        .values(delivered_at=now, next_attempt_at=None, dead_at=None)
                        .returning(WebhookOutboxRow.id).execution_options(synchronize_session=False)
                    ).first()
                    result.delivered += changed is not None
                    continue
                give_up = now >= item.give_up_at
                later = {"next_attempt_at": None, "dead_at": now} if give_up else {
                    "next_attempt_at": min(now + self.backoff(item.attempts), item.give_up_at)}
                changed = s.execute(
                    update(WebhookOutboxRow)
                    .where(WebhookOutboxRow.id == item.id, WebhookOutboxRow.attempts == item.attempts,
                           WebhookOutboxRow.delivered_at.is_(None), WebhookOutboxRow.dead_at.is_(None))
                    .values(last_error=error, **later)
                    .returning(WebhookOutboxRow.id).execution_options(synchronize_session=False)
                ).first()
                if changed is not None:
                    result.failed += 1
                    result.dead += give_up
        if self.counter is not None:
            for outcome in OUTCOMES:
                self.counter.labels(outcome).inc(getattr(result, outcome))
        return result


@contextmanager
def delivering(deliverer: Deliverer) -> Iterator[threading.Thread]:
    """Run ``deliverer`` on a background thread for the duration of the ``with`` block."""
    stop = threading.Event()
    thread = threading.Thread(target=deliverer.run, args=(stop,), name="livemon-webhooks", daemon=True)
    thread.start()
    try:
        yield thread
    finally:
        stop.set()
        thread.join()

