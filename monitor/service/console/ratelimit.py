"""Login rate limiting: at most N failed logins per user name and per client address within a window.

Counted in the database (``login_failures``), so every server process (``serve --workers N``) and
a restart see the same count. An attempt is counted before its password is checked and the count
taken back when it succeeds, all under a lock on its name and address: attempts racing in
several processes cannot together get past the limit. A name that is no user counts like one that
is, so a refusal says nothing about who exists; a successful login clears its user's failures (not
its address's). Rows older than the window are deleted as new attempts come in.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select

from monitor.service.db import lock_for_write
from monitor.store import Store
from monitor.store.queue_schema import LoginFailureRow

__all__ = ["Attempt", "LoginLimiter"]


def _subject(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Attempt:
    """A login attempt counted as a failure until :meth:`LoginLimiter.succeeded` takes it back."""

    user: str
    address_row: int


class LoginLimiter:
    """Failures per user name and per address within ``window``, kept in ``store``'s database."""

    def __init__(self, store: Store, max_failures: int = 5, window: timedelta = timedelta(minutes=15)) -> None:
        self.store, self.max_failures, self.window = store, max_failures, window

    def attempt(self, user: str, address: str, now: datetime) -> Attempt | None:
        """Count an attempt by ``user`` from ``address``; ``None`` (nothing counted) when either is used up."""
        subjects = (_subject("user", user), _subject("addr", address))
        with self.store.session() as s:
            lock_for_write(s, [f"login:{subject}" for subject in subjects])
            s.execute(delete(LoginFailureRow).where(LoginFailureRow.at <= now - self.window))
            counts = {subject: n for subject, n in s.execute(
                select(LoginFailureRow.subject, func.count()).where(LoginFailureRow.subject.in_(subjects))
                .group_by(LoginFailureRow.subject))}
            if any(counts.get(subject, 0) >= self.max_failures for subject in subjects):
                return None
            ids = s.scalars(insert(LoginFailureRow).returning(LoginFailureRow.id, sort_by_parameter_order=True),
                            [{"subject": subject, "at": now} for subject in subjects]).all()
        return Attempt(user, ids[1])

    def succeeded(self, attempt: Attempt) -> None:
        """The attempt's password was right: forget the user's failures and this attempt's count on its address."""
        with self.store.session() as s:
            s.execute(delete(LoginFailureRow).where(
                (LoginFailureRow.subject == _subject("user", attempt.user))
                | (LoginFailureRow.id == attempt.address_row)))
