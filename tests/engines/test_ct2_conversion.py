"""CTranslate2 → transformers conversion: a round trip through CTranslate2's own converter, and the embedded model."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from monitor.engines.torch_whisper import ct2_to_hf_state_dict, read_ct2_model
from monitor.errors import ModelError

TINY = {"d_model": 64, "encoder_layers": 2, "decoder_layers": 2, "encoder_attention_heads": 4,
        "decoder_attention_heads": 4, "encoder_ffn_dim": 128, "decoder_ffn_dim": 128}


def _tiny_ct2(tmp_path: Path, quantization: str) -> tuple[torch.nn.Module, Path]:
    """A random tiny HF Whisper and its CTranslate2 conversion (by ctranslate2's converter)."""
    ctranslate2 = pytest.importorskip("ctranslate2")
    from transformers import WhisperConfig, WhisperForConditionalGeneration, WhisperTokenizerFast

    from monitor.engines.whisper_weights import embedded_base_model

    torch.manual_seed(0)
    model = WhisperForConditionalGeneration(WhisperConfig(**TINY)).eval()
    model.save_pretrained(tmp_path / "hf")
    WhisperTokenizerFast(tokenizer_file=str(embedded_base_model() / "tokenizer.json")).save_pretrained(tmp_path / "hf")
    ctranslate2.converters.TransformersConverter(str(tmp_path / "hf")).convert(
        str(tmp_path / "ct2"), quantization=quantization
    )
    return model, tmp_path / "ct2"


@pytest.mark.parametrize(("quantization", "tolerance"), [("float32", 0.0), ("float16", 1e-3), ("int8", 0.02)])
def test_round_trip_through_ctranslate2(tmp_path: Path, quantization: str, tolerance: float) -> None:
    original, folder = _tiny_ct2(tmp_path, quantization)
    ct2 = read_ct2_model(folder / "model.bin")
    assert ct2.spec == "WhisperSpec"
    state = ct2_to_hf_state_dict(ct2.variables, encoder_layers=2, decoder_layers=2)
    expected = original.state_dict()
    assert set(state) | {"proj_out.weight"} == set(expected)
    for name, tensor in state.items():
        torch.testing.assert_close(tensor, expected[name], atol=tolerance, rtol=0.0, msg=name)


def test_truncated_model_bin_is_a_model_error(tmp_path: Path) -> None:
    _, folder = _tiny_ct2(tmp_path, "float32")
    broken = tmp_path / "broken.bin"
    broken.write_bytes((folder / "model.bin").read_bytes()[:5000])
    with pytest.raises(ModelError, match="ends early"):
        read_ct2_model(broken)


def test_embedded_base_converts_and_loads() -> None:
    from transformers import WhisperForConditionalGeneration

    from monitor.engines.torch_whisper import converted_base_model

    folder = converted_base_model()
    model, info = WhisperForConditionalGeneration.from_pretrained(
        folder, local_files_only=True, output_loading_info=True
    )
    assert not info["missing_keys"] and not info["unexpected_keys"]
    assert (model.config.d_model, model.config.encoder_layers, model.config.vocab_size) == (512, 6, 51865)
    with torch.inference_mode():
        encoded = model.get_encoder()(torch.zeros(1, 80, 3000)).last_hidden_state
    assert encoded.shape == (1, 1500, 512)
    assert torch.isfinite(encoded).all()
    assert converted_base_model() == folder  # cached, not converted again
