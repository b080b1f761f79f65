"""Observations: what the models saw and heard, in stream time (seconds)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ForgeryScores", "FrameText", "TextBox", "TranscriptSegment"]


@dataclass(frozen=True, slots=True)
class TranscriptSegment:
    """One transcribed utterance. ``text`` is normalised to Simplified Chinese."""

    start: float
    end: float
    text: str
    raw_text: str = ""
    confidence: float = 1.0
    """Mean token probability of the recogniser, 0..1."""
    cut_off: bool = False
    """The stream ended or skipped while this line was still being spoken: its last words are missing."""

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"TranscriptSegment ends before it starts: {self.start} > {self.end}")


@dataclass(frozen=True, slots=True)
class TextBox:
    """One line of on-screen text with its box in pixels (x0, y0, x1, y1)."""

    text: str
    box: tuple[float, float, float, float]
    score: float


@dataclass(frozen=True, slots=True)
class FrameText:
    """All on-screen text read from one sampled frame."""

    time: float
    frame_index: int
    boxes: tuple[TextBox, ...] = field(default_factory=tuple)
    width: int = 0
    height: int = 0
    reused: bool = False
    """True when OCR was skipped because the text regions had not changed."""

    @property
    def text(self) -> str:
        return " ".join(b.text for b in self.boxes)

    @classmethod
    def empty(cls, time: float, frame_index: int) -> FrameText:
        return cls(time=time, frame_index=frame_index)


@dataclass(frozen=True, slots=True)
class ForgeryScores:
    """A user's face-forgery model's score (0 real .. 1 forged) of each kept face crop."""

    model: str
    scores: tuple[float, ...] = ()
