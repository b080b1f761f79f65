"""Generated test media: the demo room, its ground truth, TTS and the bad-input fixtures.

The demo stream and fixtures are built once into the livemon cache (about a minute on two
cores the first time) and reused by later runs.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import av
import numpy as np
import pytest

from monitor.demo import (
    BadInputs,
    Beat,
    MandarinTTS,
    Script,
    StreamTruth,
    bad_inputs,
    build_stream,
    demo_stream,
)
from monitor.demo.render import VideoOptions


@pytest.fixture(scope="session")
def demo() -> tuple[Path, StreamTruth]:
    mp4, truth = demo_stream()
    return mp4, StreamTruth.load(truth)


@pytest.fixture(scope="session")
def fixtures() -> BadInputs:
    return bad_inputs()


@pytest.fixture(scope="session")
def tts() -> MandarinTTS:
    return MandarinTTS()


def _audio(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=16_000)
        frames = [f for packet in container.decode(audio=0) for f in resampler.resample(packet)]
        frames += resampler.resample(None)
    return np.concatenate([f.to_ndarray().ravel() for f in frames])


def _frame_at(path: Path, t: float) -> np.ndarray:
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            if frame.time is not None and frame.time >= t:
                return frame.to_ndarray(format="rgb24")
    raise AssertionError(f"no frame at {t}s in {path}")


def _banner_share(image: np.ndarray) -> float:
    """Share of pixels in the lower third that have the overlay banner's red."""
    low = image[image.shape[0] * 2 // 3 :].astype(int)
    red = (low[..., 0] > 150) & (low[..., 1] < 70) & (low[..., 2] < 80)
    return float(red.mean())


def test_demo_has_both_tracks_and_the_truth_duration(demo: tuple[Path, StreamTruth]) -> None:
    mp4, truth = demo
    with av.open(str(mp4)) as container:
        assert container.streams.video and container.streams.audio
        video = container.streams.video[0]
        assert (video.width, video.height) == (truth.width, truth.height) == (640, 360)
        assert container.duration is not None
        assert container.duration / av.time_base == pytest.approx(truth.duration, abs=0.1)
    assert 60 <= truth.duration <= 80
    assert truth.beats[-1].end <= truth.duration


def test_demo_truth_plants_separate_claims(demo: tuple[Path, StreamTruth]) -> None:
    _, truth = demo
    assert len(truth.speech_claims()) >= 6
    assert len(truth.screen_claims()) >= 3
    assert sum(b.clean for b in truth.beats) >= 3
    assert {"price_fraud", "traffic_diversion", "absolute_terms"} <= {
        label for b in truth.screen_claims() for label in b.screen_labels
    }
    for before, after in pairwise(truth.beats):
        assert before.start < before.end <= after.start


def test_demo_speech_and_overlays_sit_where_the_truth_says(demo: tuple[Path, StreamTruth]) -> None:
    mp4, truth = demo
    audio = _audio(mp4)
    first = truth.beats[0]
    assert first.speech_start is not None and first.speech_end is not None
    lead = audio[: int(first.speech_start * 16_000) - 1600]
    speech = audio[int(first.speech_start * 16_000) : int(first.speech_end * 16_000)]
    assert np.abs(lead).max() < 0.01 < np.sqrt(np.mean(speech**2))
    shown = truth.screen_claims()[0]
    bare = next(b for b in truth.beats if not b.screen)
    assert _banner_share(_frame_at(mp4, (shown.start + shown.end) / 2)) > 0.05
    assert _banner_share(_frame_at(mp4, (bare.start + bare.end) / 2)) < 0.01


def test_tts_gives_speech_at_16khz(tts: MandarinTTS) -> None:
    samples = tts.synthesize("三十九块九包邮。")
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert 0.8 < len(samples) / 16_000 < 4.0
    assert np.sqrt(np.mean(samples**2)) > 0.02 and np.abs(samples).max() <= 1.0


def test_tts_splits_long_sentences_under_the_token_limit(tts: MandarinTTS) -> None:
    tts.synthesize("好。")  # loads the model and G2P
    chunks = list(tts._token_chunks("，".join(["第一次来的宝宝点个关注"] * 30) + "。"))
    assert len(chunks) > 1 and max(map(len, chunks)) <= 500


def test_bad_inputs_are_what_they_claim(fixtures: BadInputs) -> None:
    assert fixtures.empty.stat().st_size == 0
    for broken in (fixtures.random_bytes, fixtures.truncated):
        assert broken.stat().st_size > 0
        with pytest.raises(av.error.FFmpegError):
            av.open(str(broken)).close()
    assert fixtures.truncated.stat().st_size == int(fixtures.silent_mp4.stat().st_size * 0.3)


@pytest.mark.parametrize(
    ("name", "has_video", "has_audio"),
    [
        ("audio_only", False, True),
        ("video_only", True, False),
        ("silent_mp4", True, True),
        ("silent_wav", False, True),
    ],
)
def test_one_sided_and_silent_inputs_have_the_tracks_described(
    fixtures: BadInputs, name: str, has_video: bool, has_audio: bool
) -> None:
    path: Path = getattr(fixtures, name)
    with av.open(str(path)) as container:
        assert bool(container.streams.video) is has_video
        assert bool(container.streams.audio) is has_audio
    if has_audio:
        loud = np.abs(_audio(path)).max()
        assert loud > 0.1 if name == "audio_only" else loud < 1e-3


def test_one_sided_inputs_carry_their_truth(fixtures: BadInputs) -> None:
    audio_truth = StreamTruth.load(fixtures.audio_only.with_suffix(".json"))
    video_truth = StreamTruth.load(fixtures.video_only.with_suffix(".json"))
    assert (audio_truth.has_video, audio_truth.beats[0].speech_labels) == (False, ("absolute_terms",))
    assert (video_truth.has_audio, video_truth.beats[0].screen_labels) == (False, ("price_fraud",))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"say": "你好", "speech_labels": ("not_a_category",)}, "unknown claim categories"),
        ({"say": "你好", "screen_labels": ("price_fraud",)}, "without screen text"),
        ({"screen": ("¥59",), "speech_labels": ("price_fraud",)}, "without speech"),
        ({"screen": ("¥59",), "pause": 0.0}, "positive pause"),
    ],
)
def test_beat_rejects_inconsistent_labels(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Beat(**kwargs)  # type: ignore[arg-type]


def test_build_stream_is_cached_by_script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVEMON_CACHE", str(tmp_path))
    script = Script(beats=(Beat(screen=("¥39.9 包邮",), pause=1.0),))
    small = VideoOptions(160, 90, 5)
    first = build_stream(script, "tiny", small)
    stamp = first.path.stat().st_mtime_ns
    again = build_stream(script, "tiny", small)
    assert again == first and again.path.stat().st_mtime_ns == stamp
    other = build_stream(Script(beats=(Beat(screen=("好物",), pause=1.0),)), "tiny", small)
    assert other.path != first.path
    truth = other.load_truth()
    assert (truth.duration, truth.has_audio, truth.beats[0].screen) == (1.6, True, ("好物",))
