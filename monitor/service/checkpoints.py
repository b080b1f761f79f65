"""Signed checkpoints of the audit chain's head (Ed25519), so a rewritten tail and head are found too.

The hash chain finds any edited, removed or inserted event, except when someone rewrites the
last events *and* the head row together. A checkpoint is the head (``seq``, ``hash``) at a moment,
signed with a key the database never sees; it is kept in the database and, one JSON line each, in
a file the operator copies elsewhere. Verify checks every checkpoint's signature with the public
key and that the chain still has that hash at that seq. Anyone with the public key can check an
export or a copied chain: no secret is needed to verify.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.errors import ConfigError
from monitor.service.audit import append_event, canonical_json
from monitor.service.db import aware
from monitor.store.governance_schema import AuditCheckpointRow
from monitor.store.queue_schema import AuditEventRow, AuditHeadRow

__all__ = ["CheckpointCheck", "key_id", "load_or_create_key", "load_public_key", "make_checkpoint",
           "read_checkpoint_file", "verify_checkpoints"]


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The signing key in ``path`` (PKCS#8 PEM), made with mode 0600 the first time."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption())
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # made meanwhile by another process: use that one
            pass
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as e:
        raise ConfigError(f"cannot read the audit signing key {path}: {e}") from e
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"{path} is not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """A public key (PEM) or the public half of a private key file."""
    try:
        data = path.read_bytes()
        key: Any = (serialization.load_pem_private_key(data, password=None).public_key() if b"PRIVATE" in data
                    else serialization.load_pem_public_key(data))
    except (OSError, ValueError) as e:
        raise ConfigError(f"cannot read the audit key {path}: {e}") from e
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError(f"{path} is not an Ed25519 key")
    return key


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _statement(seq: int, digest: str, at: datetime) -> bytes:
    return canonical_json({"seq": seq, "hash": digest, "at": aware(at).isoformat(timespec="microseconds")}).encode()


def make_checkpoint(session: Session, key: Ed25519PrivateKey, actor: str, now: datetime) -> dict[str, Any]:
    """Sign the chain's head as it is now, keep the checkpoint, and record it as an audit event."""
    head = session.scalars(select(AuditHeadRow).where(AuditHeadRow.id == 1).with_for_update()).one()
    signature = base64.b64encode(key.sign(_statement(head.seq, head.hash, now))).decode()
    row = AuditCheckpointRow(seq=head.seq, hash=head.hash, at=now, key_id=key_id(key.public_key()),
                             signature=signature)
    session.add(row)
    session.flush()
    out = {"seq": row.seq, "hash": row.hash, "at": aware(now).isoformat(timespec="microseconds"),
           "key_id": row.key_id, "signature": signature}
    append_event(session, actor, "audit.checkpoint", out, now)
    return out


def read_checkpoint_file(path: Path) -> list[dict[str, Any]]:
    """The checkpoints copied to ``path`` (JSON Lines, as ``livemon audit checkpoint --out`` appends them)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]
    except (OSError, ValueError) as e:
        raise ConfigError(f"cannot read the checkpoints in {path}: {e}") from e


@dataclass(frozen=True, slots=True)
class CheckpointCheck:
    checked: int
    problem: str | None = None
    broken: int | None = None
    """The seq the first failing checkpoint vouches for."""

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify_checkpoints(session: Session, public: Ed25519PublicKey,
                       copies: Iterable[dict[str, Any]] = ()) -> CheckpointCheck:
    """Check the stored checkpoints and ``copies`` (from the operator's file): each is signed by ``public``
    and the chain still ends in its hash at its seq."""
    stored = [{"seq": r.seq, "hash": r.hash, "at": aware(r.at).isoformat(timespec="microseconds"),
               "key_id": r.key_id, "signature": r.signature}
              for r in session.scalars(select(AuditCheckpointRow).order_by(AuditCheckpointRow.id))]
    seen = {c["signature"] for c in stored}
    checkpoints = stored + [c for c in copies if c.get("signature") not in seen]
    wanted = key_id(public)
    for checkpoint in sorted(checkpoints, key=lambda c: (int(c["seq"]), str(c["at"]))):
        seq, digest, at = int(checkpoint["seq"]), str(checkpoint["hash"]), str(checkpoint["at"])
        if checkpoint.get("key_id") != wanted:
            return CheckpointCheck(len(checkpoints), f"the checkpoint of {at} was signed by key "
                                                     f"{checkpoint.get('key_id')}, not {wanted}", seq)
        try:
            statement = _statement(seq, digest, datetime.fromisoformat(at))
            public.verify(base64.b64decode(checkpoint["signature"]), statement)
        except (InvalidSignature, ValueError):
            return CheckpointCheck(len(checkpoints), f"the checkpoint of {at} (event {seq}) has a bad signature", seq)
        if seq == 0:
            continue
        actual = session.scalar(select(AuditEventRow.hash).where(AuditEventRow.seq == seq))
        if actual != digest:
            return CheckpointCheck(len(checkpoints), f"audit event {seq} is not the one the checkpoint of {at} signed "
                                                     "(the chain was rewritten)", seq)
    return CheckpointCheck(len(checkpoints))
