"""Every type that crosses a stage boundary serialises to JSON and loads back exactly."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from monitor.findings import Evidence, Finding
from monitor.media.types import AudioPCM, MediaInfo
from monitor.observations.faces import FaceFrame, FaceObservation, FaceTrack
from monitor.observations.record import (
    DecodeSummary,
    ScreenRecord,
    SpeechRecord,
    StreamRecord,
    dump_json,
    load_json,
)
from monitor.observations.types import ForgeryScores, FrameText, TextBox, TranscriptSegment
from monitor.observations.voice import VoiceFeatures

NOISE = np.random.default_rng(0).normal(0, 0.1, 16_000 * 4).astype(np.float32)
VOICE = VoiceFeatures.from_audio(AudioPCM(NOISE, start=1.5))
SEGMENT = TranscriptSegment(0.1, 2.3000000000000003, "原价599今天只要59", "原价599４今天只要59", 0.7333333333333333)
FRAME = FrameText(1 / 3, 7, (TextBox("全网最低价<b>", (1.0, 2.5, 300.25, 40.0), 0.9312),), 720, 1280, reused=True)
FACE = FaceFrame(0.1, 1, 120.5, FaceObservation((1.0, 2.0, 3.5, 4.25), 0.1, 0.2, 0.3, 1.1, -2.2, 3.3), 2**63 - 5)
TRACK = FaceTrack((FACE, FaceFrame(0.2, 0, 1.0)), 320, 240, 10.0, "mediapipe")
INFO = MediaInfo("/rec/房间 1.mp4", None, True, True, 720, 1280, 25.0, "mov,mp4", {"AIGC": '{"Label": "1"}'})
SCREEN = ScreenRecord(
    1.0,
    3,
    (FRAME,),
    TRACK,
    ForgeryScores("onnx:m.onnx", (0.1, 0.25)),
    ((0.0, "frame_000000_000000.00s.jpg"),),
    DecodeSummary(12.3, 1, 40, "stopped at the maximum of 25s"),
    "rapidocr",
)
SPEECH = SpeechRecord((SEGMENT,), VOICE, 4.0, DecodeSummary(5.5), "faster-whisper:embedded:base:int8")
FINDING = Finding(
    "price_fraud",
    "block",
    1.0,
    3.0,
    "speech",
    "原价599今天只要59",
    0.77,
    "明码标价",
    "price.x",
    (0, 9),
    "a.mp4",
    Evidence("f.jpg", "ctx", {"ratio": 10.15, "nested": {"a": [1, 2]}}),
    {"livemon": "0.1.0"},
)


@pytest.mark.parametrize(
    "value",
    [SEGMENT, replace(SEGMENT, cut_off=True), FRAME, FRAME.boxes[0], FACE, TRACK, INFO, VOICE,
     ForgeryScores("m", (0.5,)), DecodeSummary(),
     SCREEN, SPEECH, StreamRecord(INFO, SCREEN, SPEECH), StreamRecord(INFO), FINDING],
    ids=lambda v: type(v).__name__,
)
def test_round_trip_is_exact(value: Any) -> None:
    data = dump_json(value)
    back = load_json(type(value), data)
    assert back == value
    assert dump_json(back) == data


def test_voice_features_load_back_to_the_same_numbers() -> None:
    back = load_json(VoiceFeatures, dump_json(VOICE))
    times = np.array([2.0, 3.0, 4.5])
    np.testing.assert_array_equal(back.envelope(times, 0.1), VOICE.envelope(times, 0.1))
    np.testing.assert_array_equal(back.pitch(), VOICE.pitch())


def test_the_envelope_is_the_rms_of_the_audio_around_each_time() -> None:
    samples = np.concatenate([np.zeros(16_000, np.float32), np.full(16_000, 0.5, np.float32)])
    voice = VoiceFeatures.from_audio(AudioPCM(samples, start=10.0))
    np.testing.assert_allclose(voice.envelope(np.array([10.5, 11.5, 13.0]), 0.2), [0.0, 0.5, 0.0], atol=1e-6)


def test_a_face_seen_only_by_its_box_loads_back() -> None:
    nan = float("nan")
    other = FaceFrame(0.3, 2, 90.0, FaceObservation((1.0, 2.0, 3.0, 4.0), nan, nan, nan, nan, nan, float("inf")))
    track = FaceTrack((FACE, other), 320, 240, 10.0, "mediapipe")
    data = dump_json(track)
    back = load_json(FaceTrack, data)
    assert back.frames[0] == FACE and back.frames[1].face is not None
    assert np.isnan(back.series("blink_left")[1]) and back.frames[1].face.roll == float("inf")
    assert dump_json(back) == data
