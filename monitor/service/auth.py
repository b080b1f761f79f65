"""People and access: users with Argon2 password hashes, bearer tokens kept as sha256, role checks."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from monitor.service.audit import append_event
from monitor.service.db import aware
from monitor.service.errors import Forbidden, Invalid, NotFound
from monitor.store.queue_schema import ApiTokenRow, UserRow

__all__ = [
    "ROLES",
    "USER_ROLES",
    "Principal",
    "add_user",
    "authenticate",
    "check_password",
    "create_token",
    "list_tokens",
    "require",
    "revoke_token",
    "set_password",
    "token_digest",
]

ROLES: tuple[str, ...] = ("ingest", "reviewer", "lead", "admin")
"""``ingest`` posts findings only; reviewers claim and decide; leads also take escalated and held cases."""
USER_ROLES: tuple[str, ...] = ("reviewer", "lead", "admin")
_RANK = {"reviewer": 1, "lead": 2, "admin": 3}
_NAME = re.compile(r"[\w.@-]{1,64}")
MIN_PASSWORD = 10
_hasher = PasswordHasher()


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the token's role, and its user's name when it was made for one."""

    token_id: int
    role: str
    user: str | None

    @property
    def name(self) -> str:
        return self.user or f"token:{self.token_id}"


def require(principal: Principal, *roles: str) -> None:
    """Refuse (403) a caller whose role is not one of ``roles``."""
    if principal.role not in roles:
        raise Forbidden(f"a {principal.role} token may not do this (needs {' or '.join(roles)})")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"the password must be at least {MIN_PASSWORD} characters")


def add_user(session: Session, name: str, role: str, password: str, now: datetime, actor: str) -> UserRow:
    """A new user with an Argon2 hash of ``password``."""
    if not _NAME.fullmatch(name):
        raise Invalid("a user name is 1-64 letters, digits or . _ @ -")
    if role not in USER_ROLES:
        raise Invalid(f"a user's role is one of {', '.join(USER_ROLES)}, got {role!r}")
    _check_password_rules(password)
    if session.scalars(select(UserRow.id).where(UserRow.name == name)).first() is not None:
        raise Invalid(f"there is already a user named {name!r}")
    user = UserRow(name=name, role=role, password_hash=_hasher.hash(password), created_at=now)
    session.add(user)
    session.flush()
    append_event(session, actor, "user.added", {"user": name, "role": role}, now)
    return user


def set_password(session: Session, name: str, password: str, now: datetime, actor: str) -> None:
    """Replace ``name``'s password (a new Argon2 hash); the user's console sessions end with the old hash."""
    _check_password_rules(password)
    user = session.scalars(select(UserRow).where(UserRow.name == name).with_for_update()).first()
    if user is None:
        raise NotFound(f"no user named {name!r}")
    user.password_hash = _hasher.hash(password)
    append_event(session, actor, "user.password_changed", {"user": name}, now)


def check_password(session: Session, name: str, password: str) -> bool:
    """Whether ``password`` is ``name``'s (Argon2 verify).

    A missing user is False after a verify against a stand-in hash, so the time taken does not tell
    whether the name exists.
    """
    user = session.scalars(select(UserRow).where(UserRow.name == name)).first()
    try:
        return _hasher.verify(user.password_hash if user else _stand_in_hash(), password) and user is not None
    except (VerificationError, InvalidHashError):
        return False


@cache
def _stand_in_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def create_token(session: Session, role: str, user_name: str | None, now: datetime, actor: str) -> tuple[str, int]:
    """A new random bearer token and its id; only its sha256 is stored.

    A token made for a user carries at most that user's role (or ``ingest``).
    """
    if role not in ROLES:
        raise Invalid(f"a token's role is one of {', '.join(ROLES)}, got {role!r}")
    user_id = None
    if user_name is not None:
        user = session.scalars(select(UserRow).where(UserRow.name == user_name)).first()
        if user is None:
            raise NotFound(f"no user named {user_name!r}")
        if role != "ingest" and _RANK[role] > _RANK[user.role]:
            raise Invalid(f"{user_name} is a {user.role}: their token cannot carry the {role} role")
        user_id = user.id
    token = "lm_" + secrets.token_urlsafe(32)
    row = ApiTokenRow(token_sha256=token_digest(token), role=role, user_id=user_id, created_at=now)
    session.add(row)
    session.flush()
    append_event(session, actor, "token.created", {"token_id": row.id, "role": role, "user": user_name}, now)
    return token, row.id


def authenticate(session: Session, token: str) -> Principal | None:
    """The caller a token stands for, or ``None`` for an unknown or revoked one."""
    found = session.connection().execute(_AUTHENTICATE, {"digest": token_digest(token)}).first()
    return Principal(found[0], found[1], found[2]) if found else None


_AUTHENTICATE = (
    select(ApiTokenRow.id, ApiTokenRow.role, UserRow.name).outerjoin(UserRow, UserRow.id == ApiTokenRow.user_id)
    .where(ApiTokenRow.token_sha256 == bindparam("digest"), ApiTokenRow.revoked_at.is_(None))
)
"""Built once: every API request runs it."""


def revoke_token(session: Session, token_id: int, now: datetime, actor: str) -> None:
    """End a token at once (its row stays, for the record)."""
    row = session.get(ApiTokenRow, token_id, with_for_update=True)
    if row is None:
        raise NotFound(f"no token {token_id}")
    if row.revoked_at is not None:
        raise Invalid(f"token {token_id} was already revoked")
    row.revoked_at = now
    append_event(session, actor, "token.revoked", {"token_id": token_id}, now)


def list_tokens(session: Session) -> list[dict[str, object]]:
    """Every token's id, role, user and dates (never the token: only its hash is stored)."""
    rows = session.execute(select(ApiTokenRow, UserRow.name).outerjoin(UserRow, UserRow.id == ApiTokenRow.user_id)
                           .order_by(ApiTokenRow.id)).all()
    return [{"id": t.id, "role": t.role, "user": name, "created_at": aware(t.created_at).isoformat(),
             "revoked_at": aware(t.revoked_at).isoformat() if t.revoked_at else None} for t, name in rows]
