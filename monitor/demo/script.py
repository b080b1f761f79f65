"""Labelled stream scripts: what a generated live room says and shows, beat by beat."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from importlib.resources import files
from pathlib import Path

import yaml

from monitor.findings import CATEGORIES as ALL_CATEGORIES

__all__ = ["CATEGORIES", "Beat", "Script", "demo_script"]

CATEGORIES = frozenset(ALL_CATEGORIES)


@dataclass(frozen=True, slots=True)
class Beat:
    """One stretch of the stream: optional speech, optional overlay lines, and their labels.

    The beat lasts as long as its speech plus ``pause`` seconds of silence; the overlay
    stays on screen for the whole beat. Empty label tuples mark clean content.
    """

    say: str | None = None
    screen: tuple[str, ...] = ()
    speech_labels: tuple[str, ...] = ()
    screen_labels: tuple[str, ...] = ()
    pause: float = 0.6

    def __post_init__(self) -> None:
        unknown = set(self.speech_labels + self.screen_labels) - CATEGORIES
        if unknown:
            raise ValueError(f"unknown claim categories {sorted(unknown)}")
        if self.speech_labels and not self.say:
            raise ValueError(f"speech_labels {self.speech_labels} on a beat without speech")
        if self.screen_labels and not self.screen:
            raise ValueError(f"screen_labels {self.screen_labels} on a beat without screen text")
        if self.pause < 0 or (not self.say and self.pause == 0):
            raise ValueError(f"a beat needs speech or a positive pause, got pause={self.pause}")

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Beat:
        screen = data.get("screen") or ()
        return cls(
            say=data.get("say") or None,  # type: ignore[arg-type]
            screen=(screen,) if isinstance(screen, str) else tuple(screen),  # type: ignore[arg-type]
            speech_labels=tuple(data.get("speech_labels") or ()),  # type: ignore[arg-type]
            screen_labels=tuple(data.get("screen_labels") or ()),  # type: ignore[arg-type]
            pause=float(data.get("pause", 0.6)),  # type: ignore[arg-type]
        )


@dataclass(frozen=True, slots=True)
class Script:
    """A named stream: a persistent shop caption and a sequence of beats."""

    beats: tuple[Beat, ...]
    shop: str = "好物直播间"
    voice: str = "jm_kumo"
    lead_in: float = 0.5

    @classmethod
    def from_yaml(cls, path: str | Path) -> Script:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        return cls(
            beats=tuple(Beat.from_dict(b) for b in data["beats"]),
            shop=data.get("shop", "好物直播间"),
            voice=data.get("voice", "jm_kumo"),
            lead_in=float(data.get("lead_in", 0.5)),
        )

    def digest(self) -> str:
        """A stable hash of everything that shapes the generated media."""
        blob = json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()


def demo_script() -> Script:
    """The default demo: about 70 s of a tea-selling room with planted and clean claims."""
    return Script.from_yaml(Path(str(files("monitor.demo") / "demo_script.yaml")))
