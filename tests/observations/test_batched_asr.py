"""The batched scan reader on the demo room: every planted claim found, at the plain reader's times, no speech lost."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from monitor.config import load_options
from monitor.demo.truth import BeatTruth, StreamTruth
from monitor.detectors.marketing import speech_findings
from monitor.findings import Finding
from monitor.media.decode import DecodeOptions, DecodeReport, iter_media
from monitor.media.types import SAMPLE_RATE, AudioPCM
from monitor.observations.asr import FasterWhisperAsr
from monitor.observations.chunked_asr import ChunkedTranscriber
from monitor.observations.types import TranscriptSegment
from monitor.pipeline.engines import Engines

SLACK = 1.5
"""Seconds around a beat for segment edges (as the demo-scan acceptance test)."""
TOLERANCE = 2.0
"""How far a batched finding's start and end may sit from the plain reader's (unless nearer the truth)."""


@pytest.fixture(scope="module")
def demo_audio(demo: tuple[Path, StreamTruth]) -> AudioPCM:
    with av.open(str(demo[0])) as container:
        decoded = iter_media(container, DecodeOptions(video=False), DecodeReport())
        return AudioPCM(np.concatenate([c.samples for c in decoded if isinstance(c, AudioPCM)]))


@pytest.fixture(scope="module")
def plain(engines: Engines) -> FasterWhisperAsr:
    assert isinstance(engines.asr, FasterWhisperAsr)
    return engines.asr.sharing_model(batch_size=0)


def _as_scan(asr: FasterWhisperAsr, audio: AudioPCM) -> list[TranscriptSegment]:
    """Fed a second at a time, as a scan feeds decoded audio."""
    transcriber = ChunkedTranscriber(asr)
    for at in range(0, audio.samples.size, SAMPLE_RATE):
        transcriber.feed(AudioPCM(audio.samples[at : at + SAMPLE_RATE], start=at / SAMPLE_RATE))
    return transcriber.finish()


@pytest.fixture(scope="module")
def batched_segments(plain: FasterWhisperAsr, demo_audio: AudioPCM) -> list[TranscriptSegment]:
    return _as_scan(plain.sharing_model(batch_size=8), demo_audio)


def _near(f: Finding, beat: BeatTruth) -> bool:
    assert beat.speech_start is not None and beat.speech_end is not None
    return f.start < beat.speech_end + SLACK and f.end > beat.speech_start - SLACK


def test_the_default_scan_engine_batches(engines: Engines) -> None:
    assert isinstance(engines.asr, FasterWhisperAsr) and engines.asr.batch_size == load_options().asr_batch_size >= 1


def test_every_planted_claim_is_found_within_the_tolerance_of_the_plain_path(
    demo: tuple[Path, StreamTruth], engines: Engines, plain: FasterWhisperAsr, demo_audio: AudioPCM,
    batched_segments: list[TranscriptSegment],
) -> None:
    batched = speech_findings(batched_segments, engines.claims)
    before = speech_findings(_as_scan(plain, demo_audio), engines.claims)
    for beat in demo[1].speech_claims():
        for category in beat.speech_labels:
            ours = [f for f in batched if f.category == category and _near(f, beat)]
            theirs = [f for f in before if f.category == category and _near(f, beat)]
            assert ours, f"batched path missed {category} in {beat.say!r}: {[s.text for s in batched_segments]}"
            if theirs:  # each edge near the plain path's, or nearer the beat's own edge than the plain path's
                for mine, plains, truth in ((ours[0].start, theirs[0].start, beat.speech_start),
                                            (ours[0].end, theirs[0].end, beat.speech_end)):
                    assert truth is not None
                    assert abs(mine - plains) <= TOLERANCE or abs(mine - truth) <= abs(plains - truth), (
                        beat.say, ours[0], theirs[0])


def test_segments_are_sentences_timed_at_their_beats(
    demo: tuple[Path, StreamTruth], batched_segments: list[TranscriptSegment]
) -> None:
    beats = [b for b in demo[1].beats if b.speech_start is not None]
    starts = np.array([s.start for s in batched_segments])
    on_time = [b for b in beats if np.min(np.abs(starts - b.speech_start)) <= 1.0]
    assert len(on_time) >= 0.8 * len(beats), [(s.start, s.end, s.text) for s in batched_segments]
    assert all(s.end - s.start <= 10.0 for s in batched_segments)


@pytest.mark.parametrize("window", [15.0, 30.0])
def test_no_beat_goes_unread_where_whisper_closes_a_window_early(
    demo: tuple[Path, StreamTruth], plain: FasterWhisperAsr, demo_audio: AudioPCM, window: float
) -> None:
    """faster-whisper's batched pipeline reads nothing of the demo between 23.5 s and 29.5 s (30 s
    windows): Whisper closes the first window early. The unread tail is decoded again here."""
    segments = plain.sharing_model(batch_size=4, window_s=window).transcribe(demo_audio)
    for beat in demo[1].beats:
        if beat.speech_start is None or beat.speech_end is None:
            continue
        heard = [s for s in segments if s.start < beat.speech_end - 0.3 and s.end > beat.speech_start + 0.3]
        assert heard, f"nothing heard of {beat.say!r}: {[(s.start, s.end, s.text) for s in segments]}"


def test_timestamp_tokens_become_timed_segments_and_say_how_far_whisper_read(plain: FasterWhisperAsr) -> None:
    decoder = plain.sharing_model(batch_size=8).chunks
    tok = decoder.tokenizer
    stamp = lambda seconds: tok.timestamp_begin + round(seconds / 0.02)  # noqa: E731
    first, second = tok.encode("家人们晚上好。"), tok.encode("今天只要九十九")
    closed = [stamp(0.0), *first, stamp(2.4), stamp(2.4), *second, stamp(5.0), tok.eot]
    segments, read_to = decoder._segments(closed, duration=14.0)
    assert [(s.start, s.end, s.text) for s in segments] == [(0.0, 2.4, "家人们晚上好。"), (2.4, 5.0, "今天只要九十九")]
    assert read_to == 5.0  # the rest of the 14 s chunk is handed back to be read again
    open_ended = [stamp(0.0), *first, stamp(2.4), *second, tok.eot]
    segments, read_to = decoder._segments(open_ended, duration=6.0)
    assert segments[-1].end == 6.0 and read_to == 6.0
