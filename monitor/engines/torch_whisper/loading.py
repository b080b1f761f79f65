"""Load a ``transformers`` Whisper model, feature extractor and tokenizer from a folder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from monitor.errors import ModelError

if TYPE_CHECKING:
    from transformers import WhisperFeatureExtractor, WhisperForConditionalGeneration

__all__ = ["EMBEDDED_BASE", "load_whisper", "resolve_hf_model"]

EMBEDDED_BASE = "embedded:base"


def resolve_hf_model(name: str) -> Path:
    """``embedded:base`` → the converted embedded model; a folder → itself (HF layout)."""
    if name in ("", EMBEDDED_BASE):
        from monitor.engines.torch_whisper.convert import converted_base_model

        return converted_base_model()
    path = Path(name).expanduser()
    if not (path / "config.json").is_file():
        raise ModelError(
            f"{name!r} is neither 'embedded:base' nor a transformers Whisper folder with config.json"
        )
    return path


def load_whisper(
    folder: Path, device: torch.device, dtype: torch.dtype
) -> tuple[WhisperForConditionalGeneration, WhisperFeatureExtractor, Any]:
    """The model (SDPA attention, on ``device`` in ``dtype``), its feature extractor and tokenizer."""
    from transformers import WhisperFeatureExtractor, WhisperForConditionalGeneration, WhisperTokenizer

    try:
        model = WhisperForConditionalGeneration.from_pretrained(
            folder, dtype=dtype, attn_implementation="sdpa", local_files_only=True
        )
        tokenizer = WhisperTokenizer(tokenizer_file=str(folder / "tokenizer.json"))
    except (OSError, ValueError, RuntimeError) as e:
        raise ModelError(f"cannot load the Whisper model in {folder}: {e}") from e
    features = WhisperFeatureExtractor(feature_size=model.config.num_mel_bins)
    return model.to(device), features, tokenizer  # type: ignore[arg-type]  # @wraps(Module.to) types it as unbound
