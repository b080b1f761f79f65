"""Speech chunks map their own time back to the stream's; sentences are timed at the pauses."""

from __future__ import annotations

import numpy as np
import pytest

from monitor.media.types import SAMPLE_RATE, AudioPCM
from monitor.observations.sentences import split_sentences
from monitor.observations.speech_chunks import CutOptions, SpeechChunk, cut_speech


def _chunk(*spans: tuple[float, float]) -> SpeechChunk:
    seconds = sum(b - a for a, b in spans)
    return SpeechChunk(np.zeros(round(seconds * SAMPLE_RATE), np.float32), spans)


def test_chunk_time_maps_to_stream_time_across_dropped_pauses() -> None:
    chunk = _chunk((10.0, 12.0), (15.0, 18.0))  # 5 s of samples; 12..15 was silence
    assert chunk.start == 10.0 and chunk.end == 18.0 and chunk.duration == pytest.approx(5.0)
    assert chunk.to_stream(1.0) == pytest.approx(11.0)
    assert chunk.to_stream(3.0) == pytest.approx(16.0)
    assert chunk.to_stream(2.0) == pytest.approx(15.0)  # a start on the cut: the next span
    assert chunk.to_stream(2.0, end=True) == pytest.approx(12.0)  # an end on the cut: the previous span
    assert chunk.to_stream(99.0) == pytest.approx(18.0)
    assert chunk.pauses() == pytest.approx([2.0])


def test_the_unread_tail_keeps_its_stream_times() -> None:
    chunk = _chunk((10.0, 12.0), (15.0, 18.0))
    tail = chunk.tail(2.5)
    assert tail is not None
    assert len(tail.spans) == 1 and tail.spans[0] == pytest.approx((15.5, 18.0))
    assert tail.duration == pytest.approx(2.5) and tail.to_stream(1.0) == pytest.approx(16.5)
    early = chunk.tail(1.0)
    assert early is not None and early.spans[0] == pytest.approx((11.0, 12.0)) and early.spans[1] == (15.0, 18.0)
    assert chunk.tail(5.0) is None


def test_without_vad_audio_is_cut_into_consecutive_windows() -> None:
    audio = AudioPCM(np.zeros(40 * SAMPLE_RATE, np.float32), start=100.0)
    chunks = cut_speech(audio, CutOptions(window_s=15.0, vad=False))
    assert [c.spans for c in chunks] == [((100.0, 115.0),), ((115.0, 130.0),), ((130.0, 140.0),)]


def test_speech_is_packed_into_windows_cut_between_utterances(mandarin_sentences: list[np.ndarray]) -> None:
    pause = np.zeros(SAMPLE_RATE, np.float32)
    samples = np.concatenate([pause, *(x for s in mandarin_sentences * 3 for x in (s, pause))])
    chunks = cut_speech(AudioPCM(samples, start=5.0), CutOptions(window_s=15.0))
    assert len(chunks) >= 3 and all(c.duration <= 15.0 for c in chunks)
    assert all(a.end <= b.start for a, b in zip(chunks, chunks[1:], strict=False))  # in order, no overlap
    kept = sum(c.duration for c in chunks)
    assert kept < samples.size / SAMPLE_RATE  # some of the pauses were dropped
    for chunk in chunks:  # every chunk's samples are the stream's samples at its spans
        pieces = [samples[round((a - 5.0) * SAMPLE_RATE) : round((b - 5.0) * SAMPLE_RATE)] for a, b in chunk.spans]
        assert np.concatenate(pieces).size == pytest.approx(chunk.samples.size, abs=len(chunk.spans))


def test_a_segment_is_split_at_sentence_ends_and_each_cut_moves_to_the_nearest_pause() -> None:
    text = "家人们晚上好。今天只要九十九！快去下单吧"
    parts = split_sentences(10.0, 20.0, text, pauses=[13.9, 16.2, 30.0])
    assert [p[2] for p in parts] == ["家人们晚上好。", "今天只要九十九！", "快去下单吧"]
    # even-rate estimates: 10 + 10*6/18 = 13.33 (the pause at 13.9 is within 1 s: taken) and
    # 10 + 10*13/18 = 17.22 (the pause at 16.2 is 1.02 s away: the estimate stays)
    assert [round(p[0], 2) for p in parts] == [10.0, 13.9, 17.22]
    assert [round(p[1], 2) for p in parts] == [13.9, 17.22, 20.0]


def test_one_sentence_is_left_whole() -> None:
    assert split_sentences(1.0, 4.0, " 原价五百九十九 ", pauses=[2.0]) == [(1.0, 4.0, "原价五百九十九")]
    assert split_sentences(1.0, 4.0, "  ") == []
