"""A scan of a two-voice room: a finding's text is the host's turn alone, and talk over the host is noted."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from monitor.config import ScanOptions, load_options
from monitor.detectors.marketing import OVERLAP_NOTE
from monitor.pipeline.engines import Engines
from monitor.pipeline.scan import scan
from monitor.pipeline.stage_keys import live_stage_key, stage_key
from monitor.results import ScanResult
from monitor.sinks.html_report import write_report
from monitor.sinks.jsonl import write_jsonl
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

COHOST_WORDS = ("成分表", "详情", "下单")
"""Words only the co-host says (as Whisper base writes them)."""

needs_encoder = pytest.mark.skipif(
    importlib.util.find_spec("resemblyzer") is None,
    reason="speaker turns need the Resemblyzer wheel's weights (setup.sh installs it)",
)


@pytest.fixture(scope="module")
def two_voices() -> tuple[np.ndarray, np.ndarray]:
    return voiced(HOST_CLAIM, HOST_VOICE), voiced(COHOST_LINE, COHOST_VOICE)


def _speech(result: ScanResult) -> list:
    return [f for f in result.findings if f.source == "speech"]


@needs_encoder
def test_a_finding_next_to_a_cohost_line_holds_only_the_hosts_words(
    tmp_path: Path, engines: Engines, options: ScanOptions, two_voices: tuple[np.ndarray, np.ndarray]
) -> None:
    audio, host_end = adjacent(*two_voices)
    result = scan(str(write_wav(tmp_path / "adjacent.wav", audio)), options, engines)
    turns = result.record.head.speech.turns if result.record is not None and result.record.head.speech else None
    assert turns is not None and turns.speakers == 2
    found = _speech(result)
    assert found, "the host's claim was not found"
    for finding in found:
        assert not any(word in finding.text for word in COHOST_WORDS), f"the co-host's words in {finding.text!r}"
        assert finding.end <= host_end + 0.6
        assert finding.evidence.signals["speaker"] == turns.turns[0].speaker
        assert finding.evidence.signals["overlapped"] is False


@needs_encoder
def test_a_claim_spoken_over_by_the_cohost_is_noted_in_jsonl_and_report(
    tmp_path: Path, engines: Engines, options: ScanOptions, two_voices: tuple[np.ndarray, np.ndarray]
) -> None:
    audio, (begin, end) = overlapping(*two_voices)
    result = scan(str(write_wav(tmp_path / "overlap.wav", audio)), options, engines)
    found = _speech(result)
    over = [f for f in found if f.evidence.signals.get("overlapped")]
    assert over, f"no finding noted as spoken over: {[(f.start, f.end, f.evidence.signals) for f in found]}"
    assert all(f.start < end and f.end > begin for f in over)
    assert all(f.evidence.signals["overlap_note"] == OVERLAP_NOTE for f in over)
    assert not any(word in f.text for f in found for word in COHOST_WORDS)
    write_jsonl(result.findings, tmp_path / "findings.jsonl")
    lines = [json.loads(line) for line in (tmp_path / "findings.jsonl").read_text(encoding="utf-8").splitlines()]
    notes = [line["evidence"]["signals"].get("overlap_note") for line in lines]
    assert "抢话/叠音 spoken over another voice" in notes
    write_report(result, tmp_path / "report.html")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert '<b class="overlap">抢话/叠音 spoken over another voice</b>' in html
    assert "轮次 turn #" in html


@needs_encoder
def test_turns_off_keeps_whisper_lines_as_they_are(
    tmp_path: Path, options: ScanOptions, engines: Engines, two_voices: tuple[np.ndarray, np.ndarray]
) -> None:
    off = options.model_copy(update={"speaker_turns": False})
    from dataclasses import replace

    audio, _ = adjacent(*two_voices)
    result = scan(str(write_wav(tmp_path / "adjacent.wav", audio)), off, replace(engines, speakers=None))
    assert result.record is not None and result.record.head.speech is not None
    assert result.record.head.speech.turns is None
    assert all("speaker_turn" not in f.evidence.signals for f in result.findings)


def test_speaker_turns_are_in_the_speech_key_only_when_on() -> None:
    on, off = load_options(), load_options(speaker_turns=False)
    assert stage_key("speech", on) != stage_key("speech", off)
    assert stage_key("screen", on) == stage_key("screen", off)
    assert live_stage_key("speech", on) == live_stage_key("speech", off), "a live record is keyed by its capture"
    # records made before speaker turns (no such option) are found again with turns off
    from monitor.pipeline import stage_keys

    chosen = {name: getattr(off, name) for name in stage_keys.STAGE_OPTIONS["speech"] if name != "speaker_turns"}
    before = stage_keys._hash({"stage": "speech", "version": stage_keys.STAGE_VERSIONS["speech"], "options": chosen})
    assert stage_key("speech", off) == before


@needs_encoder
def test_a_rules_only_rescan_cuts_lines_from_the_stored_turns(
    tmp_path: Path, engines: Engines, options: ScanOptions, two_voices: tuple[np.ndarray, np.ndarray]
) -> None:
    from monitor.pipeline.rescan import rescan
    from monitor.sources.batch import BatchSource
    from monitor.store import Store

    audio, _ = adjacent(*two_voices)
    spec = str(write_wav(tmp_path / "adjacent.wav", audio))
    with Store.open(tmp_path / "store") as store:
        scanned = [f.to_dict() for f in scan(spec, options, engines, store=store).findings]
        written: list[dict] = []
        stricter = options.model_copy(update={"min_confidence": 0.01})
        summary = rescan([BatchSource(spec)], stricter, store, lambda _s, found: written.extend(r for r, _ in found),
                         claims=engines.claims, engines=engines)
    assert summary.items[0].made == (), "a detector-only change made a stage again"
    assert [(f["text"], f["evidence"]["signals"]["speaker_turn"]) for f in written] == [
        (f["text"], f["evidence"]["signals"]["speaker_turn"]) for f in scanned
    ]
    assert written and not any(word in f["text"] for f in written for word in COHOST_WORDS)
