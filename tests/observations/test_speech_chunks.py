"""Speech chunks map their own time back to the stream's; sentences are timed at the pauses."""

from __future__ import annotations

import numpy as np
import pytest

from monitor.media.types import SAMPLE_RATE, AudioPCM
from monitor.observations.sentences import split_at_pauses
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


def test_a_segment_is_cut_where_a_sentence_pause_meets_a_punctuation_mark() -> None:
    text = "家人们晚上好，今天只要九十九。快去下单吧，链接在下面"
    # spoken characters 5 + 7 + 4 + 5 = 21 over 10 s: the marks fall at 2.38, 5.71 and 7.62 s
    parts = split_at_pauses(10.0, 20.0, text, pauses=[12.9, 16.2, 19.9])
    assert [p[2] for p in parts] == ["家人们晚上好，", "今天只要九十九。", "快去下单吧，链接在下面"]
    assert [(p[0], p[1]) for p in parts] == [(10.0, 12.9), (12.9, 16.2), (16.2, 20.0)]  # 19.9: no mark near


def test_a_full_stop_without_a_pause_and_a_pause_without_a_mark_cut_nothing() -> None:
    assert split_at_pauses(1.0, 5.0, "这个护肤品。是诺贝尔奖得主研发的", pauses=[]) == [
        (1.0, 5.0, "这个护肤品。是诺贝尔奖得主研发的")]
    assert split_at_pauses(1.0, 5.0, "原价五百九十九今天只要五十九", pauses=[3.0]) == [
        (1.0, 5.0, "原价五百九十九今天只要五十九")]
    assert split_at_pauses(1.0, 4.0, "  ", pauses=[2.0]) == []


def test_a_broken_comma_is_a_mark_too() -> None:
    parts = split_at_pauses(0.0, 6.0, "能治疗各种慢性病４外面卖的都是假的", pauses=[3.1])
    assert [p[2] for p in parts] == ["能治疗各种慢性病４", "外面卖的都是假的"]


def test_chunks_know_how_long_each_pause_was(mandarin_sentences: list[np.ndarray]) -> None:
    long, short = np.zeros(SAMPLE_RATE, np.float32), np.zeros(SAMPLE_RATE // 5, np.float32)
    first, second, third = mandarin_sentences
    chunks = cut_speech(AudioPCM(np.concatenate([long, first, long, second, short, third, long])),
                        CutOptions(window_s=30.0))
    assert len(chunks) == 1 and len(chunks[0].silences) == len(chunks[0].spans) - 1
    sentence_pauses = chunks[0].pauses(longer_than=0.8)
    assert len(sentence_pauses) == 1  # 1 s of silence after the first sentence, 0.2 s after the second
    # in chunk time, after the first sentence and its pads (the chunk starts 0.4 s before the speech)
    assert abs(sentence_pauses[0] - (first.size / SAMPLE_RATE + 0.8)) < 0.5


def test_a_full_chunk_is_closed_at_its_longest_late_pause() -> None:
    from monitor.observations.speech_chunks import _best_cut

    spans = [(0, 40), (40, 80), (80, 90), (90, 95), (95, 100)]  # lengths 40, 40, 10, 5, 5
    silences = [0.3, 0.2, 0.9, 0.25]  # between spans 0|1, 1|2, 2|3, 3|4
    # 80 of 100 samples: the cut may fall after span 1 (80), 2 (90) or 3 (95); the pause after span 2 is longest
    assert _best_cut([0, 1, 2, 3], 4, spans, silences, min_samples=80) == 3
    # nothing long enough yet: close with every span that fits
    assert _best_cut([0, 1], 2, spans, silences, min_samples=95) == 2
