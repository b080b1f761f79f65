"""Random-weight Whisper models of real sizes, for throughput and memory only.

Their output is meaningless: every result built from them is labelled
:data:`SPEED_ONLY`. Decoding runs a fixed number of steps per clip, so the work per
clip is that of a real utterance of about ``steps`` tokens.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import torch

from monitor.engines.torch_whisper.architectures import dims_for, generation_config, whisper_config
from monitor.engines.torch_whisper.decoding import DecodeOptions, WhisperDecoder
from monitor.engines.torch_whisper.devices import resolve_device, resolve_dtype

if TYPE_CHECKING:
    from transformers import WhisperForConditionalGeneration

__all__ = ["SPEED_ONLY", "build_speed_model", "speed_decoder"]

SPEED_ONLY = "speed only: random weights, the text is meaningless"


def build_speed_model(
    arch: str, device: str = "cpu", dtype: str = "auto", seed: int = 0
) -> WhisperForConditionalGeneration:
    """A random-weight ``WhisperForConditionalGeneration`` of ``arch``, built on ``device``."""
    from transformers import WhisperForConditionalGeneration

    dims_for(arch)  # ConfigError for unknown names, before any allocation
    torch_device = resolve_device(device)
    torch_dtype = resolve_dtype(dtype, torch_device)
    torch.manual_seed(seed)
    with torch.device(torch_device):
        model = WhisperForConditionalGeneration(whisper_config(arch))
    model.generation_config = generation_config(arch)
    return model.to(torch_dtype).eval()  # type: ignore[arg-type]  # @wraps(Module.to) types it as unbound


def speed_decoder(
    arch: str, device: str = "cpu", dtype: str = "auto", steps: int = 32, options: DecodeOptions = DecodeOptions()
) -> WhisperDecoder:
    """A :class:`WhisperDecoder` over a random-weight ``arch`` model, ``steps`` tokens per clip."""
    from transformers import WhisperFeatureExtractor

    model = build_speed_model(arch, device, dtype)
    features = WhisperFeatureExtractor(feature_size=model.config.num_mel_bins)
    return WhisperDecoder(model, features, tokenizer=None, options=replace(options, fixed_steps=steps))
