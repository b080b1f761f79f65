"""Disclosure channels: on-screen label, spoken disclosure, implicit metadata label, room metadata."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from monitor.observations.types import FrameText, TextBox, TranscriptSegment

__all__ = [
    "LabelCoverage",
    "MetadataLabel",
    "SpokenDisclosure",
    "is_label_text",
    "metadata_label",
    "screen_label",
    "spoken_disclosures",
]

_AI = r"(?:A[IL1|]|人工智能)"
LABEL_PATTERN = re.compile(
    rf"数字人|虚拟主播|虚拟人|{_AI}(?:生成|合成|主播|数字人|驱动)|由{_AI}|本直播由人工智能|智能合成"
)
BADGE_PATTERN = re.compile(r"^[\[(]?A[IL1|][\])]?$")
NEGATION = re.compile(r"(?:不是|并非|非|没有)$")
METADATA_KEYS = frozenset({"aigc", "aigc_label", "aigclabel", "ai_generated", "aigenerated", "ai_label"})
POSITIVE_LABELS = frozenset({"1", "2", "3", "true", "yes"})


def _normalise(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).upper().replace("人工智慧", "人工智能")


def is_label_text(text: str) -> bool:
    """True when ``text`` is AI-disclosure wording or a bare "AI" badge."""
    norm = _normalise(text)
    return bool(BADGE_PATTERN.match(norm)) or any(
        not NEGATION.search(norm[: m.start()]) for m in LABEL_PATTERN.finditer(norm)
    )


@dataclass(frozen=True, slots=True)
class LabelCoverage:
    """Where and how long an AI label was visible on screen."""

    coverage: float
    """Share of the judged stream time with the label visible, 0..1."""
    gaps: tuple[tuple[float, float], ...]
    """Stretches without the label longer than the allowed gap, (start, end) seconds."""
    first_seen: float | None
    text: str = ""
    position: str = ""
    """Where the label mostly sat: top-left, top, top-right, left, centre, right, bottom-left, bottom, bottom-right."""
    box: tuple[float, float, float, float] | None = None
    height_ratio: float = 0.0
    """Median label text height over frame height (prominence)."""
    samples: int = 0

    @property
    def seen(self) -> bool:
        return self.first_seen is not None


def _position(box: tuple[float, float, float, float], width: int, height: int) -> str:
    cx = (box[0] + box[2]) / 2 / max(width, 1)
    cy = (box[1] + box[3]) / 2 / max(height, 1)
    col = "left" if cx < 1 / 3 else "right" if cx > 2 / 3 else ""
    row = "top" if cy < 1 / 3 else "bottom" if cy > 2 / 3 else ""
    return "-".join(p for p in (row, col) if p) or "centre"


def screen_label(frames: Sequence[FrameText], duration: float | None, max_gap: float) -> LabelCoverage:
    """Label coverage from OCR'd frames; each frame stands for the time until the next one."""
    frames = sorted(frames, key=lambda f: f.time)
    if not frames:
        return LabelCoverage(0.0, (), None)
    steps = [b.time - a.time for a, b in zip(frames, frames[1:], strict=False)]
    step = sorted(steps)[len(steps) // 2] if steps else 1.0
    end = max(duration or 0.0, frames[-1].time + step)
    hits: list[tuple[FrameText, TextBox]] = []
    visible = 0.0
    gaps: list[tuple[float, float]] = []
    gap_start: float | None = 0.0
    for i, frame in enumerate(frames):
        until = frames[i + 1].time if i + 1 < len(frames) else end
        label = next((b for b in frame.boxes if is_label_text(b.text)), None)
        if label is None:
            continue
        hits.append((frame, label))
        visible += until - frame.time
        if gap_start is not None and frame.time - gap_start > max_gap:
            gaps.append((gap_start, frame.time))
        gap_start = None
        if i + 1 < len(frames) and not any(is_label_text(b.text) for b in frames[i + 1].boxes):
            gap_start = until
    if gap_start is not None and end - gap_start > max_gap:
        gaps.append((gap_start, end))
    if not hits:
        return LabelCoverage(0.0, ((0.0, end),) if end > max_gap else (), None, samples=len(frames))
    positions = Counter(_position(b.box, f.width, f.height) for f, b in hits)
    ratios = sorted((b.box[3] - b.box[1]) / max(f.height, 1) for f, b in hits)
    frame, box = hits[len(hits) // 2]
    return LabelCoverage(
        coverage=min(1.0, visible / max(end - frames[0].time, 1e-9)),
        gaps=tuple(gaps),
        first_seen=hits[0][0].time,
        text=box.text,
        position=positions.most_common(1)[0][0],
        box=box.box,
        height_ratio=ratios[len(ratios) // 2] if frame.height else 0.0,
        samples=len(frames),
    )


@dataclass(frozen=True, slots=True)
class SpokenDisclosure:
    """A transcript segment that says the host is AI-generated."""

    start: float
    end: float
    text: str


def spoken_disclosures(transcript: Sequence[TranscriptSegment]) -> tuple[SpokenDisclosure, ...]:
    """Segments such as 以下由数字人为您讲解 (negated mentions like 我不是数字人 are skipped)."""
    return tuple(SpokenDisclosure(s.start, s.end, s.text) for s in transcript if is_label_text(s.text))


@dataclass(frozen=True, slots=True)
class MetadataLabel:
    """An implicit AIGC label found in container or stream tags."""

    key: str
    label: str
    producer: str = ""
    raw: str = ""


def _from_value(key: str, value: Any, raw: str) -> MetadataLabel | None:
    if isinstance(value, Mapping):
        inner = next((value[k] for k in value if str(k).lower() == "aigc"), None)
        if isinstance(inner, Mapping):
            return _from_value(key, inner, raw)
        label = next((value[k] for k in value if str(k).lower() == "label"), None)
        producer = next((str(value[k]) for k in value if str(k).lower() == "contentproducer"), "")
        if label is not None and str(label).strip().lower() in POSITIVE_LABELS:
            return MetadataLabel(key, str(label), producer, raw)
        return None
    if str(value).strip().lower() in POSITIVE_LABELS:
        return MetadataLabel(key, str(value).strip(), "", raw)
    return None


def metadata_label(metadata: Mapping[str, str]) -> MetadataLabel | None:
    """The AIGC implicit label (人工智能生成合成内容标识办法 Art. 5) in ``MediaInfo.metadata``, if any.

    Accepts a tag named ``AIGC`` (or ``aigc_label``, ``AI_generated``...) holding JSON such as
    ``{"Label": "1", "ContentProducer": "..."}`` or a bare ``1``/``true``, and JSON in any tag
    (e.g. ``comment``) with an ``AIGC`` object inside.
    """
    for key, raw in metadata.items():
        name = key.split(":", 1)[-1].lower()
        try:
            value: Any = json.loads(raw)
        except (json.JSONDecodeError, TypeError):
            value = raw
        if name in METADATA_KEYS or (isinstance(value, Mapping) and any(str(k).lower() == "aigc" for k in value)):
            found = _from_value(key, value, raw)
            if found is not None:
                return found
    return None
