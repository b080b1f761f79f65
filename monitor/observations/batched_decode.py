"""Speech chunks of a recording decoded together on faster-whisper's model, with Whisper's own segment times.

faster-whisper's ``transcribe`` reads a recording one 30 s window at a time. Its
``BatchedInferencePipeline`` decodes several VAD-cut windows in one call, but keeps only the
segments Whisper emits before it stops: when Whisper closes a window early (it does, often
after a long first segment), the rest of that window is never read. On the demo room this
drops a planted medical claim.

:class:`ChunkDecoder` decodes a batch of :class:`~monitor.observations.speech_chunks.SpeechChunk`
the same way (one encoder pass, ``generate`` with timestamp tokens, greedy by default, livemon's
initial prompt), under a token budget that grows with the chunk's length, and splits each
result into Whisper's timed segments. When Whisper stopped more than ``tail_s`` before the
end of a chunk, the unread tail is handed back to be decoded in a later batch, as
``transcribe`` would seek to it. Results that Whisper's own tests call unreliable
(compression ratio, mean log-probability, the budget used up) are marked for the caller
to read again the ordinary way, with temperature fallback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from monitor.observations.speech_chunks import SpeechChunk
from monitor.observations.whisper_batch import DecodeOptions, WindowBatch

__all__ = ["ChunkDecodeOptions", "ChunkDecoder", "DecodedChunk", "TimedText"]

TIME_PER_TOKEN = 0.02
"""Seconds between Whisper's timestamp tokens."""


@dataclass(frozen=True, slots=True)
class ChunkDecodeOptions(DecodeOptions):
    """The window, the token budget, Whisper's reliability tests, and the unread tail that is decoded again."""

    tail_s: float = 1.0
    """An unread tail longer than this is decoded again."""


@dataclass(frozen=True, slots=True)
class TimedText:
    """One of Whisper's segments, in seconds from the start of its chunk."""

    start: float
    end: float
    text: str


@dataclass(frozen=True, slots=True)
class DecodedChunk:
    """One chunk's greedy decode."""

    segments: tuple[TimedText, ...]
    avg_logprob: float
    read_to: float
    """Chunk time up to which Whisper read (its last timestamp)."""
    silent: bool
    reliable: bool


class ChunkDecoder:
    """Timestamped decoding of many speech chunks at once on one ``faster_whisper.WhisperModel``
    (greedy unless ``beam_size`` > 1)."""

    def __init__(
        self,
        model: Any,
        language: str,
        prompt: str | None,
        options: ChunkDecodeOptions = ChunkDecodeOptions(),
        beam_size: int = 1,
        hotwords: str | None = None,
    ) -> None:
        self.options = options
        self.beam_size = beam_size
        self.batch = WindowBatch(model, language, prompt, options, timestamps=True, hotwords=hotwords)
        self.tokenizer = self.batch.tokenizer

    def budget(self, seconds: float) -> int:
        """New tokens allowed for a chunk of ``seconds``."""
        return self.batch.budget(seconds)

    def decode(self, chunks: Sequence[SpeechChunk]) -> list[DecodedChunk]:
        """One result per chunk (each at most one window long)."""
        if not chunks:
            return []
        seconds = max(c.duration for c in chunks)
        results, budget = self.batch.generate([c.samples for c in chunks], seconds, self.beam_size)
        return [self._result(r, c, budget) for r, c in zip(results, chunks, strict=True)]

    def _result(self, result: Any, chunk: SpeechChunk, budget: int) -> DecodedChunk:
        segments, read_to = self._segments(list(result.sequences_ids[0]), chunk.duration)
        verdict = self.batch.verdict(result, "".join(s.text for s in segments), budget)
        return DecodedChunk(tuple(segments), verdict.avg_logprob, read_to, verdict.silent, verdict.reliable)

    def _segments(self, tokens: list[int], duration: float) -> tuple[list[TimedText], float]:
        """Whisper's segments between its timestamp tokens, and the chunk time it read up to."""
        first_stamp = self.tokenizer.timestamp_begin
        segments: list[TimedText] = []
        start = read_to = 0.0
        text: list[int] = []
        for token in tokens:
            if token >= first_stamp:
                stamp = min((token - first_stamp) * TIME_PER_TOKEN, duration)
                if text:
                    segments.append(TimedText(start, max(stamp, start), self.tokenizer.decode(text).strip()))
                    text = []
                start = read_to = max(read_to, stamp)
            elif token < self.tokenizer.eot:
                text.append(token)
        if text:  # text after the last timestamp: Whisper read to the end of the chunk
            segments.append(TimedText(start, duration, self.tokenizer.decode(text).strip()))
            read_to = duration
        return [s for s in segments if s.text], read_to
