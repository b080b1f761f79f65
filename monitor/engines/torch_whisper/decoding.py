"""Batched Whisper decoding: log-mel features, one encoder pass, greedy ``generate``.

:class:`WhisperDecoder` is the unit a :class:`~monitor.scheduling.BatchScheduler`
drives: ``decode(clips)`` takes up to one batch of ≤30 s clips (16 kHz float32) and
returns one :class:`Decoded` per clip.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

if TYPE_CHECKING:
    from transformers import WhisperFeatureExtractor, WhisperForConditionalGeneration

__all__ = ["DecodeOptions", "Decoded", "WhisperDecoder"]


@dataclass(frozen=True, slots=True)
class DecodeOptions:
    """Greedy decoding settings."""

    language: str = "zh"
    task: str = "transcribe"
    max_new_tokens: int = 128
    fixed_steps: int | None = None
    """Exactly this many decoder steps per clip, end-of-text suppressed (speed runs on random weights)."""
    static_cache: bool = False
    """Static KV cache; ``transformers`` then compiles the decoder step (pays on CUDA, after warm-up)."""
    compile_encoder: bool = False
    """``torch.compile`` the encoder (pays on CUDA for steady batch sizes)."""


@dataclass(frozen=True, slots=True)
class Decoded:
    """One clip's result: token ids (prompt and task tokens removed), text, mean token probability."""

    tokens: tuple[int, ...]
    text: str
    confidence: float


class WhisperDecoder:
    """A Whisper model, its feature extractor and tokenizer, on one device."""

    def __init__(
        self,
        model: WhisperForConditionalGeneration,
        features: WhisperFeatureExtractor,
        tokenizer: Any | None = None,
        options: DecodeOptions = DecodeOptions(),
        prompt: str | None = None,
    ) -> None:
        self.model = model.eval()
        self.features = features
        self.tokenizer = tokenizer
        self.options = options
        self.device = model.device
        self.dtype = model.dtype
        self._eot = int(model.generation_config.eos_token_id)
        self._prompt_ids = (
            tokenizer.get_prompt_ids(prompt, return_tensors="pt").to(self.device)
            if prompt and tokenizer is not None
            else None
        )
        self._generation = self._generation_config()
        if options.compile_encoder:
            encoder = model.get_encoder()
            encoder.forward = torch.compile(encoder.forward, dynamic=False)

    def _generation_config(self) -> Any:
        gen = copy.deepcopy(self.model.generation_config)
        o = self.options
        gen.language, gen.task = o.language, o.task
        gen.max_new_tokens = o.fixed_steps or o.max_new_tokens
        gen.min_new_tokens = o.fixed_steps
        gen.do_sample, gen.num_beams = False, 1
        gen.return_dict_in_generate, gen.output_scores = True, True
        if o.static_cache:
            gen.cache_implementation = "static"
        return gen

    @torch.inference_mode()
    def decode(self, clips: Sequence[np.ndarray]) -> list[Decoded]:
        """Decode ≤30 s clips as one batch."""
        if not clips:
            return []
        feats = self.features(
            [np.asarray(c, dtype=np.float32) for c in clips],
            sampling_rate=self.features.sampling_rate,
            return_tensors="pt",
            return_attention_mask=True,
            device=str(self.device),
        )
        out = self.model.generate(
            feats.input_features.to(self.device, self.dtype),
            attention_mask=feats.attention_mask.to(self.device),
            generation_config=self._generation,
            prompt_ids=self._prompt_ids,
        )
        return self._results(out.sequences, out.scores)

    def _results(self, sequences: torch.Tensor, scores: Sequence[torch.Tensor] | None) -> list[Decoded]:
        """Cut each row at end-of-text; confidence is the mean token probability (1.0 without scores)."""
        steps = len(scores) if scores else 0
        new = sequences[:, sequences.shape[1] - steps :]
        chosen = torch.zeros(new.shape)
        if scores is not None and steps:
            logprobs = torch.stack([torch.log_softmax(s.float(), dim=-1) for s in scores], dim=1)
            chosen = logprobs.gather(-1, new.unsqueeze(-1)).squeeze(-1).cpu()
        results = []
        for row, toks in enumerate(new.cpu().tolist()):
            stop = self.options.fixed_steps is None and self._eot in toks
            end = toks.index(self._eot) + 1 if stop else len(toks)
            kept = tuple(t for t in toks[:end] if t != self._eot)
            text = self.tokenizer.decode(kept, skip_special_tokens=True).strip() if self.tokenizer is not None else ""
            mean = float(chosen[row, :end].mean()) if end else 0.0
            results.append(Decoded(tokens=kept, text=text, confidence=min(1.0, math.exp(mean))))
        return results
