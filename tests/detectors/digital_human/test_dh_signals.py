"""Face and audio signals on synthetic observation sequences."""

from __future__ import annotations

import numpy as np
import pytest

from monitor.detectors.digital_human.audio_signals import mouth_sync_signal, voice_signal
from monitor.detectors.digital_human.face_signals import blink_events, blink_signal, loop_signal, pose_jitter_signal
from monitor.media.types import AudioPCM
from monitor.observations.voice import VoiceFeatures


def looped(t: np.ndarray) -> np.ndarray:
    w = 2 * np.pi * (t % 2.5) / 2.5
    return np.stack([8 * np.sin(w), 4 * np.cos(w), 2 * np.sin(w)], axis=1)


def wander(t: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(7)
    return np.cumsum(rng.normal(0, 1.0, (len(t), 3)), axis=0)


@pytest.mark.parametrize(
    ("blinks", "low", "high"),
    [
        ((1.0, 4.0, 7.0, 10.0), 0.9, 1.0),  # clockwork
        ((), 0.85, 1.0),  # none in 12 s
        ((0.5, 1.4, 4.9, 6.0, 10.5), 0.0, 0.2),  # irregular
    ],
)
def test_blink_score(make_track, blinks, low, high):
    signal = blink_signal(make_track(blinks=blinks))
    assert signal.score is not None and low <= signal.score <= high
    assert signal.evidence["blinks"] == len(blinks)


def test_two_blinks_are_not_judged(make_track):
    assert blink_signal(make_track(blinks=(2.0, 6.0))).score is None


def test_blink_events_on_nan_gaps():
    times = np.arange(6) / 12
    closure = np.array([0.0, np.nan, 0.8, 0.8, 0.0, np.nan])
    assert blink_events(times, closure) == [pytest.approx(2 / 12)]


def test_loop_found_at_its_period(make_track):
    signal = loop_signal(make_track(motion=looped, loop_hash=True))
    assert signal.score is not None and signal.score > 0.9
    assert signal.evidence["period_s"] == pytest.approx(2.5, abs=0.1)


def test_wandering_head_is_not_a_loop(make_track):
    signal = loop_signal(make_track(motion=wander, loop_hash=True))
    assert signal.score is not None and signal.score < 0.3


def test_still_head_is_not_judged_for_looping(make_track):
    assert loop_signal(make_track(loop_hash=True)).score is None


@pytest.mark.parametrize(("jitter", "ai_like"), [(0.0, True), (3.0, False)])
def test_pose_jitter(make_track, jitter, ai_like):
    signal = pose_jitter_signal(make_track(motion=looped, jitter=jitter))
    assert signal.score is not None and (signal.score > 0.5) is ai_like


def test_pose_jitter_needs_face_frames(make_track):
    assert pose_jitter_signal(make_track(seconds=0.5)).score is None


@pytest.mark.parametrize(("mouth_lead", "ai_like"), [(0.0, True), (0.2, False)])
def test_mouth_sync(make_track, audio_factory, envelope_fn, mouth_lead, ai_like):
    t = np.arange(12 * 12) / 12.0
    jaw = 0.05 + 0.3 * envelope_fn(t + mouth_lead, period=0.75, duty=0.6)
    voice = VoiceFeatures.from_audio(audio_factory(12.0, lambda x: np.full_like(x, 180.0)))
    signal = mouth_sync_signal(make_track(jaw=jaw), voice)
    assert signal.score is not None and (signal.score > 0.5) is ai_like


@pytest.mark.parametrize(
    ("audio", "jaw", "reason"),
    [
        (AudioPCM.empty(), 0.1, "no audio"),
        (AudioPCM(np.zeros(16_000 * 12, np.float32)), 0.1, "too little speech"),
        (None, None, "does not move"),
    ],
)
def test_mouth_sync_not_judged(make_track, audio_factory, envelope_fn, audio, jaw, reason):
    audio = audio if audio is not None else audio_factory(12.0, lambda x: np.full_like(x, 180.0))
    jaw_series = None if jaw is None else jaw + 0.2 * envelope_fn(np.arange(144) / 12.0)
    signal = mouth_sync_signal(make_track(jaw=jaw_series), VoiceFeatures.from_audio(audio))
    assert signal.score is None and reason in signal.reason


def test_flat_voice_scores_high_and_varied_voice_low(audio_factory):
    flat = voice_signal(VoiceFeatures.from_audio(audio_factory(10.0, lambda t: np.full_like(t, 190.0))))
    varied = voice_signal(
        VoiceFeatures.from_audio(audio_factory(10.0, lambda t: 160.0 * 2 ** (3 * np.sin(2 * np.pi * 0.7 * t) / 12)))
    )
    assert flat.score is not None and flat.score > 0.8
    assert varied.score is not None and varied.score < 0.2


def test_silent_voice_is_not_judged():
    assert voice_signal(VoiceFeatures.from_audio(AudioPCM(np.zeros(16_000 * 5, np.float32)))).score is None
