"""The demo room looped to any length as HLS segments, with timestamps that run on across loops.

The demo mp4 has a keyframe every ~17 s, too coarse for live segments; it is re-encoded once with a
keyframe every :data:`SEGMENT_S` seconds (video; the audio is copied), then its packets are muxed
loop after loop, each loop's timestamps shifted by the loop's length, into FFmpeg's HLS muxer. So
stream time ``s`` is loop ``s // loop_s`` at ``s % loop_s`` of the demo room, and the planted claims of
``monitor/demo/truth.py`` repeat every ``loop_s`` seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

__all__ = ["SEGMENT_S", "LoopedStream", "loop_stream"]

SEGMENT_S = 2.0
"""Seconds per HLS segment (and between keyframes)."""


@dataclass(frozen=True, slots=True)
class LoopedStream:
    """HLS segments in ``folder``: names, lengths, and where each starts in stream time."""

    folder: Path
    segments: list[tuple[str, float]]
    starts: list[float]
    loop_s: float
    """Seconds of one loop of the demo room."""

    @property
    def duration(self) -> float:
        return self.starts[-1] + self.segments[-1][1] if self.segments else 0.0


def _keyframed(video: Path, out: Path) -> float:
    """``video`` with a keyframe every :data:`SEGMENT_S` s (audio copied) at ``out``; its length in seconds."""
    with av.open(str(video)) as src, av.open(str(out), mode="w") as dst:
        vin, ain = src.streams.video[0], src.streams.audio[0]
        fps = Fraction(vin.average_rate or 15)
        gop = round(SEGMENT_S * fps)
        vout = dst.add_stream("libx264", rate=fps, options={
            "preset": "ultrafast", "g": str(gop), "keyint_min": str(gop), "sc_threshold": "0",
        })
        vout.width, vout.height, vout.pix_fmt = vin.codec_context.width, vin.codec_context.height, "yuv420p"
        aout = dst.add_stream_from_template(ain)
        frames = 0
        for packet in src.demux(vin, ain):
            if packet.stream is ain:
                if packet.dts is not None:
                    packet.stream = aout
                    dst.mux(packet)
                continue
            for frame in packet.decode():
                if not isinstance(frame, av.VideoFrame):
                    continue
                frame.pts, frame.time_base = frames, 1 / fps
                frames += 1
                dst.mux(vout.encode(frame))
        dst.mux(vout.encode())
    return float(frames / fps)


def loop_stream(video: Path, seconds: float, folder: Path) -> LoopedStream:
    """Cut ``video`` looped to at least ``seconds`` into HLS segments in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    one = folder / "one_loop.mp4"
    loop_s = _keyframed(video, one)
    loops = int(seconds // loop_s) + 1
    with av.open(str(folder / "all.m3u8"), mode="w", format="hls", options={
        "hls_time": str(SEGMENT_S), "hls_playlist_type": "vod", "hls_segment_filename": str(folder / "seg%05d.ts"),
    }) as dst, av.open(str(one)) as first:
        outs = {s.index: dst.add_stream_from_template(s) for s in (first.streams.video[0], first.streams.audio[0])}
        for loop in range(loops):
            with av.open(str(one)) as src:
                for packet in src.demux(src.streams.video[0], src.streams.audio[0]):
                    if packet.dts is None or packet.pts is None or packet.time_base is None:
                        continue
                    t = float(packet.pts * packet.time_base)
                    if t < 0 or t >= loop_s:  # the audio's priming and its last packet past the loop's end
                        continue
                    shift = round(loop * loop_s / packet.time_base)
                    packet.pts, packet.dts = packet.pts + shift, packet.dts + shift
                    packet.stream = outs[packet.stream.index]
                    dst.mux(packet)
    lines = (folder / "all.m3u8").read_text().splitlines()
    lengths = [float(line.split(":")[1].rstrip(",")) for line in lines if line.startswith("#EXTINF:")]
    names = [line for line in lines if line.endswith(".ts")]
    starts = [0.0]
    for length in lengths[:-1]:
        starts.append(starts[-1] + length)
    return LoopedStream(folder, list(zip(names, lengths, strict=True)), starts, loop_s)
