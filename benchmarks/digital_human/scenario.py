"""Labelled benchmark scenarios: an avatar-like or human-like host under one label condition.

Avatar hosts loop one 2.5 s motion clip, open the mouth exactly with the speech
envelope, blink on a clock (or never) and speak with a flat synthetic voice (a
harmonic tone under a regular syllable envelope). Human-like hosts drift and
jitter, blink irregularly, move the lips ahead of the sound and speak with a
wandering pitch and breath noise. Both voices are synthetic signals, not speech.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from benchmarks.digital_human.face import FacePose

__all__ = ["CONDITIONS", "HOSTS", "Scenario", "Timeline", "all_scenarios", "timeline"]

Host = Literal["avatar", "human"]
Condition = Literal["no_label", "continuous", "intermittent", "small_corner", "metadata_only"]
HOSTS: tuple[Host, ...] = ("avatar", "human")
CONDITIONS: tuple[Condition, ...] = ("no_label", "continuous", "intermittent", "small_corner", "metadata_only")
SR = 16_000
LOOP_SECONDS = 2.5


@dataclass(frozen=True, slots=True)
class Scenario:
    """One benchmark video."""

    host: Host
    condition: Condition
    seed: int
    seconds: float = 12.0
    fps: int = 12
    framing: str = "closeup"
    """``closeup`` (320x240, the face fills the frame) or a name in ``benchmarks.digital_human.framing.FRAMINGS``."""

    @property
    def name(self) -> str:
        prefix = "" if self.framing == "closeup" else f"{self.framing}-"
        return f"{prefix}{self.host}-{self.condition}-s{self.seed}"

    @property
    def expected(self) -> str | None:
        """The finding category a correct detector reports."""
        if self.condition == "continuous":
            return None
        if self.condition == "intermittent":
            return "dh_label_intermittent"
        if self.condition == "no_label":
            return "dh_undisclosed" if self.host == "avatar" else None
        return "dh_undisclosed"


def all_scenarios(seeds: tuple[int, ...] = (0, 1), framings: tuple[str, ...] = ("closeup",)) -> list[Scenario]:
    return [Scenario(h, c, s, framing=f) for f in framings for h in HOSTS for c in CONDITIONS for s in seeds]


@dataclass(frozen=True, slots=True)
class Timeline:
    """Per-frame poses and the 16 kHz audio of one scenario."""

    poses: tuple[FacePose, ...]
    audio: np.ndarray


def _syllables(rng: np.random.Generator, seconds: float, regular: bool) -> list[tuple[float, float]]:
    out, t = [], 0.5
    while t < seconds - 0.5:
        if regular:
            out.append((t, 0.18))
            t += 0.25 if len(out) % 8 else 0.75
        else:
            out.append((t, float(rng.uniform(0.1, 0.3))))
            t += float(rng.gamma(2.0, 0.15)) + (float(rng.uniform(0.3, 1.0)) if rng.random() < 0.12 else 0.0)
    return out


def _envelope(syllables: list[tuple[float, float]], t: np.ndarray) -> np.ndarray:
    env = np.zeros_like(t)
    for start, length in syllables:
        inside = (t >= start) & (t < start + length)
        env[inside] = np.maximum(env[inside], np.sin(np.pi * (t[inside] - start) / length))
    return env


def _voice(rng: np.random.Generator, syllables: list[tuple[float, float]], seconds: float, human: bool) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    if human:
        knots = rng.normal(0, 2.5, int(seconds * 2) + 2)
        contour = np.interp(t, np.linspace(0, seconds, len(knots)), knots)
        f0 = 150.0 * 2 ** ((contour + rng.normal(0, 0.3, len(t)).cumsum() * 0.002) / 12)
    else:
        f0 = 190.0 * (1 + 0.003 * np.sin(2 * np.pi * 5 * t))
    phase = 2 * np.pi * np.cumsum(f0) / SR
    tone = sum(np.sin(k * phase) / k for k in range(1, 9))
    voice = 0.25 * tone * _envelope(syllables, t)
    if human:
        voice += rng.normal(0, 0.01, len(t))
    return voice.astype(np.float32)


def _blinks(rng: np.random.Generator, scenario: Scenario) -> list[float]:
    if scenario.host == "avatar":
        return [] if scenario.seed % 2 else list(np.arange(1.0, scenario.seconds, 3.0))
    out, t = [], float(rng.uniform(0.3, 2.0))
    while t < scenario.seconds:
        out.append(t)
        t += float(rng.gamma(2.0, 1.6)) + 0.3
    return out


def _closure(blinks: list[float], t: float, fps: int) -> float:
    shape = (0.6, 1.0, 0.5)
    for b in blinks:
        k = int(round((t - b) * fps))
        if 0 <= k < len(shape):
            return shape[k]
    return 0.0


def _motion(rng: np.random.Generator, scenario: Scenario, n: int) -> np.ndarray:
    """(n, 3) dx, dy, roll per frame."""
    t = np.arange(n) / scenario.fps
    if scenario.host == "avatar":
        w = 2 * np.pi * (t % LOOP_SECONDS) / LOOP_SECONDS
        return np.stack([7 * np.sin(w) + 3 * np.sin(2 * w), 4 * np.sin(w + 1.0), 2.5 * np.sin(w + 0.5)], axis=1)
    drift = np.cumsum(rng.normal(0, 1.0, (n, 3)), axis=0)
    kernel = np.ones(9) / 9
    smooth = np.stack([np.convolve(drift[:, i], kernel, mode="same") for i in range(3)], axis=1)
    smooth -= smooth.mean(axis=0)
    jitter = rng.normal(0, [0.8, 0.8, 0.6], (n, 3))
    return smooth * [1.2, 0.8, 0.5] + jitter


def timeline(scenario: Scenario) -> Timeline:
    """Poses and audio of ``scenario`` (deterministic for its seed)."""
    rng = np.random.default_rng(1000 * scenario.seed + (0 if scenario.host == "avatar" else 1))
    human = scenario.host == "human"
    n = int(scenario.seconds * scenario.fps)
    syllables = _syllables(rng, scenario.seconds, regular=not human)
    audio = _voice(rng, syllables, scenario.seconds, human)
    times = np.arange(n) / scenario.fps
    lead = 0.12 if human else 0.0
    mouth = _envelope(syllables, times + lead)
    if human:
        mouth = np.clip(mouth * rng.uniform(0.5, 1.0, n) + np.abs(rng.normal(0, 0.08, n)), 0, 1)
    blinks = _blinks(rng, scenario)
    motion = _motion(rng, scenario, n)
    poses = tuple(
        FacePose(dx=float(m[0]), dy=float(m[1]), roll=float(m[2]), mouth=float(mouth[i]),
                 eyes_closed=_closure(blinks, float(times[i]), scenario.fps))
        for i, m in enumerate(motion)
    )
    return Timeline(poses, audio)
