"""Disclosure channels: label wording, spoken disclosure, implicit metadata label (the on-screen label over
time is :mod:`monitor.detectors.digital_human.label_track`)."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from monitor.observations.types import TranscriptSegment

__all__ = [
    "MetadataLabel",
    "SpokenDisclosure",
    "is_label_text",
    "metadata_label",
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
