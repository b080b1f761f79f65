"""`rescan` through the store: the same findings as a fresh scan, stages made only when their options change,
detector-only changes answered from the stored record, bad sources recorded as failed, a killed rescan resumed."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from monitor.config import ScanOptions
from monitor.demo.bad_inputs import BadInputs
from monitor.demo.truth import StreamTruth
from monitor.pipeline.engines import Engines
from monitor.pipeline.rescan import rescan
from monitor.pipeline.scan import scan
from monitor.results import RescanSummary
from monitor.sources.batch import BatchSource
from monitor.store import Store
from monitor.store.schema import SourceRow, SourceRunRow


def _collect() -> tuple[list[dict[str, Any]], Any]:
    written: list[dict[str, Any]] = []

    def sink(spec: str, findings: Any) -> None:
        written.extend(record for record, _ in findings)

    return written, sink


def _run(store: Store, specs: list[str], options: ScanOptions, engines: Engines) -> tuple[RescanSummary, list[dict]]:
    written, sink = _collect()
    summary = rescan([BatchSource(s) for s in specs], options, store, sink, claims=engines.claims, engines=engines)
    return summary, written


def _without_provenance(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "provenance"} for r in records]


def test_a_rescan_finds_what_a_fresh_scan_finds_and_reuses_its_stages(
    store: Store, demo: tuple[Path, StreamTruth], engines: Engines, options: ScanOptions
) -> None:
    video = str(demo[0])
    fresh = [f.to_dict() for f in scan(video, options, engines).findings]
    summary, written = _run(store, [video], options, engines)
    assert [(i.status, i.made) for i in summary.items] == [("done", ("screen", "speech"))]
    assert written == fresh and len(fresh) >= 8
    assert all(f["id"] and f["provenance"]["rules"] for f in written)

    again, rewritten = _run(store, [video], options, engines)
    assert [(i.status, i.made) for i in again.items] == [("skipped", ())]  # already done under these settings
    assert rewritten == fresh

    stricter = options.model_copy(update={"min_confidence": 0.8, "dh_gap": 3.0})
    rules_only, kept = _run(store, [video], stricter, engines)
    assert [(i.status, i.made) for i in rules_only.items] == [("done", ())]  # detectors only: nothing observed
    expected = [f.to_dict() for f in scan(video, stricter, engines).findings]
    assert kept == expected and 0 < len(kept) < len(fresh)


def test_a_scan_kept_in_the_store_is_found_by_the_next_rescan(
    store: Store, demo: tuple[Path, StreamTruth], engines: Engines, options: ScanOptions
) -> None:
    video = str(demo[0])
    scanned = [f.to_dict() for f in scan(video, options, engines, store=store).findings]
    again, written = _run(store, [video], options, engines)
    assert [(i.status, i.made) for i in again.items] == [("skipped", ())]  # the scan's record and findings
    assert written == scanned and len(scanned) >= 8

    stricter = options.model_copy(update={"min_confidence": 0.8})
    rules_only, kept = _run(store, [video], stricter, engines)
    assert [(i.status, i.made) for i in rules_only.items] == [("done", ())]  # nothing decoded or heard again
    strong = [f for f in scanned if f["confidence"] >= 0.8]
    assert kept and _without_provenance(kept) == _without_provenance(strong)
    assert all(f["evidence"]["snapshot"] for f in kept if f["source"] == "screen")


def _allow_list(folder: Path) -> Path:
    path = folder / "allow.txt"
    path.write_text("直播价\n", encoding="utf-8")
    return path


CHANGES = {
    "asr decoding": (lambda options, folder: options.model_copy(update={"beam_size": 2}), ("speech",)),
    "frame interval": (lambda options, folder: options.model_copy(update={"frame_interval": 2.0}), ("screen",)),
    "allow-list": (lambda options, folder: options.model_copy(update={"allow_list": _allow_list(folder)}), ()),
    "vertical": (lambda options, folder: options.model_copy(update={"vertical": "tea"}), ("speech",)),
}


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_only_the_stage_whose_options_changed_is_made_again(
    tmp_path: Path, bad: BadInputs, engines: Engines, options: ScanOptions, change: str
) -> None:
    make_options, made = CHANGES[change]
    with Store.open(tmp_path / "store") as store:
        first, _ = _run(store, [str(bad.silent_mp4)], options, engines)
        assert [(i.status, i.made) for i in first.items] == [("done", ("screen", "speech"))]
        second, _ = _run(store, [str(bad.silent_mp4)], make_options(options, tmp_path), engines)
        assert [(i.status, i.made) for i in second.items] == [("done", made)]


def test_bad_sources_are_recorded_as_failed_and_the_others_go_on(
    store: Store, bad: BadInputs, engines: Engines, options: ScanOptions, tmp_path: Path
) -> None:
    specs = [str(bad.empty), str(tmp_path / "missing.mp4"), str(bad.truncated), str(bad.video_only)]
    summary, written = _run(store, specs, options, engines)
    assert [i.status for i in summary.items] == ["failed", "failed", "failed", "done"]
    assert "empty (0 bytes)" in (summary.items[0].error or "") and "no such file" in (summary.items[1].error or "")
    assert {r["category"] for r in written} == {"price_fraud"}
    with store.session() as session:
        rows = session.execute(select(SourceRow.spec, SourceRunRow.status, SourceRunRow.error).join(SourceRunRow)).all()
    assert sorted((Path(spec).name, status) for spec, status, _ in rows) == [
        ("empty.mp4", "failed"), ("truncated.mp4", "failed"), ("video_only.mp4", "done")
    ]


def test_a_killed_rescan_resumes_without_redoing_or_duplicating(
    tmp_path: Path, bad: BadInputs, demo: tuple[Path, StreamTruth]
) -> None:
    """As a user would: `livemon rescan` killed with SIGKILL after its first source, then started again."""
    folder = tmp_path / "recordings"
    folder.mkdir()
    for source in (bad.video_only, demo[0], bad.audio_only):
        (folder / source.name).write_bytes(source.read_bytes())
    command = [sys.executable, "-m", "monitor.cli", "rescan", str(folder), "--store", str(tmp_path / "store"),
               "--out", str(tmp_path / "findings.jsonl"), "--no-faces"]
    env = {**os.environ, "COLUMNS": "200"}
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    database = tmp_path / "store" / "livemon.db"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        if database.exists() and _done(database) >= 1:
            break
        time.sleep(0.2)
    assert process.poll() is None, "the rescan ended before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    finished_before = _done(database)
    assert 1 <= finished_before < 3

    second = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert second.returncode == 0, second.stdout + second.stderr
    assert second.stdout.count("skipped") + second.stderr.count("skipped") == finished_before
    assert _done(database) == 3
    lines = [json.loads(line) for line in (tmp_path / "findings.jsonl").read_text(encoding="utf-8").splitlines()]
    ids = [line["id"] for line in lines]
    assert len(ids) == len(set(ids)) and len(ids) >= 8  # every finding once
    with sqlite3.connect(database) as db:
        assert db.execute("select count(*) from findings where superseded_at is null").fetchone()[0] == len(ids)
        assert db.execute("select count(*) from stage_records").fetchone()[0] == 6  # each stage of each source once


def _done(database: Path) -> int:
    try:
        with sqlite3.connect(database, timeout=5) as db:
            return int(db.execute("select count(*) from source_runs where status = 'done'").fetchone()[0])
    except sqlite3.OperationalError:  # tables not made yet
        return 0


def test_findings_name_the_prompt_their_speech_was_read_with_and_a_stored_rescan_keeps_it(
    tmp_path: Path, bad: BadInputs, engines: Engines, options: ScanOptions
) -> None:
    meta = tmp_path / "room.json"
    meta.write_text('{"room_id": "r1", "vertical": "茶叶"}', encoding="utf-8")
    audio = str(bad.audio_only)
    with Store.open(tmp_path / "store") as store:
        scanned = scan(audio, options.model_copy(update={"room_meta": meta}), engines, store=store).findings
        assert scanned and {(f.provenance["asr_prompt"], f.provenance["vertical"]) for f in scanned} == {
            ("tea@1", "tea")}
        written, sink = _collect()
        stored = [BatchSource(spec, stored_key=key) for key, spec in store.stored_sources()]
        summary = rescan(stored, options.model_copy(update={"min_confidence": 0.01}), store, sink,
                         claims=engines.claims, engines=engines)
        assert [(i.status, i.made) for i in summary.items] == [("done", ())]  # nothing transcribed again
        assert written and {f["provenance"]["asr_prompt"] for f in written} == {"tea@1"}

        plain, kept = _run(store, [audio], options, engines)  # no vertical now: the default prompt's record
        assert [(i.status, i.made) for i in plain.items] == [("done", ("speech",))]
        assert {f["provenance"]["asr_prompt"] for f in kept} == {"default@1"}
