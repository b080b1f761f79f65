"""Synthetic face tracks and audio for the pure digital-human detector tests."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from monitor.media.types import AudioPCM
from monitor.observations.faces import FaceFrame, FaceObservation, FaceTrack

FPS = 12.0
TrackFactory = Callable[..., FaceTrack]


def _track(
    seconds: float = 12.0,
    *,
    blinks: tuple[float, ...] = (),
    motion: Callable[[np.ndarray], np.ndarray] | None = None,
    jaw: np.ndarray | None = None,
    jitter: float = 0.0,
    face_every: int = 1,
    n_faces: int = 1,
    brightness: float = 120.0,
    face_px: float = 120.0,
    loop_hash: bool = False,
    seed: int = 0,
) -> FaceTrack:
    """A track whose face moves by ``motion(t) -> (n, 3)`` (dx px, dy px, roll deg) plus jitter;
    ``loop_hash`` derives the crop hash from the rounded pose (same pose, same picture)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * FPS)) / FPS
    move = motion(t) if motion is not None else np.zeros((len(t), 3))
    move = move + rng.normal(0, jitter, move.shape)
    frames = []
    for i, ti in enumerate(t):
        if i % face_every:
            frames.append(FaceFrame(float(ti), 0, brightness))
            continue
        closed = any(0 <= ti - b < 0.2 for b in blinks)
        x0, y0 = 100 + move[i, 0], 60 + move[i, 1]
        face = FaceObservation(
            box=(x0, y0, x0 + face_px * 0.8, y0 + face_px),
            blink_left=0.7 if closed else 0.05,
            blink_right=0.7 if closed else 0.05,
            jaw_open=float(jaw[i]) if jaw is not None else 0.02,
            yaw=move[i, 2] * 0.5,
            pitch=move[i, 2] * 0.3,
            roll=move[i, 2],
        )
        pose = tuple(int(round(v)) for v in move[i])
        hash_rng = np.random.default_rng(abs(hash(pose))) if loop_hash else rng
        phash = int(hash_rng.integers(0, 2**63))
        frames.append(FaceFrame(float(ti), n_faces, brightness, face, phash))
    return FaceTrack(tuple(frames), 320, 240, FPS, "fake")


@pytest.fixture
def make_track() -> TrackFactory:
    return _track


def envelope(t: np.ndarray, period: float = 0.25, duty: float = 0.7) -> np.ndarray:
    phase = (t % period) / period
    return np.where(phase < duty, np.sin(np.pi * phase / duty), 0.0)


def voiced_audio(
    seconds: float, f0: Callable[[np.ndarray], np.ndarray], sr: int = 16_000, period: float = 0.75
) -> AudioPCM:
    """A harmonic tone with pitch ``f0(t)`` under a syllable envelope of ``period`` seconds."""
    t = np.arange(int(seconds * sr)) / sr
    phase = 2 * np.pi * np.cumsum(f0(t)) / sr
    tone = sum(np.sin(k * phase) / k for k in range(1, 6))
    return AudioPCM((0.3 * tone * envelope(t, period=period, duty=0.6)).astype(np.float32), sr)


@pytest.fixture
def audio_factory() -> Callable[..., AudioPCM]:
    return voiced_audio


@pytest.fixture
def envelope_fn() -> Callable[..., np.ndarray]:
    return envelope
