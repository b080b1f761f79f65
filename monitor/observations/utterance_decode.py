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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from monitor.observations.whisper_batch import DecodeOptions, WindowBatch

__all__ = ["DecodedUtterance", "UtteranceDecodeOptions", "UtteranceDecoder"]


@dataclass(frozen=True, slots=True)
class UtteranceDecodeOptions(DecodeOptions):
    """The window (longer clips are not taken), the token budget and Whisper's reliability tests."""

    extra_tokens: int = 10


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
        self.options = options
        self.prompt_text = prompt
        self.batch = WindowBatch(model, language, prompt, options, timestamps=False, hotwords=hotwords)

    def fits(self, samples: np.ndarray, sample_rate: int) -> bool:
        """True when a clip is short enough for the window."""
        return samples.size / sample_rate <= self.options.window_s

    def budget(self, seconds: float) -> int:
        """New tokens allowed for a clip of ``seconds``."""
        return self.batch.budget(seconds)

    def decode(self, clips: Sequence[np.ndarray], sample_rate: int = 16_000) -> list[DecodedUtterance]:
        """One result per clip (16 kHz float32, each at most ``window_s`` long)."""
        if not clips:
            return []
        for samples in clips:
            if not self.fits(samples, sample_rate):
                seconds = samples.size / sample_rate
                raise ValueError(f"a clip of {seconds:.1f} s does not fit the {self.options.window_s} s window")
        results, budget = self.batch.generate(clips, max(c.size for c in clips) / sample_rate)
        return [self._result(r, budget) for r in results]

    def _result(self, result: Any, budget: int) -> DecodedUtterance:
        tokenizer = self.batch.tokenizer
        text = tokenizer.decode([t for t in result.sequences_ids[0] if t < tokenizer.eot]).strip()
        verdict = self.batch.verdict(result, text, budget)
        return DecodedUtterance(text, verdict.avg_logprob, float(result.no_speech_prob), verdict.silent,
                                verdict.reliable)
