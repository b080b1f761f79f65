"""Named Whisper architectures as ``transformers`` configs, plus their generation settings.

Dimensions follow OpenAI's released checkpoints. Token ids are derived from the
vocabulary size: multilingual vocabularies of 51865 tokens hold 99 languages,
51866 (large-v3 and later) hold 100 (``<|yue|>`` added).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

from monitor.errors import ConfigError

if TYPE_CHECKING:
    from transformers import GenerationConfig, WhisperConfig

__all__ = ["ARCHITECTURES", "WhisperArch", "WhisperDims", "dims_for", "generation_config", "whisper_config"]

WhisperArch = Literal["base", "large-v3", "large-v3-turbo"]
ARCHITECTURES: tuple[str, ...] = get_args(WhisperArch)

_EOT = 50257
_SOT = 50258
_FIRST_LANGUAGE = 50259


@dataclass(frozen=True, slots=True)
class WhisperDims:
    """The shape of one Whisper architecture."""

    d_model: int
    encoder_layers: int
    decoder_layers: int
    heads: int
    mels: int
    vocab: int


_DIMS: dict[str, WhisperDims] = {
    "base": WhisperDims(d_model=512, encoder_layers=6, decoder_layers=6, heads=8, mels=80, vocab=51865),
    "large-v3": WhisperDims(d_model=1280, encoder_layers=32, decoder_layers=32, heads=20, mels=128, vocab=51866),
    "large-v3-turbo": WhisperDims(d_model=1280, encoder_layers=32, decoder_layers=4, heads=20, mels=128, vocab=51866),
}


def dims_for(arch: str) -> WhisperDims:
    """The dimensions of ``arch``; ConfigError for unknown names."""
    try:
        return _DIMS[arch]
    except KeyError:
        raise ConfigError(f"unknown Whisper architecture {arch!r}: choose one of {', '.join(ARCHITECTURES)}") from None


def whisper_config(arch: str) -> WhisperConfig:
    """A ``transformers.WhisperConfig`` for ``arch`` (SDPA attention)."""
    from transformers import WhisperConfig

    d = dims_for(arch)
    # attn_implementation is a PreTrainedConfig keyword the @strict dataclass signature omits
    return WhisperConfig(  # type: ignore[call-arg]
        vocab_size=d.vocab,
        num_mel_bins=d.mels,
        d_model=d.d_model,
        encoder_layers=d.encoder_layers,
        decoder_layers=d.decoder_layers,
        encoder_attention_heads=d.heads,
        decoder_attention_heads=d.heads,
        encoder_ffn_dim=4 * d.d_model,
        decoder_ffn_dim=4 * d.d_model,
        max_source_positions=1500,
        max_target_positions=448,
        bos_token_id=_EOT,
        eos_token_id=_EOT,
        pad_token_id=_EOT,
        decoder_start_token_id=_SOT,
        begin_suppress_tokens=[220, _EOT],
        attn_implementation="sdpa",
    )


def generation_config(arch: str, suppress_tokens: Sequence[int] = ()) -> GenerationConfig:
    """The Whisper ``GenerationConfig`` (language/task ids) for ``arch``'s vocabulary."""
    from transformers import GenerationConfig
    from transformers.models.whisper.tokenization_whisper import LANGUAGES

    d = dims_for(arch)
    languages = list(LANGUAGES)[: 100 if d.vocab >= 51866 else 99]
    translate = _FIRST_LANGUAGE + len(languages)
    return GenerationConfig(
        decoder_start_token_id=_SOT,
        bos_token_id=_EOT,
        eos_token_id=_EOT,
        pad_token_id=_EOT,
        max_length=448,
        is_multilingual=True,
        lang_to_id={f"<|{code}|>": _FIRST_LANGUAGE + i for i, code in enumerate(languages)},
        task_to_id={"translate": translate, "transcribe": translate + 1},
        prev_sot_token_id=translate + 3,
        no_timestamps_token_id=translate + 5,
        begin_suppress_tokens=[220, _EOT],
        suppress_tokens=list(suppress_tokens),
    )
