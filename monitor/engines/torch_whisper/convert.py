"""CTranslate2 Whisper → ``transformers`` Whisper, converted once and cached.

CTranslate2 fuses the attention projections (self-attention q|k|v, cross-attention
k|v), names layers by role (``ffn/linear_0``) and stores a zero bias for ``k`` that
Whisper does not have; :func:`ct2_to_hf_state_dict` undoes all three. The result is
saved as ``model.safetensors`` next to ``config.json``, ``generation_config.json``
and the tokenizer in ``<cache>/models/whisper-base-hf``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch

from monitor.engines.torch_whisper.architectures import generation_config, whisper_config
from monitor.engines.torch_whisper.ct2_format import read_ct2_model
from monitor.errors import ModelError

__all__ = ["CONVERTER_VERSION", "convert_ct2_folder", "converted_base_model", "ct2_to_hf_state_dict"]

CONVERTER_VERSION = 1
_STAMP = "livemon-conversion.json"


def _split(t: torch.Tensor, parts: int) -> tuple[torch.Tensor, ...]:
    return tuple(t.chunk(parts, dim=0))


def _linear(out: dict[str, torch.Tensor], v: dict[str, torch.Tensor], src: str, dst: str) -> None:
    out[f"{dst}.weight"] = v[f"{src}/weight"]
    out[f"{dst}.bias"] = v[f"{src}/bias"]


def _norm(out: dict[str, torch.Tensor], v: dict[str, torch.Tensor], src: str, dst: str) -> None:
    out[f"{dst}.weight"] = v[f"{src}/gamma"]
    out[f"{dst}.bias"] = v[f"{src}/beta"]


def _qkv(out: dict[str, torch.Tensor], v: dict[str, torch.Tensor], src: str, dst: str, fused: int) -> None:
    """``fused``=3: ``linear_0`` is q|k|v; ``fused``=2: ``linear_0`` is q, ``linear_1`` is k|v."""
    if fused == 3:
        weights, biases = _split(v[f"{src}/linear_0/weight"], 3), _split(v[f"{src}/linear_0/bias"], 3)
    else:
        kv_w, kv_b = _split(v[f"{src}/linear_1/weight"], 2), _split(v[f"{src}/linear_1/bias"], 2)
        weights = (v[f"{src}/linear_0/weight"], *kv_w)
        biases = (v[f"{src}/linear_0/bias"], *kv_b)
    for name, w, b in zip(("q_proj", "k_proj", "v_proj"), weights, biases, strict=True):
        out[f"{dst}.{name}.weight"] = w
        if name != "k_proj":  # Whisper's k projection has no bias; CTranslate2 stores zeros
            out[f"{dst}.{name}.bias"] = b
    _linear(out, v, f"{src}/linear_{4 - fused}", f"{dst}.out_proj")  # the layer after the fused ones


def ct2_to_hf_state_dict(
    v: dict[str, torch.Tensor], encoder_layers: int, decoder_layers: int
) -> dict[str, torch.Tensor]:
    """Rename and split CTranslate2 Whisper variables into a ``WhisperForConditionalGeneration`` state dict."""
    out: dict[str, torch.Tensor] = {}
    for conv in ("conv1", "conv2"):
        _linear(out, v, f"encoder/{conv}", f"model.encoder.{conv}")
    out["model.encoder.embed_positions.weight"] = v["encoder/position_encodings/encodings"]
    _norm(out, v, "encoder/layer_norm", "model.encoder.layer_norm")
    for i in range(encoder_layers):
        src, dst = f"encoder/layer_{i}", f"model.encoder.layers.{i}"
        _qkv(out, v, f"{src}/self_attention", f"{dst}.self_attn", fused=3)
        _norm(out, v, f"{src}/self_attention/layer_norm", f"{dst}.self_attn_layer_norm")
        _linear(out, v, f"{src}/ffn/linear_0", f"{dst}.fc1")
        _linear(out, v, f"{src}/ffn/linear_1", f"{dst}.fc2")
        _norm(out, v, f"{src}/ffn/layer_norm", f"{dst}.final_layer_norm")
    out["model.decoder.embed_tokens.weight"] = v["decoder/embeddings/weight"]
    out["model.decoder.embed_positions.weight"] = v["decoder/position_encodings/encodings"]
    _norm(out, v, "decoder/layer_norm", "model.decoder.layer_norm")
    for i in range(decoder_layers):
        src, dst = f"decoder/layer_{i}", f"model.decoder.layers.{i}"
        _qkv(out, v, f"{src}/self_attention", f"{dst}.self_attn", fused=3)
        _norm(out, v, f"{src}/self_attention/layer_norm", f"{dst}.self_attn_layer_norm")
        _qkv(out, v, f"{src}/attention", f"{dst}.encoder_attn", fused=2)
        _norm(out, v, f"{src}/attention/layer_norm", f"{dst}.encoder_attn_layer_norm")
        _linear(out, v, f"{src}/ffn/linear_0", f"{dst}.fc1")
        _linear(out, v, f"{src}/ffn/linear_1", f"{dst}.fc2")
        _norm(out, v, f"{src}/ffn/layer_norm", f"{dst}.final_layer_norm")
    return {name: t.float().contiguous() for name, t in out.items()}


def convert_ct2_folder(ct2_folder: Path, target: Path, arch: str = "base") -> Path:
    """Convert a CTranslate2 Whisper folder of architecture ``arch`` into ``target`` (HF layout)."""
    from safetensors.torch import save_file

    from monitor.engines.torch_whisper.architectures import dims_for

    dims = dims_for(arch)
    try:
        model = read_ct2_model(ct2_folder / "model.bin")
        ct2_config = json.loads((ct2_folder / "config.json").read_text(encoding="utf-8"))
        state = ct2_to_hf_state_dict(model.variables, dims.encoder_layers, dims.decoder_layers)
    except (OSError, KeyError, ValueError, RuntimeError) as e:
        raise ModelError(f"cannot convert the CTranslate2 Whisper model in {ct2_folder}: {e}") from e
    if model.spec != "WhisperSpec":
        raise ModelError(f"{ct2_folder} holds a {model.spec}, not a Whisper model")
    target.mkdir(parents=True, exist_ok=True)
    state.pop("proj_out.weight", None)  # tied to the token embeddings
    tmp = target / f"model.safetensors.{os.getpid()}.tmp"
    save_file(state, str(tmp), metadata={"format": "pt"})
    tmp.replace(target / "model.safetensors")
    config = whisper_config(arch)
    config.suppress_tokens = ct2_config.get("suppress_ids", [])
    config.save_pretrained(target)
    gen = generation_config(arch, suppress_tokens=ct2_config.get("suppress_ids", []))
    gen.alignment_heads = ct2_config.get("alignment_heads", [])  # type: ignore[attr-defined]  # an extra attribute
    gen.save_pretrained(target)
    (target / "tokenizer.json").write_bytes((ct2_folder / "tokenizer.json").read_bytes())
    stamp = {"converter_version": CONVERTER_VERSION, "source": str(ct2_folder), "arch": arch}
    (target / _STAMP).write_text(json.dumps(stamp), encoding="utf-8")
    return target


def converted_base_model() -> Path:
    """The embedded Whisper base model in ``transformers`` layout; converted on first use."""
    from monitor.engines.cache import cache_dir
    from monitor.engines.whisper_weights import embedded_base_model

    target = cache_dir("models", "whisper-base-hf")
    stamp = target / _STAMP
    if stamp.is_file() and (target / "model.safetensors").is_file():
        if json.loads(stamp.read_text(encoding="utf-8")).get("converter_version") == CONVERTER_VERSION:
            return target
    return convert_ct2_folder(embedded_base_model(), target, arch="base")
