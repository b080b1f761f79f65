"""Whether a face track can be judged at all: one face, in view, lit and large enough."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from monitor.observations.faces import FaceTrack

__all__ = ["FaceView", "Judgement", "QualityOptions", "face_view", "judge_track"]


@dataclass(frozen=True, slots=True)
class QualityOptions:
    """Limits below which the AI-likelihood is not computed."""

    min_face_share: float = 0.7
    """Share of sampled frames that must show a face."""
    max_multi_face_share: float = 0.2
    """Share of frames with several faces above which the host cannot be told apart."""
    min_brightness: float = 35.0
    """Median grey level (0..255) below which the video is too dark."""
    min_face_px: float = 48.0
    """Median face height in pixels of the analysed frames (full size up to 1920 px wide)."""
    small_face_px: float = 100.0
    """Median face height below which a judgement is flagged as resting on a small face."""
    min_seconds: float = 6.0
    """Face time needed for blink and motion statistics."""


@dataclass(frozen=True, slots=True)
class Judgement:
    """``judged`` or ``not_judged`` with the reason a reviewer can read."""

    status: Literal["judged", "not_judged"]
    reason: str = ""
    face_share: float = 0.0
    multi_face_share: float = 0.0

    @property
    def judged(self) -> bool:
        return self.status == "judged"


@dataclass(frozen=True, slots=True)
class FaceView:
    """How the host's face was seen: the frame's size and framing, and the face's median size in it."""

    width: int
    height: int
    framing: Literal["vertical", "landscape", "square", "unknown"]
    face_px: float | None
    """Median height of the host's face box, in pixels of the analysed frames."""
    face_share_of_height: float | None
    small: bool
    """The face is below ``QualityOptions.small_face_px``: blinks and lip movement are read less surely."""

    def describe(self) -> str:
        """One line for a reviewer, Chinese first."""
        frame = f"{self.width}x{self.height}"
        framing = {"vertical": "竖屏 vertical", "landscape": "横屏 landscape", "square": "方屏 square"}.get(
            self.framing, "未知 unknown"
        )
        if self.face_px is None:
            return f"画面 {framing} {frame} · 未见人脸 no face seen"
        size = f"人脸高 face {self.face_px:.0f} px ({self.face_share_of_height:.0%} of frame height)"
        small = " · 小脸，判断把握较低 small face: weaker evidence" if self.small else ""
        return f"画面 {framing} {frame} · {size}{small}"


def face_view(track: FaceTrack, options: QualityOptions = QualityOptions()) -> FaceView:
    """The framing and the median face size of ``track``."""
    w, h = track.width, track.height
    framing: Literal["vertical", "landscape", "square", "unknown"] = (
        "unknown" if not w or not h else "vertical" if h > w * 1.05 else "landscape" if w > h * 1.05 else "square"
    )
    heights = [f.face.box[3] - f.face.box[1] for f in track.frames if f.face is not None]
    if not heights:
        return FaceView(w, h, framing, None, None, False)
    px = float(np.median(heights))
    return FaceView(w, h, framing, round(px, 1), round(px / h, 4) if h else None, px < options.small_face_px)


def judge_track(track: FaceTrack, options: QualityOptions = QualityOptions()) -> Judgement:
    """The first reason the track cannot be judged, or ``judged``."""
    frames = track.frames
    if not frames:
        return Judgement("not_judged", "no video frames were analysed for faces")
    with_face = [f for f in frames if f.face is not None]
    face_share = len(with_face) / len(frames)
    multi = sum(f.n_faces > 1 for f in frames) / len(frames)

    def no(reason: str) -> Judgement:
        return Judgement("not_judged", reason, face_share, multi)

    brightness = float(np.median([f.brightness for f in frames]))
    if brightness < options.min_brightness:
        return no(f"video too dark to judge the host (median grey level {brightness:.0f})")
    if not with_face:
        return no("no face in view")
    if multi > options.max_multi_face_share:
        return no(f"several faces in view in {multi:.0%} of frames; cannot tell which one is the host")
    if face_share < options.min_face_share:
        return no(f"the face is in view in only {face_share:.0%} of frames (it leaves the frame)")
    heights = [f.face.box[3] - f.face.box[1] for f in with_face if f.face is not None]
    height = float(np.median(heights))
    if height < options.min_face_px:
        return no(f"face too small to judge (median {height:.0f} px tall)")
    seconds = len(with_face) / track.fps if track.fps > 0 else 0.0
    if seconds < options.min_seconds:
        return no(f"only {seconds:.1f} s of face in view; need {options.min_seconds:g} s")
    return Judgement("judged", "", face_share, multi)
