"""Live utterances through faster-whisper's model in one short-window batch.

``WhisperModel.transcribe`` pads every input to Whisper's 30 s window, so a 4 s utterance
pays for a 30 s encoder pass (1.0 s of the 1.4 s it takes with base on two cores). The
CTranslate2 encoder takes shorter inputs, but Whisper given little more than the speech
hallucinates (a first trial: CER 3.0 unpadded, 0.78 padded to 5 s). Padded to 15 s, 80
TTS-voiced test sentences of the claims corpus (3.6 s mean) read at CER 0.286 against 0.272
through ``transcribe``, 2.1x faster (10 s: 0.288, 2.9x; 20 s: 0.285, 1.7x;
``python -m benchmarks.speed.asr_window``, ``benchmarks/results/asr_window.md``).

:class:`UtteranceDecoder` pads every clip of a batch to the window, encodes them
together, decodes greedily without timestamps under a token budget that grows with the
clip's length (a looping decode cannot run away), and hands back one result per clip.
Results that look unreliable by Whisper's own tests (compression ratio, mean log-probability,
the budget used up) are marked for the caller to redo the ordinary way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["DecodedUtterance", "UtteranceDecodeOptions", "UtteranceDecoder"]

FRAMES_PER_SECOND = 100
"""Whisper's log-mel frames per second of audio (hop of 160 samples at 16 kHz)."""


@dataclass(frozen=True, slots=True)
class UtteranceDecodeOptions:
    """The window, the token budget and Whisper's reliability tests."""

    window_s: float = 15.0
    """Clips are padded to this; longer clips are not taken."""
    tokens_per_s: float = 12.0
    """Budget of new tokens per second of the longest clip (Mandarin speech runs near 5 characters a second)."""
    extra_tokens: int = 10
    no_speech_threshold: float = 0.6
    log_prob_threshold: float = -1.0
    compression_ratio_threshold: float = 2.4


@dataclass(frozen=True, slots=True)
class DecodedUtterance:
    """One clip's greedy decode."""

    text: str
    avg_logprob: float
    no_speech_prob: float
    silent: bool
    """Whisper's rule for a window with no speech: likely no speech and a low-probability decode."""
    reliable: bool
    """False when Whisper's tests say to decode again the ordinary way (with temperature fallback)."""


class UtteranceDecoder:
    """Greedy short-window decoding of many clips at once on one ``faster_whisper.WhisperModel``."""

    def __init__(
        self,
        model: Any,
        language: str,
        prompt: str | None,
        options: UtteranceDecodeOptions = UtteranceDecodeOptions(),
        hotwords: str | None = None,
    ) -> None:
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        self.model = model
        self.options = options
        multilingual = model.model.is_multilingual
        self.tokenizer = Tokenizer(model.hf_tokenizer, multilingual, task="transcribe", language=language)
        self.prompt_text = prompt
        previous = self.tokenizer.encode(" " + prompt.strip()) if prompt else []
        self.prompt = model.get_prompt(self.tokenizer, previous, without_timestamps=True, hotwords=hotwords)
        self.suppress = get_suppressed_tokens(self.tokenizer, [-1])
        self.window_frames = round(options.window_s * FRAMES_PER_SECOND)

    def fits(self, samples: np.ndarray, sample_rate: int) -> bool:
        """True when a clip is short enough for the window."""
        return samples.size / sample_rate <= self.options.window_s

    def budget(self, seconds: float) -> int:
        """New tokens allowed for a clip of ``seconds``."""
        wanted = math.ceil(self.options.tokens_per_s * seconds) + self.options.extra_tokens
        return min(wanted, self.model.max_length - len(self.prompt))

    def decode(self, clips: Sequence[np.ndarray], sample_rate: int = 16_000) -> list[DecodedUtterance]:
        """One result per clip (16 kHz float32, each at most ``window_s`` long)."""
        if not clips:
            return []
        features = []
        for samples in clips:
            if not self.fits(samples, sample_rate):
                seconds = samples.size / sample_rate
                raise ValueError(f"a clip of {seconds:.1f} s does not fit the {self.options.window_s} s window")
            mel = self.model.feature_extractor(samples)[:, : self.window_frames]
            features.append(np.pad(mel, ((0, 0), (0, self.window_frames - mel.shape[1]))))
        budget = self.budget(max(c.size for c in clips) / sample_rate)
        results = self.model.model.generate(
            self.model.encode(np.stack(features).astype(np.float32)),
            [list(self.prompt) for _ in clips],
            beam_size=1,
            max_length=len(self.prompt) + budget,
            suppress_blank=True,
            suppress_tokens=self.suppress,
            return_scores=True,
            return_no_speech_prob=True,
        )
        return [self._result(r, budget) for r in results]

    def _result(self, result: Any, budget: int) -> DecodedUtterance:
        from faster_whisper.transcribe import get_compression_ratio

        tokens = [t for t in result.sequences_ids[0] if t < self.tokenizer.eot]
        text = self.tokenizer.decode(tokens).strip()
        avg_logprob = result.scores[0] * len(result.sequences_ids[0]) / (len(result.sequences_ids[0]) + 1)
        o = self.options
        silent = avg_logprob < o.log_prob_threshold and result.no_speech_prob > o.no_speech_threshold
        reliable = silent or (
            len(result.sequences_ids[0]) < budget
            and avg_logprob >= o.log_prob_threshold
            and (not text or get_compression_ratio(text) <= o.compression_ratio_threshold)
        )
        return DecodedUtterance(text, float(avg_logprob), float(result.no_speech_prob), silent, reliable)
