"""Decoded media: what the decoders hand to the observation stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from monitor.media.pixels import FramePixels

__all__ = ["AudioPCM", "DenseFrame", "MediaInfo", "SampledFrame"]

SAMPLE_RATE = 16_000


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """What probing a source found: tracks, duration and metadata."""

    source: str
    duration: float | None
    has_audio: bool
    has_video: bool
    width: int = 0
    height: int = 0
    fps: float = 0.0
    container_format: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    """Container-level and per-stream metadata tags, stream tags prefixed ``video:``/``audio:``."""


@dataclass(frozen=True, slots=True)
class AudioPCM:
    """Mono float32 PCM in [-1, 1], resampled once to ``sample_rate``."""

    samples: np.ndarray
    sample_rate: int = SAMPLE_RATE
    start: float = 0.0

    def __post_init__(self) -> None:
        if self.samples.ndim != 1:
            raise ValueError(f"AudioPCM.samples must be 1-D, got shape {self.samples.shape}")
        if self.samples.dtype != np.float32:
            raise ValueError(f"AudioPCM.samples must be float32, got {self.samples.dtype}")

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate

    @classmethod
    def empty(cls) -> AudioPCM:
        return cls(np.zeros(0, dtype=np.float32))

    def slice(self, start: float, end: float) -> np.ndarray:
        """Samples between two stream times (seconds)."""
        a = max(0, int((start - self.start) * self.sample_rate))
        b = max(a, int((end - self.start) * self.sample_rate))
        return self.samples[a:b]


@dataclass(frozen=True, slots=True)
class SampledFrame:
    """One video frame kept by the sampler, as a BGR uint8 image."""

    time: float
    index: int
    image: np.ndarray
    reason: Literal["interval", "scene", "dense"] = "interval"

    def __post_init__(self) -> None:
        if self.image.ndim != 3 or self.image.shape[2] != 3 or self.image.dtype != np.uint8:
            raise ValueError(
                f"SampledFrame.image must be HxWx3 uint8, got {self.image.shape} {self.image.dtype}"
            )


@dataclass(frozen=True, slots=True)
class DenseFrame:
    """One of the frequent frames kept for face analysis; its pixels are converted to BGR where looked at."""

    time: float
    index: int
    pixels: FramePixels
    reason: Literal["dense"] = "dense"
