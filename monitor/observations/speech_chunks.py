"""A recording cut into decoder windows of speech (Silero VAD), each mapping its own time back to the stream's.

:func:`cut_speech` finds speech with Silero VAD (faster-whisper's), drops the silence between
utterances (a pad is kept on each side) and packs consecutive utterances into chunks of at most
one Whisper window, cutting only between utterances (an utterance longer than the window is
split by the VAD at its longest pause). A :class:`SpeechChunk` remembers which stretches of the
stream its samples came from, so a time inside the chunk maps back to stream time.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

from monitor.media.types import AudioPCM

__all__ = ["CutOptions", "SpeechChunk", "cut_speech"]


@dataclass(frozen=True, slots=True)
class CutOptions:
    """How speech is found and packed."""

    window_s: float = 30.0
    """Longest chunk (Whisper sees at most 30 s)."""
    min_silence_ms: int = 160
    """A pause this long ends an utterance (faster-whisper's batched pipeline uses 160 ms)."""
    speech_pad_ms: int = 400
    """Audio kept on each side of an utterance."""
    threshold: float = 0.5
    vad: bool = True
    """Off: the audio is cut into consecutive windows, silence and all."""


@dataclass(frozen=True, slots=True)
class SpeechChunk:
    """Samples for one decoder window and the stream-time spans they were taken from, in order."""

    samples: np.ndarray
    spans: tuple[tuple[float, float], ...]
    sample_rate: int = 16_000

    def __post_init__(self) -> None:
        if not self.spans:
            raise ValueError("a SpeechChunk needs at least one span")

    @property
    def start(self) -> float:
        return self.spans[0][0]

    @property
    def end(self) -> float:
        return self.spans[-1][1]

    @property
    def duration(self) -> float:
        return self.samples.size / self.sample_rate

    def to_stream(self, t: float, *, end: bool = False) -> float:
        """Stream time of ``t`` seconds into the chunk; at a dropped pause, the next span's start
        (or with ``end``, the previous span's end)."""
        t = min(max(t, 0.0), self.duration)
        offsets = self._offsets()
        i = max(0, (bisect.bisect_left if end else bisect.bisect_right)(offsets, t) - 1)
        span_start, span_end = self.spans[i]
        return min(span_start + t - offsets[i], span_end)

    def tail(self, t: float) -> SpeechChunk | None:
        """The part of the chunk after ``t`` seconds into it (None when nothing is left)."""
        at = round(min(max(t, 0.0), self.duration) * self.sample_rate)
        if at >= self.samples.size:
            return None
        offsets = self._offsets()
        i = max(0, bisect.bisect_right(offsets, t) - 1)
        first = (self.spans[i][0] + max(0.0, t - offsets[i]), self.spans[i][1])
        spans = ((first,) if first[1] > first[0] else ()) + self.spans[i + 1 :]
        if not spans:
            return None
        return SpeechChunk(self.samples[at:], spans, self.sample_rate)

    def pauses(self) -> list[float]:
        """Chunk times between two of its speech spans (where the VAD heard a pause)."""
        return self._offsets()[1:]

    def _offsets(self) -> list[float]:
        """Chunk time at which each span begins."""
        offsets, at = [], 0.0
        for start, end in self.spans:
            offsets.append(at)
            at += end - start
        return offsets


def _speech_spans(audio: AudioPCM, options: CutOptions) -> list[tuple[int, int]]:
    if not options.vad:
        step = int(options.window_s * audio.sample_rate)
        return [(a, min(a + step, audio.samples.size)) for a in range(0, audio.samples.size, step)]
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    vad = VadOptions(
        threshold=options.threshold,
        min_silence_duration_ms=options.min_silence_ms,
        speech_pad_ms=options.speech_pad_ms,
        max_speech_duration_s=options.window_s,
    )
    spans = [(int(t["start"]), int(t["end"])) for t in get_speech_timestamps(audio.samples, vad, audio.sample_rate)]
    disjoint: list[tuple[int, int]] = []
    for a, b in spans:  # pads of neighbouring utterances can overlap: each sample goes to one span
        a = max(a, disjoint[-1][1]) if disjoint else a
        if b > a:
            disjoint.append((a, b))
    return disjoint


def cut_speech(audio: AudioPCM, options: CutOptions = CutOptions()) -> list[SpeechChunk]:
    """Speech of ``audio`` packed into chunks of at most ``options.window_s`` seconds, in stream order."""
    if audio.samples.size == 0:
        return []
    rate = audio.sample_rate
    limit = int(options.window_s * rate)
    groups: list[list[tuple[int, int]]] = []
    length = 0
    for a, b in _speech_spans(audio, options):
        b = min(b, a + limit)  # the VAD already splits longer speech; this only guards rounding
        if groups and length + (b - a) <= limit:
            groups[-1].append((a, b))
            length += b - a
        else:
            groups.append([(a, b)])
            length = b - a
    chunks = []
    for group in groups:
        samples = np.concatenate([audio.samples[a:b] for a, b in group])
        spans = tuple((audio.start + a / rate, audio.start + b / rate) for a, b in group)
        chunks.append(SpeechChunk(samples, spans, rate))
    return chunks
