"""Evidence uploads on SQLite and PostgreSQL: stored by sha256 once, refused with one clear 4xx otherwise,
and checked by `livemon audit verify` against the findings that name them."""

from __future__ import annotations

import hashlib
from typing import Any

import cv2
import numpy as np
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from monitor.cli import app as cli
from monitor.store.queue_schema import IngestedFindingRow
from tests.service.queue_helpers import Service, finding
from tests.service.test_audit_and_cli import _where

runner = CliRunner()


def _jpeg() -> bytes:
    ok, data = cv2.imencode(".jpg", np.full((24, 32, 3), 90, np.uint8))
    assert ok
    return np.asarray(data).tobytes()


MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(64)


def _put(service: Service, who: str | None, data: bytes, content_type: str = "image/jpeg",
         digest: str | None = None) -> Any:
    headers = {"Content-Type": content_type, **(service.auth(who) if who else {})}
    digest = digest or hashlib.sha256(data).hexdigest()
    return service.client.put(f"/api/v1/evidence/{digest}", content=data, headers=headers)


def test_evidence_is_stored_once_by_its_sha256(service: Service) -> None:
    picture = _jpeg()
    digest = hashlib.sha256(picture).hexdigest()
    url = f"/api/v1/evidence/{digest}"
    assert service.client.head(url, headers=service.auth("ingest")).status_code == 404
    before = service.audit_events()
    first = _put(service, "ingest", picture)
    assert first.status_code == 201 and first.json() == {"sha256": digest, "bytes": len(picture), "new": True}
    assert service.store.blobs.get(digest) == picture and service.audit_events() == before + 1
    again = _put(service, "root", picture)  # an admin may upload too; the same bytes change nothing
    assert again.status_code == 200 and again.json()["new"] is False
    assert service.audit_events() == before + 1
    assert service.client.head(url, headers=service.auth("ingest")).status_code == 200
    clip = _put(service, "ingest", MP4, "video/mp4")
    assert clip.status_code == 201 and service.store.blobs.get(hashlib.sha256(MP4).hexdigest()) == MP4


@pytest.mark.parametrize(
    ("body", "content_type", "digest", "status", "message"),
    [
        ("jpeg", "image/jpeg", "0" * 64, 400, "sha256 is"),
        ("jpeg", "image/png", None, 415, "not image/png"),
        ("jpeg", "text/html", None, 415, "not text/html"),
        ("text", "image/jpeg", None, 415, "not a JPEG"),
        ("jpeg", "video/mp4", None, 415, "not an MP4"),
        ("jpeg", "image/jpeg", "../../etc/passwd", 404, None),
        ("jpeg", "image/jpeg", "ABCD" * 16, 422, None),
    ],
    ids=["hash-mismatch", "png", "html", "not-a-jpeg", "jpeg-as-mp4", "path", "upper-case-hex"],
)
def test_bad_evidence_is_refused_and_changes_nothing(
    service: Service, body: str, content_type: str, digest: str | None, status: int, message: str | None
) -> None:
    data = _jpeg() if body == "jpeg" else b"<script>alert(1)</script>"
    before = service.audit_events()
    response = _put(service, "ingest", data, content_type, digest)
    assert response.status_code == status, response.text
    if message is not None:
        assert message in response.json()["detail"]
    assert list(service.store.blobs) == [] and service.audit_events() == before


def test_evidence_has_its_own_size_limit(service: Service) -> None:
    # the fixture caps JSON bodies at 64 KiB; evidence may be up to 64 MiB
    large = b"\xff\xd8\xff" + bytes(200 * 1024)
    assert _put(service, "ingest", large).status_code == 201
    too_big = _put(service, "ingest", b"\xff\xd8\xff" + bytes(64 * 1024 * 1024))
    assert too_big.status_code == 413 and "larger than 67108864 bytes" in too_big.json()["detail"]
    many = [finding(f"f{i}", text="长" * 2000) for i in range(40)]
    assert service.post("ingest", "/api/v1/findings", many).status_code == 413


def test_evidence_needs_an_ingest_or_admin_token(service: Service) -> None:
    picture = _jpeg()
    assert _put(service, None, picture).status_code == 401
    for reviewer in ("ana", "lin"):
        refused = _put(service, reviewer, picture)
        assert refused.status_code == 403 and "needs ingest or admin" in refused.json()["detail"]
        head = service.client.head(f"/api/v1/evidence/{hashlib.sha256(picture).hexdigest()}",
                                   headers=service.auth(reviewer))
        assert head.status_code == 403
    assert list(service.store.blobs) == []


def _ingest_with_evidence(service: Service) -> tuple[str, str]:
    snapshot, clip = _jpeg(), MP4
    for data, kind in ((snapshot, "image/jpeg"), (clip, "video/mp4")):
        assert _put(service, "ingest", data, kind).status_code == 201
    body = finding("f1")
    body["evidence"].update(snapshot_sha256=hashlib.sha256(snapshot).hexdigest(),
                            clip_sha256=hashlib.sha256(clip).hexdigest(), clip_start=5.0)
    bare = finding("f2", start=40.0)
    bare["evidence"].update(snapshot_sha256=None, clip_sha256=None)  # names no blob
    assert service.post("ingest", "/api/v1/findings", [body, bare]).status_code == 200
    return body["evidence"]["snapshot_sha256"], body["evidence"]["clip_sha256"]


@pytest.mark.parametrize(("key", "value"), [
    ("snapshot_sha256", "../../etc/passwd"), ("clip_sha256", "javascript:alert(1)"),
    ("snapshot_sha256", "A" * 64), ("clip_sha256", "0" * 63), ("snapshot_sha256", "0" * 65),
    ("clip_sha256", "0" * 63 + "g"), ("snapshot_sha256", 12), ("clip_sha256", ["0" * 64]),
])
def test_a_finding_naming_evidence_by_anything_but_a_sha256_is_422(service: Service, key: str, value: Any) -> None:
    body = finding("f1")
    body["evidence"][key] = value
    answer = service.post("ingest", "/api/v1/findings", [finding("f0"), body])
    assert answer.status_code == 422, answer.text
    (error,) = answer.json()["detail"]
    assert error["loc"] == ["body", 1, "evidence"]
    assert error["msg"] == f"Value error, evidence.{key} must be a sha256 as 64 lowercase hex digits, or null"
    assert str(value) not in answer.text  # hostile input is not echoed
    with service.store.session() as s:
        assert s.scalar(select(func.count()).select_from(IngestedFindingRow)) == 0  # the whole batch is refused


def test_audit_verify_checks_every_evidence_blob_a_finding_names(service: Service) -> None:
    snapshot, clip = _ingest_with_evidence(service)
    assert service.store.referenced_blobs() >= {snapshot, clip}  # `livemon store gc` keeps them
    intact = runner.invoke(cli, ["audit", "verify", *_where(service.store)])
    assert intact.exit_code == 0, intact.output
    assert "evidence intact: 2 blob(s) named by findings" in intact.output
    service.store.blobs.path(clip).unlink()
    service.store.blobs.path(snapshot).write_bytes(b"\xff\xd8\xff edited")
    broken = runner.invoke(cli, ["audit", "verify", *_where(service.store)])
    assert broken.exit_code == 1, broken.output
    text = " ".join(broken.output.split())
    assert f"evidence {clip} (the clip of finding f1) is missing" in text
    assert f"evidence {snapshot} (the snapshot of finding f1) was altered" in text
    assert "first broken entry" not in text  # the chain itself is intact
