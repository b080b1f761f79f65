"""`watch` of a two-voice room: its spoken findings name their speaker turn like `scan`'s, a finding's
text is the host's words alone, a claim spoken over by the co-host is noted, and the stored live
record keeps the turns so a rescan cuts its lines the same way."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from monitor.config import ScanOptions
from monitor.detectors.marketing import OVERLAP_NOTE
from monitor.pipeline.engines import Engines
from monitor.pipeline.rescan import rescan
from monitor.pipeline.watch import watch
from monitor.sinks.jsonl import FindingAppender
from monitor.sources.batch import BatchSource
from monitor.store import Store
from tests.observations.speaker_audio import (
    COHOST_LINE,
    COHOST_VOICE,
    HOST_CLAIM,
    HOST_VOICE,
    adjacent,
    overlapping,
    voiced,
    write_wav,
)
from tests.pipeline.test_scan_speaker_turns import COHOST_WORDS, needs_encoder

pytestmark = needs_encoder


@pytest.fixture(scope="module")
def two_voices() -> tuple[np.ndarray, np.ndarray]:
    return voiced(HOST_CLAIM, HOST_VOICE), voiced(COHOST_LINE, COHOST_VOICE)


def _watched(path: Path, options: ScanOptions, engines: Engines, store: Store | None = None) -> list[dict]:
    out = path.with_suffix(".jsonl")
    with FindingAppender(out) as sink:
        states = watch([str(path)], options.model_copy(update={"faces": False, "screen": False}), engines, sink,
                       store=store)
    assert states[0].error is None
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def _speech(found: list[dict]) -> list[dict]:
    return [f for f in found if f["source"] == "speech"]


def test_live_findings_carry_their_turn_and_hold_only_the_hosts_words(
    tmp_path: Path, engines: Engines, options: ScanOptions, two_voices: tuple[np.ndarray, np.ndarray]
) -> None:
    audio, host_end = adjacent(*two_voices)
    found = _speech(_watched(write_wav(tmp_path / "adjacent.wav", audio), options, engines))
    assert found, "the host's claim was not found"
    for finding in found:
        signals = finding["evidence"]["signals"]
        assert {"speaker_turn", "speaker", "overlapped"} <= signals.keys(), signals
        assert signals["overlapped"] is False
        assert not any(word in finding["text"] for word in COHOST_WORDS), f"the co-host's words in {finding['text']!r}"
        assert finding["end"] <= host_end + 0.6


def test_a_live_claim_spoken_over_by_the_cohost_is_noted(
    tmp_path: Path, engines: Engines, options: ScanOptions, two_voices: tuple[np.ndarray, np.ndarray]
) -> None:
    audio, (begin, end) = overlapping(*two_voices)
    found = _speech(_watched(write_wav(tmp_path / "overlap.wav", audio), options, engines))
    over = [f for f in found if f["evidence"]["signals"].get("overlapped")]
    assert over, f"no finding noted as spoken over: {[(f['start'], f['end'], f['evidence']['signals']) for f in found]}"
    assert all(f["start"] < end and f["end"] > begin for f in over)
    assert all(f["evidence"]["signals"]["overlap_note"] == OVERLAP_NOTE for f in over)
    assert all(f["evidence"]["signals"]["overlap_seconds"] > 0 for f in over)


def test_watch_without_speaker_turns_leaves_lines_whole(
    tmp_path: Path, engines: Engines, options: ScanOptions, two_voices: tuple[np.ndarray, np.ndarray]
) -> None:
    audio, _ = adjacent(*two_voices)
    off = options.model_copy(update={"speaker_turns": False})
    found = _speech(_watched(write_wav(tmp_path / "adjacent.wav", audio), off, replace(engines, speakers=None)))
    assert found and all("speaker_turn" not in f["evidence"]["signals"] for f in found)


def test_the_stored_live_record_keeps_its_turns_for_rescan(
    tmp_path: Path, engines: Engines, options: ScanOptions, two_voices: tuple[np.ndarray, np.ndarray]
) -> None:
    audio, _ = adjacent(*two_voices)
    path = write_wav(tmp_path / "adjacent.wav", audio)
    with Store.open(tmp_path / "store") as store:
        live = _speech(_watched(path, options, engines, store))
        [(key, spec)] = store.stored_sources()
        written: list[dict] = []
        stricter = options.model_copy(update={"min_confidence": 0.01, "faces": False, "screen": False})
        summary = rescan([BatchSource(spec, stored_key=key)], stricter, store,
                         lambda _s, found: written.extend(r for r, _ in found), claims=engines.claims)
    assert [i.made for i in summary.items] == [()], "a detector-only rescan made a stage again"
    again = _speech(written)
    assert again, "the rescan of the stored live record found nothing"
    assert sorted(f["text"] for f in again) == sorted(f["text"] for f in live)
    assert all("speaker_turn" in f["evidence"]["signals"] for f in again), "the stored live record kept no turns"
