"""A recording cut into decoder windows of speech (Silero VAD), each mapping its own time back to the stream's.

:func:`cut_speech` finds speech with Silero VAD (faster-whisper's), drops the silence between
utterances (a pad is kept on each side) and packs consecutive utterances into chunks of at most
one decoder window, cutting only between utterances (an utterance longer than the window is
split by the VAD at its last pause). A :class:`SpeechChunk` remembers which stretches of the
stream its samples came from, so a time inside the chunk maps back to stream time, and how long
the speaker paused between them, so a transcript can be cut into sentences at the long pauses.
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

    window_s: float = 15.0
    """Longest chunk (Whisper sees at most 30 s)."""
    min_silence_ms: int = 160
    """A pause this long ends an utterance (faster-whisper's batched pipeline uses 160 ms)."""
    min_fill: float = 0.8
    """A chunk is closed at the longest pause after it holds this share of the window."""
    speech_pad_ms: int = 200
    """Audio kept on each side of an utterance (faster-whisper's default is 400 ms; 200 ms read the claims
    room with fewer wrong flags and 8% less CPU, ``docs/batched-asr.md``)."""
    threshold: float = 0.5
    vad: bool = True
    """Off: the audio is cut into consecutive windows, silence and all."""


@dataclass(frozen=True, slots=True)
class SpeechChunk:
    """Samples for one decoder window and the stream-time spans they were taken from, in order."""

    samples: np.ndarray
    spans: tuple[tuple[float, float], ...]
    sample_rate: int = 16_000
    silences: tuple[float, ...] = ()
    """Seconds of silence the VAD heard between each two spans (empty: not known)."""

    def __post_init__(self) -> None:
        if not self.spans:
            raise ValueError("a SpeechChunk needs at least one span")
        if self.silences and len(self.silences) != len(self.spans) - 1:
            raise ValueError("a SpeechChunk needs one silence between each two spans")

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
        kept = i if first[1] > first[0] else i + 1
        spans = self.spans[kept:] if kept > i else (first, *self.spans[i + 1 :])
        if not spans:
            return None
        return SpeechChunk(self.samples[at:], spans, self.sample_rate, self.silences[kept:] if self.silences else ())

    def pauses(self, longer_than: float = 0.0) -> list[float]:
        """Chunk times between two of its speech spans where the VAD heard at least ``longer_than`` s of silence."""
        silences = self.silences or (0.0,) * (len(self.spans) - 1)
        return [t for t, silence in zip(self._offsets()[1:], silences, strict=True) if silence >= longer_than]

    def _offsets(self) -> list[float]:
        """Chunk time at which each span begins."""
        offsets, at = [], 0.0
        for start, end in self.spans:
            offsets.append(at)
            at += end - start
        return offsets


def _speech_spans(audio: AudioPCM, options: CutOptions) -> tuple[list[tuple[int, int]], list[float]]:
    """Padded speech spans (sample indices, disjoint, in order) and the silence (s) between each two."""
    if not options.vad:
        step = int(options.window_s * audio.sample_rate)
        windows = [(a, min(a + step, audio.samples.size)) for a in range(0, audio.samples.size, step)]
        return windows, [0.0] * (len(windows) - 1)
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    rate = audio.sample_rate
    pad = round(options.speech_pad_ms * rate / 1000)
    vad = VadOptions(
        threshold=options.threshold,
        min_silence_duration_ms=options.min_silence_ms,
        speech_pad_ms=0,
        max_speech_duration_s=max(1.0, options.window_s - 2 * options.speech_pad_ms / 1000),
    )
    raw = [(int(t["start"]), int(t["end"])) for t in get_speech_timestamps(audio.samples, vad, rate)]
    spans: list[tuple[int, int]] = []
    silences: list[float] = []
    for i, (a, b) in enumerate(raw):  # pad each side; where two pads would overlap they meet halfway
        before = raw[i - 1][1] if i else None
        after = raw[i + 1][0] if i + 1 < len(raw) else None
        start = max(0, a - pad) if before is None else max(a - pad, (before + a) // 2)
        end = min(audio.samples.size, b + pad) if after is None else min(b + pad, (b + after) // 2)
        if before is not None:
            silences.append((a - before) / rate)
        spans.append((max(start, spans[-1][1]) if spans else start, end))
    return spans, silences


def _best_cut(
    current: list[int], following: int, spans: list[tuple[int, int]], silences: list[float], min_samples: int
) -> int:
    """How many of the ``current`` spans to close a chunk with: at the longest pause once the chunk
    holds ``min_samples``, so sentences stay whole (the last pause that fits, when none does)."""
    best, best_silence, length = len(current), -1.0, 0
    for k, j in enumerate(current, 1):
        length += spans[j][1] - spans[j][0]
        after = current[k] if k < len(current) else following
        if length >= min_samples and silences[after - 1] >= best_silence:
            best, best_silence = k, silences[after - 1]
    return best


def cut_speech(audio: AudioPCM, options: CutOptions = CutOptions()) -> list[SpeechChunk]:
    """Speech of ``audio`` packed into chunks of at most ``options.window_s`` seconds, in stream order."""
    if audio.samples.size == 0:
        return []
    rate = audio.sample_rate
    limit = int(options.window_s * rate)
    spans, silences = _speech_spans(audio, options)
    groups: list[list[int]] = []
    current: list[int] = []
    for i, (a, b) in enumerate(spans):
        while current and sum(spans[j][1] - spans[j][0] for j in current) + (b - a) > limit:
            k = _best_cut(current, i, spans, silences, int(options.min_fill * limit))
            groups.append(current[:k])
            current = current[k:]
        current.append(i)
    if current:
        groups.append(current)
    chunks = []
    for group in groups:
        picked = [(spans[i][0], min(spans[i][1], spans[i][0] + limit)) for i in group]
        samples = np.concatenate([audio.samples[a:b] for a, b in picked])
        times = tuple((audio.start + a / rate, audio.start + b / rate) for a, b in picked)
        chunks.append(SpeechChunk(samples, times, rate, tuple(silences[i] for i in group[:-1])))
    return chunks
