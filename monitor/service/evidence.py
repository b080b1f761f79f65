"""Evidence of ingested findings: JPEG snapshots and MP4 clips uploaded by sha256, kept in the store's
blob folder, and checked against the findings that name them (``livemon audit verify``)."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.service.audit import append_event
from monitor.service.db import lock_for_write
from monitor.service.errors import ServiceError
from monitor.service.models import EVIDENCE_KEYS
from monitor.store.blobs import BlobStore, file_sha256
from monitor.store.queue_schema import IngestedFindingRow

__all__ = [
    "EVIDENCE_KEYS",
    "EVIDENCE_TYPES",
    "EvidenceCheck",
    "UnsupportedMedia",
    "store_evidence",
    "verify_evidence",
]

EVIDENCE_TYPES: dict[str, str] = {"image/jpeg": "a JPEG", "video/mp4": "an MP4"}
SHA256 = re.compile(r"[0-9a-f]{64}")


class UnsupportedMedia(ServiceError):
    """415: evidence that is not a JPEG or an MP4."""

    status = 415


def _looks_like(media_type: str, data: bytes) -> bool:
    if media_type == "image/jpeg":
        return data.startswith(b"\xff\xd8\xff")
    return data[4:8] == b"ftyp"


def store_evidence(
    session: Session, blobs: BlobStore, digest: str, data: bytes, content_type: str, actor: str, now: datetime
) -> bool:
    """Keep ``data`` under ``digest``; True when it is new (one ``evidence.stored`` audit event), False when
    the store already had it (nothing changes). A wrong type is 415, a digest that is not the body's 400."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type not in EVIDENCE_TYPES:
        raise UnsupportedMedia(f"evidence is image/jpeg or video/mp4, not {media_type or 'untyped'}")
    if not _looks_like(media_type, data):
        raise UnsupportedMedia(f"the body is not {EVIDENCE_TYPES[media_type]}")
    actual = hashlib.sha256(data).hexdigest()
    if actual != digest:
        raise ServiceError(f"the body's sha256 is {actual}, not the {digest} in the URL")
    lock_for_write(session, [f"evidence:{digest}"])
    if blobs.path(digest).is_file():
        return False
    blobs.put(data)
    append_event(session, actor, "evidence.stored",
                 {"sha256": digest, "bytes": len(data), "content_type": media_type}, now)
    return True


@dataclass(frozen=True, slots=True)
class EvidenceCheck:
    """What the evidence check found: how many blobs findings name, and each one missing or altered."""

    blobs: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems



def verify_evidence(session: Session, blobs: BlobStore) -> EvidenceCheck:
    """Check every blob an ingested finding names (``snapshot_sha256``, ``clip_sha256``): present, and its
    content still hashing to its name. Ingest refuses any other value; one stored before it did names no
    blob and is skipped."""
    named: dict[str, tuple[str, str]] = {}
    rows = session.execute(select(IngestedFindingRow.finding_id, IngestedFindingRow.body)
                           .order_by(IngestedFindingRow.id).execution_options(yield_per=1000))
    for finding_id, body in rows:
        evidence = json.loads(body).get("evidence")
        for key in EVIDENCE_KEYS if isinstance(evidence, dict) else ():
            value = evidence.get(key)
            if isinstance(value, str) and SHA256.fullmatch(value):
                named.setdefault(value, (key.removesuffix("_sha256"), finding_id))
    problems = []
    for digest, (kind, finding_id) in sorted(named.items(), key=lambda item: item[1][1]):
        path = blobs.path(digest)
        if not path.is_file():
            problems.append(f"evidence {digest} (the {kind} of finding {finding_id}) is missing: {path}")
        elif file_sha256(path) != digest:
            problems.append(f"evidence {digest} (the {kind} of finding {finding_id}) was altered: "
                            f"its content no longer matches its hash ({path})")
    return EvidenceCheck(len(named), problems)
