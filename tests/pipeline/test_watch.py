"""`watch`: a file room and an HLS room on one set of models; planted claims found, a bad room reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.config import ScanOptions
from monitor.demo.bad_inputs import BadInputs
from monitor.demo.truth import StreamTruth
from monitor.pipeline.engines import Engines
from monitor.pipeline.watch import watch
from monitor.results import RoomState
from monitor.sinks.jsonl import FindingAppender

SLACK = 1.5


@pytest.fixture(scope="module")
def watched(
    demo: tuple[Path, StreamTruth],
    bad: BadInputs,
    options: ScanOptions,
    engines: Engines,
    hls_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[list[RoomState], list[dict]]:
    out = tmp_path_factory.mktemp("watch") / "findings.jsonl"
    rooms = [str(demo[0]), str(bad.random_bytes), hls_url]
    with FindingAppender(out) as sink:
        states = watch(rooms, options.model_copy(update={"faces": False}), engines, sink)
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
