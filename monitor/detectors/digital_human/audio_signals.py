"""AI-likelihood signals that use the audio: mouth/speech coupling and synthetic-voice cues.

Both are weak on their own: modern lip-sync and TTS are good. They are kept simple
and their evidence says what was measured.
"""

from __future__ import annotations

import math

import numpy as np

from monitor.detectors.digital_human.signal import Signal, clip01
from monitor.observations.faces import FaceTrack
from monitor.observations.voice import VoiceFeatures

__all__ = ["mouth_sync_signal", "voice_signal"]

MAX_LAG = 0.4
"""Seconds of mouth/speech lag searched either way."""
SYNC_CORR_FLOOR = 0.3
"""Zero-lag correlation scored 0; 0.8 and above scores 1."""
PITCH_ST_MID = 0.8
"""Pitch spread (semitones, robust std) scored 0.5; flatter is more synthetic."""


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 3 or a.std() == 0 or b.std() == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def mouth_sync_signal(track: FaceTrack, voice: VoiceFeatures) -> Signal:
    """Audio-driven mouths open in lockstep with speech energy (high correlation at zero lag);
    human lips lead the sound and also move without it."""
    if voice.duration < 3.0 or track.fps <= 0:
        return Signal.not_judged("mouth_sync", "no audio to compare the mouth with")
    times = track.times
    jaw = track.series("jaw_open")
    energy = voice.envelope(times, 1.0 / track.fps)
    if energy.max() <= 1e-4 or (energy > 0.25 * energy.max()).mean() < 0.2:
        return Signal.not_judged("mouth_sync", "too little speech in the audio")
    valid = ~np.isnan(jaw)
    if float(np.nanstd(jaw)) < 0.01:
        return Signal.not_judged("mouth_sync", "the mouth does not move (voice-over or still picture)")
    max_lag = int(round(MAX_LAG * track.fps))
    corr = {}
    for lag in range(-max_lag, max_lag + 1):
        a, b, ok = (jaw[lag:], energy[: len(energy) - lag], valid[lag:]) if lag >= 0 else (
            jaw[:lag], energy[-lag:], valid[:lag])
        corr[lag] = _corr(a[ok], b[ok])
    best = max(corr, key=lambda k: corr[k])
    lag_s = best / track.fps
    zero = corr[0]
    lag_factor = math.exp(-max(0.0, abs(lag_s) - 0.05) / 0.1)
    score = clip01((zero - SYNC_CORR_FLOOR) / 0.5) * lag_factor
    evidence = {"corr_zero_lag": round(zero, 3), "best_corr": round(corr[best], 3), "mouth_lag_s": round(lag_s, 3)}
    how = "locked to" if score > 0.5 else "loosely follows"
    reason = f"mouth opening {how} speech energy (r={zero:.2f}, lag {lag_s:+.2f} s)"
    return Signal("mouth_sync", score, reason, evidence)


def voice_signal(voice: VoiceFeatures) -> Signal:
    """A flat, steady pitch is a (weak) sign of a synthetic voice; human speech wanders in pitch."""
    f0 = voice.pitch()
    if len(f0) < 100:
        return Signal.not_judged("voice", "too little voiced speech to judge the voice", voiced_frames=len(f0))
    semitones = 12 * np.log2(f0 / np.median(f0))
    q75, q25 = np.percentile(semitones, [75, 25])
    spread = float((q75 - q25) / 1.349)
    score = 1.0 / (1.0 + math.exp((spread - PITCH_ST_MID) / 0.25))
    flat = "flat, steady" if score > 0.5 else "varied"
    evidence = {"pitch_spread_st": round(spread, 3), "median_f0_hz": round(float(np.median(f0)), 1)}
    return Signal("voice", clip01(score), f"{flat} pitch (spread {spread:.1f} semitones)", evidence)
