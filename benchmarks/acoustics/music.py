"""Background music made offline: chords, bass and drums, deterministic by seed.

Live-selling rooms play looped pop or dance backing tracks under the host. :func:`backing_track`
writes one: a tempo of 88–128 BPM, a four-chord progression in a random key (pads of detuned
saw-like tones, low-passed), a bass line on the chord roots in eighths, and a drum pattern
(kick on the beats, snare on two and four, closed hi-hats on the eighths). The same seed always
gives the same samples.
"""

from __future__ import annotations

import numpy as np

from benchmarks.acoustics.signals import RATE

__all__ = ["backing_track"]

_PROGRESSIONS = ((0, 7, 9, 5), (9, 5, 0, 7), (0, 9, 5, 7), (5, 7, 9, 0))
"""Chord roots in semitones above the key (I–V–vi–IV and its rotations)."""
_MINOR = {9}
"""Roots of minor chords (vi)."""


def _hz(midi: float) -> float:
    return float(440.0 * 2 ** ((midi - 69) / 12))


def _tone(freq: float, n: int, harmonics: int, rng: np.random.Generator) -> np.ndarray:
    """A saw-like tone (``harmonics`` partials at 1/k), slightly detuned and with a random phase."""
    t = np.arange(n) / RATE
    out = np.zeros(n)
    for k in range(1, harmonics + 1):
        if freq * k >= RATE / 2:
            break
        out += np.sin(2 * np.pi * freq * k * (1 + rng.normal(0, 0.001)) * t + rng.uniform(0, 2 * np.pi)) / k
    return out


def _envelope(n: int, attack: float, release: float) -> np.ndarray:
    a, r = max(1, int(attack * RATE)), max(1, int(release * RATE))
    env = np.ones(n)
    env[: min(a, n)] = np.linspace(0, 1, min(a, n))
    env[max(0, n - r) :] *= np.linspace(1, 0, n - max(0, n - r))
    return env


def _kick(rng: np.random.Generator) -> np.ndarray:
    n = int(0.25 * RATE)
    t = np.arange(n) / RATE
    sweep = 50 + 90 * np.exp(-t * 30)
    return np.sin(2 * np.pi * np.cumsum(sweep) / RATE) * np.exp(-t * 14) * rng.uniform(0.9, 1.0)


def _snare(rng: np.random.Generator) -> np.ndarray:
    from scipy.signal import butter, sosfilt

    n = int(0.18 * RATE)
    t = np.arange(n) / RATE
    noise = sosfilt(butter(2, [1200, 6000], btype="bandpass", fs=RATE, output="sos"), rng.standard_normal(n))
    body = np.sin(2 * np.pi * 190 * t)
    return (0.7 * noise + 0.4 * body) * np.exp(-t * 22)


def _hat(rng: np.random.Generator) -> np.ndarray:
    from scipy.signal import butter, sosfilt

    n = int(0.05 * RATE)
    noise = sosfilt(butter(2, 7000, btype="highpass", fs=RATE, output="sos"), rng.standard_normal(n))
    return noise * np.exp(-np.arange(n) / RATE * 80) * 0.35


def _place(track: np.ndarray, sound: np.ndarray, at: int, gain: float = 1.0) -> None:
    if at >= track.size:
        return
    end = min(track.size, at + sound.size)
    track[at:end] += gain * sound[: end - at]


def backing_track(seconds: float, seed: int) -> np.ndarray:
    """``seconds`` of backing music (float32, 16 kHz, peak 0.5); the same ``seed`` gives the same track."""
    from scipy.signal import butter, sosfilt

    rng = np.random.default_rng(seed)
    n = max(1, round(seconds * RATE))
    bpm = float(rng.uniform(88, 128))
    beat = int(RATE * 60 / bpm)
    key = int(rng.integers(0, 12)) + 48
    progression = _PROGRESSIONS[int(rng.integers(len(_PROGRESSIONS)))]
    offset = int(rng.integers(0, 4 * beat))  # start somewhere inside a bar, as a looped track would
    total = n + offset
    pads, bass, drums = np.zeros(total), np.zeros(total), np.zeros(total)
    bar = 4 * beat
    kick, snare, hat = _kick(rng), _snare(rng), _hat(rng)
    for b, start in enumerate(range(0, total, bar)):
        root = progression[b % len(progression)]
        third = 3 if root in _MINOR else 4
        length = min(bar, total - start)
        for interval in (0, third, 7):
            tone = _tone(_hz(key + 12 + root + interval), length, 6, rng)
            pads[start : start + length] += tone * _envelope(length, 0.08, 0.15) * 0.25
        for eighth in range(8):
            at = start + eighth * beat // 2
            note = min(beat // 2, total - at)
            if note <= 0:
                break
            octave = 12 if eighth % 4 == 3 else 0
            tone = _tone(_hz(key - 12 + root + octave), note, 3, rng) * _envelope(note, 0.005, 0.05)
            bass[at : at + note] += tone * 0.5
        for k in range(4):
            _place(drums, kick, start + k * beat)
            if k in (1, 3):
                _place(drums, snare, start + k * beat, 0.8)
        for eighth in range(8):
            _place(drums, hat, start + eighth * beat // 2, rng.uniform(0.6, 1.0))
    pads = sosfilt(butter(2, 2500, fs=RATE, output="sos"), pads)
    bass = sosfilt(butter(2, 400, fs=RATE, output="sos"), bass)
    mix = (pads + bass + 0.6 * drums)[offset:]
    peak = float(np.abs(mix).max()) or 1.0
    return (mix * (0.5 / peak)).astype(np.float32)
