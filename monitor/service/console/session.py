"""The console's session cookie: who is logged in and their CSRF token, signed with the store's secret.

The cookie is ``base64url(JSON) "." base64url(HMAC-SHA256(secret, first part))``; the JSON holds the
user's name (``null`` before login), the CSRF token, when it was issued (by the service's clock) and a
fingerprint of the user's password hash, so a changed password ends every session of that user. The
secret is 32 random bytes in the file ``console-secret`` of the store folder (mode 0600), made on first
use; deleting the file ends every session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from monitor.errors import ConfigError

__all__ = ["COOKIE", "SESSION_LIFETIME", "SessionCodec", "SessionData", "load_secret", "password_fingerprint"]

COOKIE = "livemon_console"
SESSION_LIFETIME = timedelta(hours=12)
SECRET_FILE = "console-secret"


def load_secret(folder: Path) -> bytes:
    """The store's console secret, made (0600, atomically: a racing process reads the winner's) when missing."""
    path = folder / SECRET_FILE
    try:
        if not path.exists():
            _make(path)
        text = path.read_text(encoding="ascii", errors="replace").strip()
    except OSError as e:
        raise ConfigError(f"cannot read or make the console secret {path}: {e}") from e
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        secret = b""
    if len(secret) < 32:
        raise ConfigError(f"{path} is not a console secret (64 hex digits); delete it to make a new one")
    return secret


def _make(path: Path) -> None:
    tmp = path.with_name(f".{SECRET_FILE}.{secrets.token_hex(8)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32) + "\n")
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


def password_fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class SessionData:
    """A browser's session: ``user`` is ``None`` until it logs in; ``csrf`` goes into every form."""

    user: str | None
    csrf: str
    issued: datetime
    fingerprint: str = ""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionCodec:
    """Signs sessions into cookie values and reads them back (``None`` for a forged, broken or expired one)."""

    def __init__(self, secret: bytes, lifetime: timedelta = SESSION_LIFETIME) -> None:
        self._secret, self.lifetime = secret, lifetime

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._secret, body.encode("ascii"), hashlib.sha256).digest())

    @staticmethod
    def new(user: str | None, now: datetime, fingerprint: str = "") -> SessionData:
        return SessionData(user, secrets.token_urlsafe(32), now, fingerprint)

    def dump(self, data: SessionData) -> str:
        payload = {"u": data.user, "c": data.csrf, "t": data.issued.timestamp(), "p": data.fingerprint}
        body = _b64(json.dumps(payload, separators=(",", ":")).encode("utf-8"))
        return f"{body}.{self._sign(body)}"

    def load(self, value: str | None, now: datetime) -> SessionData | None:
        if not value or len(value) > 4096 or not value.isascii() or value.count(".") != 1:
            return None
        body, signature = value.split(".")
        if not hmac.compare_digest(signature, self._sign(body)):
            return None
        try:
            payload = json.loads(_unb64(body))
            issued = datetime.fromtimestamp(float(payload["t"]), now.tzinfo)
            user, csrf, fingerprint = payload["u"], payload["c"], payload["p"]
        except (ValueError, KeyError, TypeError):
            return None
        if not (user is None or isinstance(user, str)) or not isinstance(csrf, str) or not isinstance(fingerprint, str):
            return None
        if not (issued - timedelta(minutes=5) <= now < issued + self.lifetime):
            return None
        return SessionData(user, csrf, issued, fingerprint)
