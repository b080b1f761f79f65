"""Evidence clips: MP4 stream copies around a moment, from a file or from a room's ring of recent packets.

What a reviewer's player sees is checked by decoding the clip: its streams, its length, and that its
time 0 is the window's start (the frames before it, kept for decoding, are hidden).
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from monitor.demo.bad_inputs import BadInputs
from monitor.demo.truth import StreamTruth
from monitor.media.clips import Clip, ClipError, PacketRing, clip_window, cut_file
from monitor.media.decode import DecodeOptions, DecodeReport, iter_media
from monitor.media.types import AudioPCM


def _played(clip: Clip) -> dict[str, list[float]]:
    """The frame times a player shows, per kind of stream."""
    times: dict[str, list[float]] = {}
    with av.open(str(clip.path)) as container:
        for frame in container.decode(*container.streams):
            times.setdefault(type(frame).__name__, []).append(float(frame.time or 0.0))
    return times


def _remux(source: Path, out: Path, fmt: str) -> Path:
    with av.open(str(source)) as inp, av.open(str(out), "w", format=fmt) as container:
        streams = {s.index: container.add_stream_from_template(s) for s in inp.streams}
        for packet in inp.demux():
            if packet.dts is not None:
                packet.stream = streams[packet.stream.index]
                container.mux(packet)
    return out


def test_a_clip_is_ten_seconds_of_video_and_audio_starting_at_the_window(
    demo: tuple[Path, StreamTruth], tmp_path: Path
) -> None:
    start, end = clip_window(25.0)
    assert (start, end) == (20.0, 30.0)
    clip = cut_file(demo[0], start, end, tmp_path / "c.mp4", at=25.0)
    assert clip.start == 20.0 and clip.video and clip.audio and 10.0 <= clip.duration <= 10.5
    played = _played(clip)
    # the demo's keyframes are 16.7 s apart: the clip holds the GOP from 16.7 s, but plays from the window
    assert min(played["VideoFrame"]) == 0.0 and min(played["AudioFrame"]) == 0.0
    assert 9.9 <= max(played["VideoFrame"]) <= 10.5 and 9.9 <= max(played["AudioFrame"]) <= 10.1
    with av.open(str(clip.path)) as container:
        assert container.format.name.startswith("mov,mp4") and 10.0 <= container.duration / 1e6 <= 10.5


def test_clips_at_the_files_edges_are_cut_short_and_still_hold_the_moment(
    demo: tuple[Path, StreamTruth], tmp_path: Path
) -> None:
    length = demo[1].duration
    first = cut_file(demo[0], *clip_window(1.0), tmp_path / "first.mp4", at=1.0)
    assert first.start == 0.0 and 5.9 <= first.duration <= 6.3
    last = cut_file(demo[0], *clip_window(length - 1.0), tmp_path / "last.mp4", at=length - 1.0)
    assert last.start == pytest.approx(length - 6.0, abs=0.01) and 5.5 <= last.duration <= 6.5
    assert max(_played(last)["VideoFrame"]) < last.duration
    with pytest.raises(ClipError, match="does not hold"):
        cut_file(demo[0], *clip_window(length + 30.0), tmp_path / "after.mp4", at=length + 30.0)
    assert not (tmp_path / "after.mp4").exists()


def test_an_audio_only_source_gives_an_audio_clip(bad: BadInputs, tmp_path: Path) -> None:
    clip = cut_file(bad.audio_only, *clip_window(2.0), tmp_path / "a.mp4", at=2.0)
    assert clip.audio and not clip.video and clip.start == 0.0
    assert set(_played(clip)) == {"AudioFrame"}


def test_an_mpeg_ts_file_is_sought_back_to_the_keyframe_before_the_window(
    demo: tuple[Path, StreamTruth], tmp_path: Path
) -> None:
    """MPEG-TS seeks land near the target, after the keyframe the clip needs: the cutter seeks further back."""
    ts = _remux(demo[0], tmp_path / "room.ts", "mpegts")
    clip = cut_file(ts, 20.0, 30.0, tmp_path / "c.mp4", at=25.0)
    assert clip.video and clip.audio and clip.start == 20.0
    played = _played(clip)
    assert min(played["VideoFrame"]) == 0.0 and len(played["VideoFrame"]) >= 140


def test_a_stream_mp4_cannot_hold_gives_no_clip_and_says_why(tmp_path: Path) -> None:
    raw = tmp_path / "raw.nut"
    with av.open(str(raw), "w") as container:
        stream = container.add_stream("rawvideo", rate=10)
        stream.width, stream.height, stream.pix_fmt = 32, 16, "yuv420p"
        for i in range(20):
            frame = av.VideoFrame.from_ndarray(np.zeros((16, 32, 3), np.uint8), format="rgb24").reformat(
                format="yuv420p")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    with pytest.raises(ClipError, match="rawvideo.*cannot be copied into an MP4"):
        cut_file(raw, 0.0, 2.0, tmp_path / "c.mp4", at=1.0)
    assert not (tmp_path / "c.mp4").exists()
    with pytest.raises(ClipError, match="cannot read"):
        cut_file(tmp_path / "missing.mp4", 0.0, 2.0, tmp_path / "c.mp4")


def test_the_ring_is_bounded_by_seconds_and_bytes(demo: tuple[Path, StreamTruth]) -> None:
    with av.open(str(demo[0])) as container:
        by_time = PacketRing(container.streams, seconds=20.0)
        by_bytes = PacketRing(container.streams, seconds=600.0, max_bytes=100_000)
        for packet in container.demux(*container.streams):
            by_time.add(packet)
            by_bytes.add(packet)
            assert by_bytes.bytes <= 100_000
            if by_time.newest is not None and by_time.oldest is not None:
                assert by_time.newest - by_time.oldest <= 20.5
    assert by_time.newest is not None and by_time.newest > 70.0
    assert 0 < len(by_bytes) < len(by_time)


def test_the_ring_writes_the_clip_of_a_moment_it_still_holds(demo: tuple[Path, StreamTruth], tmp_path: Path) -> None:
    report = DecodeReport()
    with av.open(str(demo[0])) as container:  # clips are written while the room's container is open
        ring = PacketRing(container.streams, seconds=40.0)
        for item in iter_media(container, DecodeOptions(video=False), report, on_packet=ring.add):
            if isinstance(item, AudioPCM) and item.start >= 52.0:
                break
        assert report.start_time is not None and ring.newest is not None and ring.newest >= 50.0
        # audio was decoded and video only demuxed (as in a watch with --no-screen): the clip has both
        clip = ring.write(*clip_window(40.0), report.start_time, tmp_path / "r.mp4", at=40.0)
        with pytest.raises(ClipError, match="does not hold 5.0s"):
            ring.write(*clip_window(5.0), report.start_time, tmp_path / "old.mp4", at=5.0)
    assert clip.start == 35.0 and clip.video and clip.audio and 10.0 <= clip.duration <= 10.5
    assert min(_played(clip)["VideoFrame"]) == 0.0  # from the keyframe at 32.6 s, kept in the ring
