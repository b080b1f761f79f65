"""Cut audio into speech chunks of at most 30 s (Whisper's window) with Silero VAD.

The VAD is faster-whisper's (``faster_whisper.vad``), imported only when used, so
the rest of this package runs where faster-whisper is not installed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from monitor.media.types import AudioPCM

__all__ = ["ChunkOptions", "SpeechChunk", "speech_chunks"]

WINDOW_S = 30.0


@dataclass(frozen=True, slots=True)
class ChunkOptions:
    """How audio is cut before decoding."""

    vad: bool = True
    """Silero VAD; off → fixed windows of ``max_chunk_s``."""
    max_chunk_s: float = WINDOW_S
    """Upper bound of one chunk (Whisper sees at most 30 s)."""
    min_silence_ms: int = 500
    """A pause this long ends an utterance."""
    speech_pad_ms: int = 200
    threshold: float = 0.5
    merge: bool = False
    """Join neighbouring utterances up to ``max_chunk_s``: fewer decoder calls, coarser segments."""


@dataclass(frozen=True, slots=True)
class SpeechChunk:
    """One span of speech in stream time (``audio.start`` added)."""

    start: float
    end: float
    samples: np.ndarray


def speech_chunks(audio: AudioPCM, options: ChunkOptions = ChunkOptions()) -> list[SpeechChunk]:
    """Speech spans of ``audio``, each at most ``options.max_chunk_s`` long."""
    if not 0 < options.max_chunk_s <= WINDOW_S:
        raise ValueError(f"max_chunk_s must be in (0, {WINDOW_S}], got {options.max_chunk_s}")
    rate = audio.sample_rate
    if audio.samples.size == 0:
        return []
    spans = _vad_spans(audio, options) if options.vad else [(0, audio.samples.size)]
    if options.merge:
        spans = _merge(spans, int(options.max_chunk_s * rate))
    limit = int(options.max_chunk_s * rate)
    chunks = []
    for a, b in spans:
        for s in range(a, b, limit):
            e = min(b, s + limit)
            chunks.append(SpeechChunk(audio.start + s / rate, audio.start + e / rate, audio.samples[s:e]))
    return chunks


def _vad_spans(audio: AudioPCM, options: ChunkOptions) -> list[tuple[int, int]]:
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    vad = VadOptions(
        threshold=options.threshold,
        min_silence_duration_ms=options.min_silence_ms,
        speech_pad_ms=options.speech_pad_ms,
        max_speech_duration_s=options.max_chunk_s,
    )
    return [(int(t["start"]), int(t["end"])) for t in get_speech_timestamps(audio.samples, vad, audio.sample_rate)]


def _merge(spans: list[tuple[int, int]], limit: int) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and b - merged[-1][0] <= limit:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged
