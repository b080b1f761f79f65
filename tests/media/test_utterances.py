"""A live room's audio is cut into utterances as they end, the same ones a whole-file VAD finds."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from monitor.demo.truth import StreamTruth
from monitor.media.decode import DecodeOptions, DecodeReport, iter_media, join_audio
from monitor.media.types import AudioPCM
from monitor.media.utterances import UtteranceCutter
from monitor.sources.open import open_source

RATE = 16_000


@pytest.fixture(scope="module")
def demo_audio(demo: tuple[Path, StreamTruth]) -> AudioPCM:
    with open_source(str(demo[0])) as container:
        items = iter_media(container, DecodeOptions(video=False), DecodeReport())
        chunks = [c for c in items if isinstance(c, AudioPCM)]
    return join_audio(chunks)


def _chunks(audio: AudioPCM, seconds: float) -> list[AudioPCM]:
    step = int(seconds * audio.sample_rate)
    return [
        AudioPCM(audio.samples[i : i + step], audio.sample_rate, start=audio.start + i / audio.sample_rate)
        for i in range(0, audio.samples.size, step)
    ]


def test_streamed_utterances_cover_every_spoken_beat(demo_audio: AudioPCM, demo: tuple[Path, StreamTruth]) -> None:
    cutter = UtteranceCutter()
    spans = []
    for chunk in _chunks(demo_audio, 0.1):
        ended = cutter.feed(chunk)
        assert not any(u.cut_off for u in ended), "an utterance that ended in the stream has all its words"
        spans += [(u.start, u.start + u.duration) for u in ended]
        assert cutter.buffered_seconds < 16.5, "held-back audio stays bounded"
    spans += [(u.start, u.start + u.duration) for u in cutter.flush()]
    assert spans == sorted(spans) and all(b[0] >= a[1] for a, b in pairwise(spans))
    assert all(end - start <= 15.5 for start, end in spans)
    for beat in demo[1].beats:
        if beat.speech_start is None or beat.speech_end is None:
            continue
        heard = sum(max(0.0, min(e, beat.speech_end) - max(s, beat.speech_start)) for s, e in spans)
        assert heard >= 0.9 * (beat.speech_end - beat.speech_start), f"beat {beat.index} ({beat.say}) not covered"


def test_chunk_size_does_not_change_the_cuts(demo_audio: AudioPCM) -> None:
    def cuts(seconds: float) -> list[float]:
        cutter = UtteranceCutter()
        ends = [u.start + u.duration for c in _chunks(demo_audio, seconds) for u in cutter.feed(c)]
        return ends + [u.start + u.duration for u in cutter.flush()]

    small, large = cuts(0.02), cuts(1.0)
    assert len(small) == len(large)
    assert np.allclose(small, large, atol=0.6)


def test_silence_gives_no_utterance_and_is_not_kept() -> None:
    cutter = UtteranceCutter()
    silence = AudioPCM(np.zeros(RATE * 60, np.float32), RATE)
    assert [u for c in _chunks(silence, 0.5) for u in cutter.feed(c)] == []
    assert cutter.buffered_seconds <= 1.0
    assert cutter.flush() == []


def test_speech_still_going_when_the_stream_ends_is_handed_out_cut_off(demo_audio: AudioPCM,
                                                                       demo: tuple[Path, StreamTruth]) -> None:
    beat = next(b for b in demo[1].beats if b.speech_start is not None and b.speech_end is not None
                and b.speech_end - b.speech_start > 2.0)
    assert beat.speech_start is not None and beat.speech_end is not None
    rate = demo_audio.sample_rate

    def flushed(until: float) -> list[bool]:
        cutter = UtteranceCutter()
        for chunk in _chunks(AudioPCM(demo_audio.samples[: round(until * rate)], rate), 0.1):
            cutter.feed(chunk)
        return [u.cut_off for u in cutter.flush()]

    assert flushed((beat.speech_start + beat.speech_end) / 2)[-1:] == [True], "the stream ended mid-utterance"


def test_other_sample_rates_are_refused() -> None:
    with pytest.raises(ValueError, match="16000 Hz"):
        UtteranceCutter().feed(AudioPCM(np.zeros(800, np.float32), 8_000))


def test_audio_missing_from_a_live_stream_ends_the_utterance_cut_off_and_keeps_later_ones_at_their_time(
    demo_audio: AudioPCM, demo: tuple[Path, StreamTruth],
) -> None:
    spoken = [b for b in demo[1].beats if b.speech_start is not None and b.speech_end is not None]
    beat = spoken[len(spoken) // 2]
    assert beat.speech_start is not None and beat.speech_end is not None
    cut_from = (beat.speech_start + beat.speech_end) / 2  # the stream skips 8 s from mid-utterance on
    back_at = cut_from + 8.0
    rate = demo_audio.sample_rate
    before = AudioPCM(demo_audio.samples[: round(cut_from * rate)], rate, start=0.0)
    after = AudioPCM(demo_audio.samples[round(back_at * rate):], rate, start=back_at)
    cutter = UtteranceCutter()
    chunks = _chunks(before, 0.1) + _chunks(after, 0.1)
    utterances = [u for c in chunks for u in cutter.feed(c)] + cutter.flush()
    spans = [(u.start, u.start + u.duration) for u in utterances]
    cut_off = [(u.start, u.start + u.duration) for u in utterances if u.cut_off]
    end_of_audio = back_at + after.duration
    assert [end for _, end in cut_off if end < end_of_audio - 1.0] == [pytest.approx(cut_from, abs=0.05)], (
        f"only the utterance the gap cut short is marked cut off: {cut_off}")
    assert all(end <= cut_from + 0.01 or start >= back_at - 0.01 for start, end in spans), (
        f"an utterance was joined across the gap at {cut_from:.1f}-{back_at:.1f} s: {spans}")
    assert any(end > cut_from - 1.0 for _, end in spans if end <= cut_from + 0.01), "the cut utterance was dropped"
    later = [b for b in spoken if b.speech_start is not None and b.speech_start > back_at + 1.0]
    assert later
    for b in later:  # each later beat's speech is heard at its own time, not 8 s early
        assert b.speech_start is not None and b.speech_end is not None
        heard = sum(max(0.0, min(e, b.speech_end) - max(s, b.speech_start)) for s, e in spans)
        assert heard >= 0.9 * (b.speech_end - b.speech_start), f"beat {b.index} heard at the wrong time: {spans}"
