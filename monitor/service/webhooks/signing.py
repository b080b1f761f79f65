"""Standard Webhooks signatures: ``webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">``.

One signature per live key, space-separated, so a receiver holding either the old or the new
secret verifies during a rotation. Signing is the ``standardwebhooks`` package's.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from datetime import datetime

from standardwebhooks import Webhook

from monitor.service.db import aware

__all__ = ["SECRET_PREFIX", "new_secret", "signed_headers"]

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A new signing secret: ``whsec_`` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def signed_headers(event_id: str, body: str, keys: Sequence[str], at: datetime) -> dict[str, str]:
    """The ``webhook-id``, ``webhook-timestamp`` (Unix seconds of ``at``) and ``webhook-signature`` headers."""
    stamp = aware(at).replace(microsecond=0)
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(stamp.timestamp())),
        "webhook-signature": " ".join(Webhook(key).sign(event_id, stamp, body) for key in keys),
    }
