from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from monitor.demo.mux import video_codec
from monitor.demo.truth import StreamTruth
from monitor.media.decode import DecodeOptions, DecodeReport, iter_media, join_audio
from monitor.media.pixels import I420Pixels
from monitor.media.types import AudioPCM, DenseFrame, SampledFrame
from monitor.sources.open import open_source


def _decode(
    path: Path, options: DecodeOptions
) -> tuple[AudioPCM, list[SampledFrame | DenseFrame], DecodeReport]:
    report = DecodeReport()
    container = open_source(str(path))
    try:
        items = list(iter_media(container, options, report))
    finally:
        container.close()
    audio = join_audio([i for i in items if isinstance(i, AudioPCM)])
    return audio, [i for i in items if not isinstance(i, AudioPCM)], report


def test_demo_stream_decodes_to_16k_audio_and_sampled_frames(demo: tuple[Path, StreamTruth]) -> None:
    video, truth = demo
    audio, frames, report = _decode(video, DecodeOptions(frame_interval=1.0))
    assert audio.sample_rate == 16_000 and audio.samples.dtype == np.float32
    assert abs(audio.duration - truth.duration) < 0.5
    assert float(np.abs(audio.samples).max()) > 0.05  # speech, not silence
    interval_frames = [f for f in frames if f.reason == "interval"]
    assert abs(len(interval_frames) - truth.duration) <= 2
    gaps = np.diff([f.time for f in interval_frames])
    assert gaps.min() >= 0.99 - 1e-6 and gaps.max() < 1.2
    assert report.corrupt_packets == 0 and report.stopped_early is None
    assert report.kept_frames == len(frames) < report.decoded_frames


def test_scene_changes_add_frames_between_intervals(demo: tuple[Path, StreamTruth]) -> None:
    video, _ = demo
    _, frames, _ = _decode(video, DecodeOptions(frame_interval=5.0, scene_threshold=8.0))
    assert any(f.reason == "scene" for f in frames)


def test_max_duration_stops_early(demo: tuple[Path, StreamTruth]) -> None:
    video, _ = demo
    audio, frames, report = _decode(video, DecodeOptions(max_duration=5.0))
    assert audio.duration <= 5.5 and all(f.time <= 5.0 for f in frames)
    assert report.stopped_early and "maximum" in report.stopped_early


def test_wide_frames_are_scaled_down(demo: tuple[Path, StreamTruth]) -> None:
    video, _ = demo
    _, frames, _ = _decode(video, DecodeOptions(max_width=320, max_duration=2.0))
    assert frames and all(f.image.shape[1] == 320 for f in frames)


def test_keyframes_only_skips_decoding_other_frames(demo: tuple[Path, StreamTruth]) -> None:
    video, _ = demo
    _, all_frames, full = _decode(video, DecodeOptions(audio=False))
    _, key_frames, keys = _decode(video, DecodeOptions(audio=False, keyframes_only=True))
    assert keys.decoded_frames < full.decoded_frames / 10
    assert key_frames and key_frames[0].time == 0.0
    times = [f.time for f in key_frames]
    assert all(b - a >= 1.0 for a, b in pairwise(times))
    assert len(key_frames) < len(all_frames)


def test_skipping_unsampled_frames_keeps_the_same_samples(demo: tuple[Path, StreamTruth]) -> None:
    video, _ = demo
    options = DecodeOptions(audio=False, dense_interval=0.1, dense_window=10.0, dense_period=30.0)
    _, every, full = _decode(video, replace(options, skip_unsampled=False))
    _, kept, skipping = _decode(video, options)
    assert [(f.time, f.reason) for f in kept] == [(f.time, f.reason) for f in every]
    assert all(np.array_equal(a.image, b.image) for a, b in zip(kept, every, strict=True) if a.reason != "dense")
    assert sum(f.reason == "dense" for f in kept) > 100
    if video_codec() == "libx264":  # the generated demo has B-frames, which nothing references
        assert skipping.decoded_frames < 0.95 * full.decoded_frames


def test_dense_frames_keep_their_planes(demo: tuple[Path, StreamTruth]) -> None:
    video, _ = demo
    _, frames, _ = _decode(video, DecodeOptions(audio=False, max_duration=3.0, dense_interval=0.5))
    dense = [f for f in frames if isinstance(f, DenseFrame)]
    interval = {f.time: f for f in frames if isinstance(f, SampledFrame)}
    assert dense and all(isinstance(f.pixels, I420Pixels) for f in dense)
    same_time = [f for f in dense if f.time in interval]
    assert same_time and all(np.array_equal(f.pixels.bgr(), interval[f.time].image) for f in same_time)


def test_audio_after_a_gap_in_the_stream_keeps_its_own_time(tmp_path: Path) -> None:
    """A live stream that skipped 4 s of audio: the samples after it are placed at their timestamps."""
    import av

    path = tmp_path / "gap.ts"
    rate, chunk = 16_000, 1024
    with av.open(str(path), mode="w", format="mpegts") as out:
        stream = out.add_stream("aac", rate=rate, layout="mono")
        for start in [*range(0, 2 * rate, chunk), *range(6 * rate, 8 * rate, chunk)]:
            tone = np.sin(2 * np.pi * 440 * (start + np.arange(chunk)) / rate).astype(np.float32)[None, :]
            frame = av.AudioFrame.from_ndarray(tone, format="flt", layout="mono")
            frame.sample_rate, frame.pts = rate, start
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    report = DecodeReport()
    with open_source(str(path)) as container:
        chunks = [c for c in iter_media(container, DecodeOptions(video=False), report) if isinstance(c, AudioPCM)]
    spans = [(c.start, c.start + c.duration) for c in chunks]
    assert all(end <= 2.2 or start >= 5.9 for start, end in spans), f"audio run on across the gap: {spans}"
    assert spans[-1][1] == pytest.approx(8.0, abs=0.15)
    assert report.audio_seconds == pytest.approx(4.0, abs=0.25)  # AAC pads each run by a frame or two


def test_dense_windows_begin_at_their_phase(demo: tuple[Path, StreamTruth]) -> None:
    video, _ = demo
    options = DecodeOptions(audio=False, max_duration=12.0, dense_interval=0.5, dense_window=2.0, dense_period=6.0,
                            dense_phase=3.0)
    _, frames, _ = _decode(video, options)
    dense = [f.time for f in frames if isinstance(f, DenseFrame)]
    assert dense and all(3.0 <= t % 6.0 < 5.0 for t in dense), dense
    assert dense[0] == pytest.approx(3.0) and min(t for t in dense if t > 6.0) == pytest.approx(9.0)
