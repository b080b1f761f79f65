"""Encode generated frames and PCM into one container with PyAV, interleaved by time."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Literal

import av
import numpy as np

from monitor.demo.audio import resample

__all__ = ["AUDIO_RATE", "video_codec", "write_media"]

AUDIO_RATE = 48_000
_AAC_FRAME = 1024


def video_codec() -> Literal["libx264", "mpeg4"]:
    """``libx264`` where the PyAV wheel has it, else the always-present ``mpeg4``."""
    return "libx264" if "libx264" in av.codecs_available else "mpeg4"


def write_media(
    path: Path,
    *,
    duration: float,
    audio: np.ndarray | None,
    sample_rate: int,
    frame_at: Callable[[int], np.ndarray] | None = None,
    fps: int = 15,
    title: str = "",
) -> None:
    """Write ``path`` (mp4/m4a by suffix) with an H.264 track from ``frame_at(i)``, an AAC track
    from mono float32 ``audio`` at ``sample_rate``, or both; ``duration`` sets the frame count."""
    if audio is None and frame_at is None:
        raise ValueError("write_media needs audio, video or both")
    with av.open(str(path), "w") as container:
        if title:
            container.metadata["title"] = title
        vstream = _add_video(container, frame_at(0), fps) if frame_at else None
        astream = _add_audio(container) if audio is not None else None
        pcm = np.zeros(0, np.float32) if audio is None else resample(audio, sample_rate, AUDIO_RATE)
        n_frames = round(duration * fps) if frame_at else 0
        sent = 0  # audio samples already encoded
        for i in range(n_frames):
            frame = av.VideoFrame.from_ndarray(frame_at(i), format="rgb24")  # type: ignore[misc]
            frame.pts = i
            container.mux(vstream.encode(frame))  # type: ignore[union-attr]
            if astream is not None:
                sent = _send_audio(container, astream, pcm, sent, int((i + 1) * AUDIO_RATE / fps))
        if astream is not None:
            _send_audio(container, astream, pcm, sent, len(pcm))
            container.mux(astream.encode(None))
        if vstream is not None:
            container.mux(vstream.encode(None))


def _add_video(container: av.container.OutputContainer, first: np.ndarray, fps: int) -> av.VideoStream:
    codec = video_codec()
    stream = container.add_stream(codec, rate=fps)
    stream.height, stream.width = first.shape[:2]
    stream.pix_fmt = "yuv420p"
    stream.time_base = Fraction(1, fps)
    if codec == "libx264":
        stream.options = {"preset": "veryfast", "crf": "23", "tune": "stillimage"}
    else:
        stream.bit_rate = 800_000
    stream.codec_context.thread_count = 1
    return stream


def _add_audio(container: av.container.OutputContainer) -> av.AudioStream:
    stream = container.add_stream("aac", rate=AUDIO_RATE)
    stream.layout = "mono"
    stream.bit_rate = 64_000
    return stream


def _send_audio(
    container: av.container.OutputContainer, stream: av.AudioStream, pcm: np.ndarray, start: int, stop: int
) -> int:
    """Encode ``pcm[start:stop]`` in AAC-sized frames; returns where it stopped."""
    stop = min(stop, len(pcm))
    while start < stop:
        chunk = pcm[start : min(start + _AAC_FRAME, stop)]
        frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="fltp", layout="mono")
        frame.sample_rate = AUDIO_RATE
        frame.pts = start
        container.mux(stream.encode(frame))
        start += len(chunk)
    return start

