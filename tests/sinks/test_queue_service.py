"""Posting findings to a livemon service over loopback: evidence by sha256 once, findings in batches, a spool
while the service cannot take them (sent on the next run), and only operator URLs of http or https."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from sqlalchemy import func, select

from monitor.errors import ConfigError
from monitor.service import create_app
from monitor.service.auth import create_token
from monitor.service.db import system_clock
from monitor.sinks import queue_service
from monitor.sinks.queue_service import QueueSink, QueueTarget, queue_target, spool_path
from monitor.store import Store
from monitor.store.queue_schema import AuditEventRow, IngestedFindingRow
from tests.service.live import closed_port, serving
from tests.service.queue_helpers import finding


@pytest.fixture(autouse=True)
def _quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queue_service, "RETRY_WAITS", (0.0,))


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[str, Store, dict[str, str]]]:
    with Store.open(tmp_path / "store") as store:
        with store.session() as s:
            tokens = {role: create_token(s, role, None, system_clock(), actor="test")[0]
                      for role in ("ingest", "reviewer")}
        with serving(create_app(store)) as url:
            yield url, store, tokens


def _jpeg(shade: int) -> bytes:
    ok, data = cv2.imencode(".jpg", np.full((16, 16, 3), shade, np.uint8))
    assert ok
    return np.asarray(data).tobytes()


def _ingested(store: Store) -> dict[str, dict[str, Any]]:
    with store.session() as s:
        return {fid: json.loads(body) for fid, body in s.execute(
            select(IngestedFindingRow.finding_id, IngestedFindingRow.body))}


def _stored_events(store: Store) -> int:
    with store.session() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEventRow)
                            .where(AuditEventRow.action == "evidence.stored")) or 0)


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/x", "file:///etc/passwd", "javascript:alert(1)",
                                 "127.0.0.1:8000", "http://user:pw@127.0.0.1:8000", "http://127.0.0.1:8000/?to=x"])
def test_only_an_http_or_https_service_address_is_taken(url: str) -> None:
    with pytest.raises(ConfigError, match="--to"):
        queue_target(url, "lm_x")


def test_the_target_needs_a_token_and_keeps_a_path_prefix() -> None:
    with pytest.raises(ConfigError, match="LIVEMON_TOKEN"):
        queue_target("http://127.0.0.1:8000", None)
    assert queue_target(None, None) is None
    target = queue_target("https://queue.example/livemon/", "lm_secret")
    assert target == QueueTarget("https://queue.example/livemon", "lm_secret") and "lm_secret" not in repr(target)
    assert spool_path(Path("out/findings.jsonl")) == Path("out/findings.pending.jsonl")


def test_findings_go_in_batches_with_their_evidence_uploaded_once(
    service: tuple[str, Store, dict[str, str]], tmp_path: Path
) -> None:
    url, store, tokens = service
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypisom" + bytes(100))
    shared = _jpeg(40)
    with QueueSink(QueueTarget(url, tokens["ingest"]), tmp_path / "f.pending.jsonl", batch=100) as sink:
        for i in range(250):
            record = finding(f"f{i}", start=float(i))
            record["evidence"].update(clip=str(clip), clip_start=float(i) - 5)
            sink.add(record, shared if i % 2 else _jpeg(i % 7 * 30))
    assert (sink.sent, sink.new, sink.duplicates, sink.pending) == (250, 250, 0, 0)
    ingested = _ingested(store)
    assert len(ingested) == 250
    f3 = ingested["f3"]["evidence"]
    assert f3["snapshot_sha256"] == hashlib.sha256(shared).hexdigest()
    assert f3["clip_sha256"] == hashlib.sha256(clip.read_bytes()).hexdigest() and f3["clip_start"] == -2.0
    assert store.blobs.get(f3["clip_sha256"]) == clip.read_bytes()
    assert _stored_events(store) == len(set(store.blobs)) == 1 + 1 + 7  # clip, shared picture, seven shades
    with QueueSink(QueueTarget(url, tokens["ingest"]), tmp_path / "f.pending.jsonl") as again:
        again.add(finding("f3"), shared)
    assert (again.new, again.duplicates) == (0, 1) and _stored_events(store) == 9


def test_a_down_service_spools_and_the_next_run_sends_the_spool_first(
    service: tuple[str, Store, dict[str, str]], tmp_path: Path
) -> None:
    url, store, tokens = service
    spool = tmp_path / "f.pending.jsonl"
    picture = tmp_path / "frame.jpg"
    picture.write_bytes(_jpeg(200))
    record = finding("late")
    record["evidence"]["snapshot"] = str(picture)
    with QueueSink(QueueTarget(closed_port(), tokens["ingest"]), spool) as down:
        down.add(record)
    assert down.sent == 0 and down.pending == 1 and "cannot reach" in (down.last_error or "")
    picture.unlink()  # the spool keeps its own copy of the evidence
    kept = json.loads(spool.read_text())
    assert kept["finding"]["id"] == "late" and (spool.parent / "f.pending_blobs" / kept["blobs"][0]["sha256"]).is_file()
    with QueueSink(QueueTarget(url, tokens["ingest"]), spool) as back:
        back.add(finding("next", start=90.0))
    assert back.pending == 0 and not spool.exists() and not (tmp_path / "f.pending_blobs").exists()
    late = _ingested(store)["late"]["evidence"]
    assert store.blobs.get(late["snapshot_sha256"]) == _jpeg(200) and set(_ingested(store)) == {"late", "next"}


def test_a_refused_token_spools_and_says_why_without_showing_the_token(
    service: tuple[str, Store, dict[str, str]], tmp_path: Path
) -> None:
    url, store, tokens = service
    with QueueSink(QueueTarget(url, tokens["reviewer"]), tmp_path / "f.pending.jsonl") as refused:
        refused.add(finding("f1"), _jpeg(10))
    error = refused.last_error or ""
    assert refused.pending == 1 and "403" in error and "needs ingest or admin" in error
    assert tokens["reviewer"] not in error and tokens["reviewer"] not in refused.spool.read_text()
    assert _ingested(store) == {}


def test_a_watch_batch_goes_out_after_its_wait_without_a_flush(
    service: tuple[str, Store, dict[str, str]], tmp_path: Path
) -> None:
    url, store, tokens = service
    with QueueSink(QueueTarget(url, tokens["ingest"]), tmp_path / "w.pending.jsonl", wait=0.05,
                   background=True) as sink:
        sink.add(finding("live"))
        deadline = time.monotonic() + 30
        while "live" not in _ingested(store) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert "live" in _ingested(store)  # sent by the sink's own timer, before close


def test_findings_the_service_fences_are_counted_and_not_kept_in_the_spool(
    service: tuple[str, Store, dict[str, str]], tmp_path: Path,
) -> None:
    """A `watch --from` worker's findings made after it lost its room are refused, not retried forever."""
    url, store, tokens = service
    lost = {"live": True, "lease": {"room": 7, "epoch": 3, "worker": "gone"}}  # a lease the service never granted
    spool = tmp_path / "out.pending.jsonl"
    with QueueSink(QueueTarget(url, tokens["ingest"]), spool) as sink:
        sink.add(finding("kept", stream="rtmp://cdn.example/live/a"))
        sink.add(finding("stale", stream="rtmp://cdn.example/live/a", start=50.0, provenance=lost,
                         wall_time="2026-03-02T09:00:00+00:00"))
    assert (sink.sent, sink.new, sink.fenced, sink.pending) == (2, 1, 1, 0)
    assert set(_ingested(store)) == {"kept"}
