"""`watch`: a file room and an HLS room on one set of models; planted claims found, a bad room reported;
the rooms' records kept in a store and rescanned from it without their streams."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import monitor.pipeline.rescan as rescan_module
from monitor.config import ScanOptions
from monitor.demo.bad_inputs import BadInputs
from monitor.demo.truth import StreamTruth
from monitor.pipeline.engines import Engines
from monitor.pipeline.rescan import rescan
from monitor.pipeline.watch import watch
from monitor.results import RoomState
from monitor.sinks.jsonl import FindingAppender
from monitor.sources.batch import BatchSource
from monitor.store import Store

SLACK = 1.5


@pytest.fixture(scope="module")
def watch_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("watch")


@pytest.fixture(scope="module")
def watched(
    demo: tuple[Path, StreamTruth],
    bad: BadInputs,
    options: ScanOptions,
    engines: Engines,
    hls_url: str,
    watch_folder: Path,
) -> tuple[list[RoomState], list[dict]]:
    folder = watch_folder
    out = folder / "findings.jsonl"
    rooms = [str(demo[0]), str(bad.random_bytes), hls_url]
    with FindingAppender(out) as sink, Store.open(folder / "store") as store:
        states = watch(rooms, options.model_copy(update={"faces": False}), engines, sink, store=store)
    return states, [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def _found(records: list[dict], room: str, source: str, start: float, end: float) -> set[str]:
    return {
        r["category"] for r in records
        if r["evidence"]["snapshot"] and Path(r["evidence"]["snapshot"]).name.startswith(room)
        and r["source"] == source and r["start"] < end + SLACK and r["end"] > start - SLACK
    }


def test_every_planted_claim_is_found_in_every_good_room(
    watched: tuple[list[RoomState], list[dict]], demo: tuple[Path, StreamTruth]
) -> None:
    states, records = watched
    truth = demo[1]
    for room in ("room0_", "room2_"):
        missed = [
            (b.say, c) for b in truth.speech_claims() for c in b.speech_labels
            if c not in _found(records, room, "speech", b.speech_start or b.start, b.speech_end or b.end)
        ]
        missed += [
            (b.screen, c) for b in truth.screen_claims() for c in b.screen_labels
            if c not in _found(records, room, "screen", b.start, b.end)
        ]
        assert not missed, f"{room} missed {missed}"
    assert states[0].findings == states[2].findings == len(records) // 2


def test_a_bad_room_is_reported_and_the_others_go_on(watched: tuple[list[RoomState], list[dict]]) -> None:
    states, _ = watched
    assert states[1].error and "cannot read this file as media" in states[1].error
    assert all(s.finished for s in states)
    assert states[0].error is None and states[0].utterances >= 10 and states[0].frames >= 60
    assert states[0].latency(0.95) is not None


def test_each_finding_is_written_once_with_its_snapshot(watched: tuple[list[RoomState], list[dict]]) -> None:
    _, records = watched
    keys = [(r["evidence"]["snapshot"], r["category"], r["start"], r["source"]) for r in records]
    assert len(keys) == len(set(keys))
    assert all(Path(r["evidence"]["snapshot"]).is_file() for r in records)


def test_watched_rooms_are_rescanned_from_their_stored_records_without_streams_or_models(
    watched: tuple[list[RoomState], list[dict]], watch_folder: Path, options: ScanOptions, engines: Engines,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, records = watched
    folder = watch_folder
    monkeypatch.setattr(rescan_module, "build_engines", lambda *a, **k: pytest.fail("a model was loaded"))
    with Store.open(folder / "store") as store:
        stored = store.stored_sources()
        assert len(stored) == 2  # the file room and the HLS room; the bad room never opened
        assert all(len(body) for key, _ in stored for body in [store.current_findings(key)])
        items = [BatchSource(spec, stored_key=key) for key, spec in stored]
        found: list[dict] = []
        summary = rescan(items, options.model_copy(update={"faces": False}), store,
                         lambda spec, fs: found.extend(r for r, _ in fs), claims=engines.claims)
        assert [(i.status, i.made) for i in summary.items] == [("skipped", ())] * 2  # done by the watch itself
        assert sorted(r["id"] for r in found) == sorted(r["id"] for r in records)

        strict = options.model_copy(update={"faces": False, "min_confidence": 0.9})
        fewer: list[dict] = []
        again = rescan(items, strict, store, lambda spec, fs: fewer.extend(r for r, _ in fs), claims=engines.claims)
        assert [(i.status, i.made) for i in again.items] == [("done", ())] * 2  # detectors only, on the records
        assert 0 < len(fewer) < len(found) and all(r["confidence"] >= 0.9 for r in fewer)
