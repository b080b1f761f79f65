"""Render benchmark scenarios to small MP4 files (cached by scenario and generator version)."""

from __future__ import annotations

import hashlib
import json
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from benchmarks.digital_human.face import FacePose, draw_face
from benchmarks.digital_human.framing import framing_named, room_frame
from benchmarks.digital_human.scenario import SR, Scenario, timeline
from monitor.demo.audio import resample
from monitor.demo.cache import cached_folder
from monitor.demo.mux import video_codec
from monitor.demo.paths import font_path

__all__ = ["AIGC_TAG", "GENERATOR_VERSION", "SIZE", "clip_path", "frame_size", "label_visible", "render_clip"]

GENERATOR_VERSION = "dh-2"
SIZE = (320, 240)
AIGC_TAG = json.dumps({"Label": "1", "ContentProducer": "livemon-benchmark", "ProduceID": "dh"})
LABEL_ON, LABEL_OFF = 4.0, 6.0
"""Seconds on and off of the intermittent label."""
AUDIO_RATE = 48_000


@lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path()), size)


def label_visible(scenario: Scenario, t: float) -> bool:
    """Whether the on-screen label shows at ``t`` seconds."""
    if scenario.condition in ("continuous", "small_corner"):
        return True
    if scenario.condition == "intermittent":
        return t % (LABEL_ON + LABEL_OFF) < LABEL_ON
    return False


def frame_size(scenario: Scenario) -> tuple[int, int]:
    """Width and height of the clip's frames."""
    return SIZE if scenario.framing == "closeup" else framing_named(scenario.framing).size


def _draw_frame(scenario: Scenario, pose: FacePose) -> np.ndarray:
    if scenario.framing == "closeup":
        return draw_face(pose, SIZE)
    framing = framing_named(scenario.framing)
    return room_frame(framing, framing.host_face_px, pose, seed=scenario.seed)


def _draw_label(frame: np.ndarray, scenario: Scenario, t: float) -> np.ndarray:
    """The label of the close-up clips, scaled with the frame's short side."""
    if not label_visible(scenario, t):
        return frame
    w, h = frame.shape[1], frame.shape[0]
    k = min(w, h) / SIZE[1]
    image = Image.fromarray(frame)
    draw = ImageDraw.Draw(image)
    if scenario.condition == "small_corner":  # about 1.5% of the frame height: not prominent in any framing
        size = max(7, round(0.015 * h))
        draw.text((w - 4.3 * size, h - 1.6 * size), "AI生成", font=_font(size), fill=(235, 235, 235))
    else:
        draw.rectangle((4 * k, 4 * k, 118 * k, 30 * k), fill=(0, 0, 0))
        draw.text((9 * k, 6 * k), "数字人直播", font=_font(round(19 * k)), fill=(255, 255, 255))
    return np.asarray(image)


def render_clip(scenario: Scenario, path: Path) -> None:
    """Write ``scenario`` as H.264 + AAC MP4, with an AIGC metadata tag for ``metadata_only``."""
    line = timeline(scenario)
    pcm = resample(line.audio, SR, AUDIO_RATE)
    with av.open(str(path), "w", options={"movflags": "use_metadata_tags"}) as out:
        if scenario.condition == "metadata_only":
            out.metadata["AIGC"] = AIGC_TAG
        video = out.add_stream(video_codec(), rate=scenario.fps)
        video.width, video.height = frame_size(scenario)
        video.pix_fmt = "yuv420p"
        video.time_base = Fraction(1, scenario.fps)
        audio = out.add_stream("aac", rate=AUDIO_RATE)
        audio.layout = "mono"
        sent = 0
        for i, pose in enumerate(line.poses):
            t = i / scenario.fps
            frame = av.VideoFrame.from_ndarray(_draw_label(_draw_frame(scenario, pose), scenario, t), format="rgb24")
            frame.pts = i
            out.mux(video.encode(frame))
            stop = min(len(pcm), int((i + 1) * AUDIO_RATE / scenario.fps))
            while sent < stop:
                chunk = pcm[sent : min(sent + 1024, stop)]
                aframe = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="fltp", layout="mono")
                aframe.sample_rate, aframe.pts = AUDIO_RATE, sent
                out.mux(audio.encode(aframe))
                sent += len(chunk)
        out.mux(audio.encode(None))
        out.mux(video.encode(None))


def clip_path(scenario: Scenario) -> Path:
    """The cached MP4 of ``scenario``, rendered on first use."""
    key = hashlib.sha256(f"{GENERATOR_VERSION}|{scenario}".encode()).hexdigest()[:12]
    folder = cached_folder(f"dh-{scenario.name}", key, lambda out: render_clip(scenario, out / "clip.mp4"))
    return folder / "clip.mp4"
