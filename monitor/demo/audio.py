"""Small PCM helpers: resampling and WAV output for mono float32 audio."""

from __future__ import annotations

import wave
from pathlib import Path

import av
import numpy as np

__all__ = ["resample", "write_wav"]


def resample(samples: np.ndarray, src: int, dst: int) -> np.ndarray:
    """Band-limited resampling of mono float32 through libswresample."""
    if src == dst:
        return np.ascontiguousarray(samples, np.float32)
    frame = av.AudioFrame.from_ndarray(
        np.ascontiguousarray(samples, np.float32).reshape(1, -1), format="flt", layout="mono"
    )
    frame.sample_rate = src
    resampler = av.AudioResampler(format="flt", layout="mono", rate=dst)
    out = [f.to_ndarray().ravel() for f in (*resampler.resample(frame), *resampler.resample(None))]
    return np.concatenate(out).astype(np.float32) if out else np.zeros(0, np.float32)


def write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    """Write mono 16-bit PCM."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
