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

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from monitor.observations.speech_chunks import SpeechChunk

__all__ = ["ChunkDecodeOptions", "ChunkDecoder", "DecodedChunk", "TimedText"]

TIME_PER_TOKEN = 0.02
"""Seconds between Whisper's timestamp tokens."""
FRAMES_PER_SECOND = 100
"""Whisper's log-mel frames per second of audio."""


@dataclass(frozen=True, slots=True)
class ChunkDecodeOptions:
    """The window, the token budget, the unread tail that is decoded again, and Whisper's reliability tests."""

    window_s: float = 15.0
    """Chunks are padded to this (at most Whisper's 30 s); a shorter window costs the encoder less."""
    tokens_per_s: float = 12.0
    """New tokens allowed per second of chunk (Mandarin runs near 5 characters a second, plus timestamps)."""
    extra_tokens: int = 16
    tail_s: float = 1.0
    """An unread tail longer than this is decoded again."""
    no_speech_threshold: float = 0.6
    log_prob_threshold: float = -1.0
    compression_ratio_threshold: float = 2.4


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
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        self.model = model
        self.options = options
        self.beam_size = beam_size
        self.tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe",
                                   language=language)
        previous = self.tokenizer.encode(" " + prompt.strip()) if prompt else []
        self.prompt = model.get_prompt(self.tokenizer, previous, without_timestamps=False, hotwords=hotwords)
        self.suppress = get_suppressed_tokens(self.tokenizer, [-1])
        self.window_frames = min(round(options.window_s * FRAMES_PER_SECOND), model.feature_extractor.nb_max_frames)

    def budget(self, seconds: float) -> int:
        """New tokens allowed for a chunk of ``seconds``."""
        wanted = math.ceil(self.options.tokens_per_s * seconds) + self.options.extra_tokens
        return min(wanted, self.model.max_length - len(self.prompt))

    def decode(self, chunks: Sequence[SpeechChunk]) -> list[DecodedChunk]:
        """One result per chunk (each at most one window long)."""
        if not chunks:
            return []
        features = []
        for chunk in chunks:
            mel = self.model.feature_extractor(chunk.samples)[:, : self.window_frames]
            features.append(np.pad(mel, ((0, 0), (0, self.window_frames - mel.shape[1]))))
        budget = self.budget(max(c.duration for c in chunks))
        results = self.model.model.generate(
            self.model.encode(np.stack(features).astype(np.float32)),
            [list(self.prompt) for _ in chunks],
            beam_size=self.beam_size,
            max_length=len(self.prompt) + budget,
            suppress_blank=True,
            suppress_tokens=self.suppress,
            return_scores=True,
            return_no_speech_prob=True,
        )
        return [self._result(r, c, budget) for r, c in zip(results, chunks, strict=True)]

    def _result(self, result: Any, chunk: SpeechChunk, budget: int) -> DecodedChunk:
        from faster_whisper.transcribe import get_compression_ratio

        tokens = list(result.sequences_ids[0])
        segments, read_to = self._segments(tokens, chunk.duration)
        text = "".join(s.text for s in segments)
        avg_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1)
        o = self.options
        silent = avg_logprob < o.log_prob_threshold and result.no_speech_prob > o.no_speech_threshold
        reliable = silent or (
            len(tokens) < budget
            and avg_logprob >= o.log_prob_threshold
            and (not text or get_compression_ratio(text) <= o.compression_ratio_threshold)
        )
        return DecodedChunk(tuple(segments), float(avg_logprob), read_to, silent, reliable)

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
