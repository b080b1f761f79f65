"""Issue 2's acceptance: on the demo room every planted claim is found at its time, no clean beat is flagged."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import ScanOptions
from monitor.demo.truth import BeatTruth, StreamTruth
from monitor.findings import Finding
from monitor.pipeline.engines import Engines
from monitor.pipeline.scan import scan
from monitor.results import ScanResult

SLACK = 1.5  # seconds of tolerance around a beat for ASR segment edges and 1 s frame sampling


@pytest.fixture(scope="module")
def result(demo: tuple[Path, StreamTruth], options: ScanOptions, engines: Engines) -> ScanResult:
    return scan(str(demo[0]), options, engines)


def _overlaps(f: Finding, start: float, end: float) -> bool:
    return f.start < end + SLACK and f.end > start - SLACK


def _speech_window(beat: BeatTruth) -> tuple[float, float]:
    assert beat.speech_start is not None and beat.speech_end is not None
    return beat.speech_start, beat.speech_end


def test_every_planted_speech_claim_is_found_at_its_time(result: ScanResult, demo: tuple[Path, StreamTruth]) -> None:
    missed = []
    for beat in demo[1].speech_claims():
        start, end = _speech_window(beat)
        found = {f.category for f in result.findings if f.source == "speech" and _overlaps(f, start, end)}
        missed += [(beat.say, c) for c in beat.speech_labels if c not in found]
    assert not missed, f"missed speech claims: {missed}\ntranscript: {[s.text for s in result.transcript]}"


def test_every_planted_screen_claim_is_found_at_its_time(result: ScanResult, demo: tuple[Path, StreamTruth]) -> None:
    missed = []
    for beat in demo[1].screen_claims():
        found = {f.category for f in result.findings if f.source == "screen" and _overlaps(f, beat.start, beat.end)}
        missed += [(beat.screen, c) for c in beat.screen_labels if c not in found]
    assert not missed, f"missed screen claims: {missed}\nOCR: {sorted({f.text for f in result.frame_texts})}"


def test_no_clean_passage_is_flagged(result: ScanResult, demo: tuple[Path, StreamTruth]) -> None:
    truth = demo[1]
    false_alarms = []
    for f in result.findings:
        beats = [b for b in truth.beats if b.start <= (f.start + f.end) / 2 < b.end]
        labels = {c for b in beats for c in (b.speech_labels if f.source == "speech" else b.screen_labels)}
        near = [b for b in truth.beats if _overlaps(f, b.start, b.end)]
        near_labels = {c for b in near for c in (b.speech_labels if f.source == "speech" else b.screen_labels)}
        if f.category not in labels and f.category not in near_labels:
            false_alarms.append((f.start, f.source, f.category, f.text))
    assert not false_alarms, f"clean passages flagged: {false_alarms}"


def test_findings_carry_basis_evidence_and_snapshot(result: ScanResult) -> None:
    assert result.findings
    for f in result.findings:
        assert f.basis and f.rule and 0 < f.confidence <= 1 and f.end >= f.start
        assert f.evidence.snapshot in result.snapshots.images
    assert result.transcript and all("直播" not in s.raw_text or s.text for s in result.transcript)


def test_unchanged_captions_are_not_read_again(result: ScanResult) -> None:
    assert 0 < result.stats["ocr_frames"] < result.stats["sampled_frames"]
    assert any(f.reused for f in result.frame_texts)
