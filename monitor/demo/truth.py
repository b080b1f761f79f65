"""Ground truth written next to every generated stream: where each beat is and what it plants."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["BeatTruth", "StreamTruth"]


@dataclass(frozen=True, slots=True)
class BeatTruth:
    """One beat placed in the stream; times are seconds from the stream start.

    The overlay shows during ``[start, end)``; speech runs ``[speech_start, speech_end)``.
    """

    index: int
    start: float
    end: float
    speech_start: float | None
    speech_end: float | None
    say: str | None
    screen: tuple[str, ...]
    speech_labels: tuple[str, ...]
    screen_labels: tuple[str, ...]

    @property
    def clean(self) -> bool:
        return not (self.speech_labels or self.screen_labels)


@dataclass(frozen=True, slots=True)
class StreamTruth:
    """What a generated file contains and how it was made."""

    name: str
    generator_version: str
    script_digest: str
    duration: float
    has_audio: bool
    has_video: bool
    width: int
    height: int
    fps: int
    voice: str
    shop: str
    beats: tuple[BeatTruth, ...]

    def speech_claims(self) -> list[BeatTruth]:
        return [b for b in self.beats if b.speech_labels]

    def screen_claims(self) -> list[BeatTruth]:
        return [b for b in self.beats if b.screen_labels]

    def truth_lines(self, stream: str) -> list[dict[str, object]]:
        """The planted claims and clean beats as ``livemon eval`` truth lines for ``stream``."""
        lines: list[dict[str, object]] = []
        for b in self.beats:
            if b.speech_start is not None and b.speech_end is not None:
                for category in b.speech_labels or ("clean",):
                    lines.append({"stream": stream, "category": category, "start": b.speech_start,
                                  "end": b.speech_end, "source": "speech"})
            for category in b.screen_labels or (("clean",) if b.screen else ()):
                lines.append({"stream": stream, "category": category, "start": b.start, "end": b.end,
                              "source": "screen"})
        return lines

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> StreamTruth:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        beats = tuple(
            BeatTruth(
                **{
                    **b,
                    "screen": tuple(b["screen"]),
                    "speech_labels": tuple(b["speech_labels"]),
                    "screen_labels": tuple(b["screen_labels"]),
                }
            )
            for b in data.pop("beats")
        )
        return cls(**data, beats=beats)
