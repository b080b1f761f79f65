"""Long audio transcribed in bounded chunks, cut at pauses, with stream times kept."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from monitor.media.types import SAMPLE_RATE, AudioPCM
from monitor.observations.chunked_asr import ChunkedTranscriber
from monitor.observations.types import TranscriptSegment


class _Recorder:
    """A fake recogniser: one segment per call spanning the clip; remembers what it was given."""

    name = "fake"

    def __init__(self) -> None:
        self.clips: list[AudioPCM] = []

    def transcribe(
        self, audio: AudioPCM, on_progress: Callable[[float], None] | None = None
    ) -> list[TranscriptSegment]:
        self.clips.append(audio)
        if on_progress is not None:
            on_progress(audio.duration)
        return [TranscriptSegment(audio.start, audio.start + audio.duration, f"clip {len(self.clips)}")]


def _speech_with_pauses(seconds: float, pause_every: float) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    voiced = (t % pause_every) < pause_every - 0.5  # a half-second pause at the end of every period
    return (0.3 * np.sin(2 * np.pi * 220 * t) * voiced).astype(np.float32)


def test_long_audio_is_cut_in_bounded_chunks_at_pauses_and_keeps_stream_time() -> None:
    samples = _speech_with_pauses(130.0, pause_every=7.0)
    asr, progress = _Recorder(), []
    chunked = ChunkedTranscriber(asr, chunk_seconds=30.0, search_seconds=8.0, on_progress=progress.append)
    for i in range(0, len(samples), 3_200):  # 0.2 s packets, as decoded
        chunked.feed(AudioPCM(samples[i : i + 3_200], start=100.0 + i / SAMPLE_RATE))
    segments = chunked.finish()
    assert all(clip.duration <= 30.0 for clip in asr.clips) and len(asr.clips) >= 5
    assert np.concatenate([c.samples for c in asr.clips]).tobytes() == samples.tobytes()  # nothing lost or repeated
    for clip in asr.clips[:-1]:  # every cut falls in a pause, not in a word
        end = round((clip.start - 100.0 + clip.duration) * SAMPLE_RATE)
        assert (end / SAMPLE_RATE) % 7.0 > 6.5
    assert segments[0].start == 100.0 and segments[-1].end == pytest.approx(230.0)
    assert [s.start for s in segments[1:]] == pytest.approx([s.end for s in segments[:-1]])
    assert progress[-1] == pytest.approx(130.0)


def test_audio_shorter_than_a_chunk_is_transcribed_whole() -> None:
    asr = _Recorder()
    chunked = ChunkedTranscriber(asr)
    clip = _speech_with_pauses(20.0, 7.0)
    chunked.feed(AudioPCM(clip, start=3.0))
    assert [s.text for s in chunked.finish()] == ["clip 1"] and asr.clips[0].duration == 20.0
