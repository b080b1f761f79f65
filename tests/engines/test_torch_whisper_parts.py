"""Architectures, devices and chunking of the PyTorch Whisper engine (no model weights)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from monitor.engines.torch_whisper import (
    ChunkOptions,
    generation_config,
    resolve_device,
    resolve_dtype,
    speech_chunks,
    whisper_config,
)
from monitor.errors import ConfigError
from monitor.media.types import AudioPCM


@pytest.mark.parametrize(
    ("arch", "d_model", "enc", "dec", "heads", "mels", "vocab", "zh", "transcribe", "no_timestamps"),
    [
        ("base", 512, 6, 6, 8, 80, 51865, 50260, 50359, 50363),
        ("large-v3", 1280, 32, 32, 20, 128, 51866, 50260, 50360, 50364),
        ("large-v3-turbo", 1280, 32, 4, 20, 128, 51866, 50260, 50360, 50364),
    ],
)
def test_architectures(
    arch: str, d_model: int, enc: int, dec: int, heads: int, mels: int, vocab: int, zh: int, transcribe: int,
    no_timestamps: int,
) -> None:
    c = whisper_config(arch)
    assert (c.d_model, c.encoder_layers, c.decoder_layers, c.encoder_attention_heads) == (d_model, enc, dec, heads)
    assert (c.num_mel_bins, c.vocab_size, c.encoder_ffn_dim) == (mels, vocab, 4 * d_model)
    g = generation_config(arch)
    ids = (g.lang_to_id["<|zh|>"], g.task_to_id["transcribe"], g.no_timestamps_token_id)
    assert ids == (zh, transcribe, no_timestamps)


def test_unknown_architecture() -> None:
    with pytest.raises(ConfigError, match="large-v3-turbo"):
        whisper_config("huge")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_a_gpu_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="sees no CUDA GPU"):
        resolve_device("cuda")
    from monitor.engines.torch_whisper import TorchWhisperAsr, TorchWhisperOptions

    with pytest.raises(ConfigError, match="sees no CUDA GPU"):
        TorchWhisperAsr(TorchWhisperOptions(device="cuda"))


@pytest.mark.parametrize(
    ("device", "dtype", "expected"),
    [("cpu", "auto", torch.float32), ("cpu", "bfloat16", torch.bfloat16), ("cpu", "float32", torch.float32)],
)
def test_dtypes(device: str, dtype: str, expected: torch.dtype) -> None:
    assert resolve_dtype(dtype, resolve_device(device)) == expected


@pytest.mark.parametrize(
    ("device", "dtype", "match"),
    [("tpu", "auto", "unknown device"), ("cpu", "float16", "needs a CUDA device"), ("cpu", "int4", "unknown dtype")],
)
def test_bad_device_or_dtype(device: str, dtype: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        resolve_dtype(dtype, resolve_device(device))


def _audio(seconds: float, start: float = 0.0) -> AudioPCM:
    rng = np.random.default_rng(0)
    return AudioPCM((0.1 * rng.standard_normal(int(seconds * 16_000))).astype(np.float32), start=start)


def test_without_vad_long_audio_is_cut_into_30s_windows() -> None:
    chunks = speech_chunks(_audio(70.0, start=100.0), ChunkOptions(vad=False))
    assert [(c.start, c.end) for c in chunks] == [(100.0, 130.0), (130.0, 160.0), (160.0, 170.0)]
    assert all(c.samples.size <= 30 * 16_000 for c in chunks)


def test_silence_has_no_speech_chunks() -> None:
    assert speech_chunks(AudioPCM(np.zeros(16_000 * 3, np.float32))) == []
    assert speech_chunks(AudioPCM.empty()) == []


def test_vad_splits_utterances_and_merge_joins_them(mandarin_clip: np.ndarray) -> None:
    gap = np.zeros(16_000 * 2, np.float32)
    audio = AudioPCM(np.concatenate([mandarin_clip, gap, mandarin_clip]), start=5.0)
    apart = speech_chunks(audio)
    assert len(apart) == 2 and apart[0].end < apart[1].start
    assert 5.0 <= apart[0].start < apart[0].end <= audio.start + audio.duration
    joined = speech_chunks(audio, ChunkOptions(merge=True))
    assert len(joined) == 1 and joined[0].start == apart[0].start and joined[0].end == apart[1].end


def test_max_chunk_must_fit_whispers_window() -> None:
    with pytest.raises(ValueError, match="max_chunk_s"):
        speech_chunks(_audio(1.0), ChunkOptions(max_chunk_s=45.0))
