"""`livemon scan --to URL` against a real `livemon serve` app on 127.0.0.1: findings become cases with their
snapshot and a playable clip around them; a repost changes nothing; a down service leaves a spool (exit 1)
that `livemon push` delivers later."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import av
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from monitor.cli import app
from monitor.demo.bad_inputs import BadInputs
from monitor.demo.truth import StreamTruth
from monitor.service import create_app
from monitor.service.auth import create_token
from monitor.service.db import system_clock
from monitor.sinks import queue_service
from monitor.store import Store
from monitor.store.queue_schema import AuditEventRow, CaseFindingRow, CaseRow, IngestedFindingRow
from tests.service.live import closed_port, serving

runner = CliRunner()


def _ingest_token(store: Store) -> str:
    with store.session() as s:
        return create_token(s, "ingest", None, system_clock(), actor="test")[0]


def _counts(store: Store) -> tuple[int, int, int]:
    with store.session() as s:
        return tuple(int(s.scalar(select(func.count()).select_from(table)) or 0)  # type: ignore[return-value]
                     for table in (CaseRow, CaseFindingRow, AuditEventRow))


def _ingested(store: Store) -> dict[str, dict[str, Any]]:
    with store.session() as s:
        return {fid: json.loads(body) for fid, body in s.execute(
            select(IngestedFindingRow.finding_id, IngestedFindingRow.body))}


def _played(path: Path) -> tuple[set[str], float]:
    """The kinds of stream a player decodes from the clip, and its length in seconds."""
    with av.open(str(path)) as container:
        kinds = {type(frame).__name__ for frame in container.decode(*container.streams)}
        return kinds, container.duration / 1_000_000


def test_scan_posts_findings_with_their_snapshot_and_clip_and_a_repost_changes_nothing(
    demo: tuple[Path, StreamTruth], tmp_path: Path
) -> None:
    out = tmp_path / "findings.jsonl"
    with Store.open(tmp_path / "store") as store:
        token = _ingest_token(store)
        with serving(create_app(store)) as url:
            scanned = runner.invoke(app, ["scan", str(demo[0]), "--out", str(out), "--to", url],
                                    env={"LIVEMON_TOKEN": token})
            assert scanned.exit_code == 0, scanned.output
            records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
            assert len(records) >= 8 and f"{len(records)} finding(s) sent" in scanned.output
            assert not (tmp_path / "findings.pending.jsonl").exists()

            ingested = _ingested(store)
            assert set(ingested) == {r["id"] for r in records}
            cases, members, events = _counts(store)
            assert cases >= 1 and members == sum(r["risk"] != "pass" for r in records)
            for record in records:
                evidence = ingested[record["id"]]["evidence"]
                assert store.blobs.get(evidence["snapshot_sha256"]).startswith(b"\xff\xd8\xff")
                clip = store.blobs.path(evidence["clip_sha256"])
                assert clip.read_bytes() == Path(record["evidence"]["clip"]).read_bytes()  # the --out copy
                kinds, length = _played(clip)
                assert kinds == {"VideoFrame", "AudioFrame"} and length <= 10.5
                assert evidence["clip_start"] <= record["start"] < evidence["clip_start"] + length

            reposted = runner.invoke(app, ["push", str(out), "--to", url], env={"LIVEMON_TOKEN": token})
            assert reposted.exit_code == 0, reposted.output
            assert f"(0 new, {len(records)} already there)" in " ".join(reposted.output.split())
            assert _counts(store) == (cases, members, events) and _ingested(store) == ingested


def test_a_down_service_leaves_a_spool_and_exit_1_and_push_delivers_it_later(
    bad: BadInputs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queue_service, "RETRY_WAITS", (0.0,))
    out = tmp_path / "findings.jsonl"
    spool = tmp_path / "findings.pending.jsonl"
    down = runner.invoke(app, ["scan", str(bad.video_only), "--no-speech", "--out", str(out), "--to", closed_port()],
                         env={"LIVEMON_TOKEN": "lm_any"})
    assert down.exit_code == 1, down.output
    said = " ".join(down.output.split())
    assert "not sent: 1 finding(s) wait in" in said and str(spool) in said and "cannot reach" in said
    waiting = [json.loads(line) for line in spool.read_text(encoding="utf-8").splitlines()]
    assert [w["finding"]["category"] for w in waiting] == ["price_fraud"]
    assert {b["content_type"] for b in waiting[0]["blobs"]} == {"image/jpeg", "video/mp4"}

    with Store.open(tmp_path / "store") as store:
        token = _ingest_token(store)
        with serving(create_app(store)) as url:
            pushed = runner.invoke(app, ["push", str(spool), "--to", url], env={"LIVEMON_TOKEN": token})
        assert pushed.exit_code == 0, pushed.output
        assert not spool.exists() and not (tmp_path / "findings.pending_blobs").exists()
        evidence = _ingested(store)[waiting[0]["finding"]["id"]]["evidence"]
        kinds, _ = _played(store.blobs.path(evidence["clip_sha256"]))
        assert kinds == {"VideoFrame"} and store.blobs.get(evidence["snapshot_sha256"])
