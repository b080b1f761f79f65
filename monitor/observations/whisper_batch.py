"""What livemon's two batched decoders share on one ``faster_whisper.WhisperModel``.

:class:`~monitor.observations.batched_decode.ChunkDecoder` (a scan's speech chunks, with timestamps)
and :class:`~monitor.observations.utterance_decode.UtteranceDecoder` (live utterances, without)
both pad each clip's log-mel frames to a short window, encode the clips together, decode them
with livemon's initial prompt under a token budget that grows with the longest clip, and mark a
result unreliable by Whisper's own tests (the budget used up, mean log-probability, compression
ratio) so the caller reads it again the ordinary way, with temperature fallback.
:class:`WindowBatch` is that set-up and call; :class:`DecodeOptions` its settings.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["FRAMES_PER_SECOND", "DecodeOptions", "Verdict", "WindowBatch"]

FRAMES_PER_SECOND = 100
"""Whisper's log-mel frames per second of audio (hop of 160 samples at 16 kHz)."""


@dataclass(frozen=True, slots=True)
class DecodeOptions:
    """The window, the token budget and Whisper's reliability tests."""

    window_s: float = 15.0
    """Clips are padded to this (at most Whisper's 30 s); a shorter window costs the encoder less."""
    tokens_per_s: float = 12.0
    """New tokens allowed per second of the longest clip (Mandarin runs near 5 characters a second)."""
    extra_tokens: int = 16
    no_speech_threshold: float = 0.6
    log_prob_threshold: float = -1.0
    compression_ratio_threshold: float = 2.4


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whisper's tests on one decode."""

    avg_logprob: float
    silent: bool
    """Whisper's rule for a window with no speech: likely no speech and a low-probability decode."""
    reliable: bool
    """False when Whisper's tests say to decode again the ordinary way (with temperature fallback)."""


class WindowBatch:
    """Tokenizer, prompt and suppressed tokens for one language and prompt, and the batched call."""

    def __init__(
        self,
        model: Any,
        language: str,
        prompt: str | None,
        options: DecodeOptions,
        *,
        timestamps: bool,
        hotwords: str | None = None,
    ) -> None:
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        self.model = model
        self.options = options
        self.tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe",
                                   language=language)
        previous = self.tokenizer.encode(" " + prompt.strip()) if prompt else []
        self.prompt = model.get_prompt(self.tokenizer, previous, without_timestamps=not timestamps, hotwords=hotwords)
        self.suppress = get_suppressed_tokens(self.tokenizer, [-1])
        self.window_frames = min(round(options.window_s * FRAMES_PER_SECOND), model.feature_extractor.nb_max_frames)

    def budget(self, seconds: float) -> int:
        """New tokens allowed for a clip of ``seconds``."""
        wanted = math.ceil(self.options.tokens_per_s * seconds) + self.options.extra_tokens
        return min(wanted, self.model.max_length - len(self.prompt))

    def generate(self, clips: Sequence[np.ndarray], seconds: float, beam_size: int = 1) -> tuple[list[Any], int]:
        """CTranslate2's results for the clips (16 kHz float32, each padded to the window) decoded together,
        and the token budget they had (that of ``seconds``, the longest clip)."""
        features = []
        for samples in clips:
            mel = self.model.feature_extractor(samples)[:, : self.window_frames]
            features.append(np.pad(mel, ((0, 0), (0, self.window_frames - mel.shape[1]))))
        budget = self.budget(seconds)
        results = self.model.model.generate(
            self.model.encode(np.stack(features).astype(np.float32)),
            [list(self.prompt) for _ in clips],
            beam_size=beam_size,
            max_length=len(self.prompt) + budget,
            suppress_blank=True,
            suppress_tokens=self.suppress,
            return_scores=True,
            return_no_speech_prob=True,
        )
        return list(results), budget

    def verdict(self, result: Any, text: str, budget: int) -> Verdict:
        """Whisper's tests on one result whose text is ``text``."""
        from faster_whisper.transcribe import get_compression_ratio

        tokens = len(result.sequences_ids[0])
        avg_logprob = result.scores[0] * tokens / (tokens + 1)
        o = self.options
        silent = avg_logprob < o.log_prob_threshold and result.no_speech_prob > o.no_speech_threshold
        reliable = silent or (
            tokens < budget
            and avg_logprob >= o.log_prob_threshold
            and (not text or get_compression_ratio(text) <= o.compression_ratio_threshold)
        )
        return Verdict(float(avg_logprob), bool(silent), bool(reliable))
