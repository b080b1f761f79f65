"""One pass over a transcript, in time order, for the report: the lines around each finding,
where each finding's time sits in the transcript, and the transcript cut into blocks of stream
time for its own pages.

The reader holds the findings (already in memory), one block of segments and the excerpts
collected so far (the report takes a page's away once the page is written); the segments can
come from any iterable, for example read from the store page by page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from monitor.findings import Finding
from monitor.observations.types import TranscriptSegment
from monitor.sinks.report_env import timecode

__all__ = [
    "CONTEXT_SECONDS", "Block", "BlockLine", "ExcerptLine", "TranscriptReader", "block_name", "read_transcript",
    "settled",
]

CONTEXT_SECONDS = 8.0
"""Transcript shown before and after a spoken finding."""


@dataclass(frozen=True, slots=True)
class ExcerptLine:
    """One transcript line shown under a spoken finding."""

    start: str
    """Its stream time as a timecode."""
    text: str
    hit: bool
    """The line overlaps the finding."""


@dataclass(frozen=True, slots=True)
class BlockLine:
    ordinal: int
    """Position of the segment in the whole transcript (its anchor on the transcript pages)."""
    segment: TranscriptSegment
    hits: tuple[int, ...]
    """Indices of the spoken findings the segment overlaps."""


@dataclass(slots=True)
class Block:
    """The transcript lines that start within one block of stream time."""

    key: int
    seconds: float
    lines: list[BlockLine] = field(default_factory=list)

    @property
    def name(self) -> str:
        return block_name(self.key, self.seconds)

    @property
    def start(self) -> float:
        return self.key * self.seconds

    @property
    def end(self) -> float:
        return (self.key + 1) * self.seconds


def block_name(key: int, seconds: float) -> str:
    """``transcript-HHMM.html`` of the block that starts at ``key * seconds``."""
    hours, minutes = divmod(int(key * seconds) // 60, 60)
    return f"transcript-{hours:02d}{minutes:02d}.html"


class TranscriptReader:
    """Takes the segments one at a time, ordered by start, and hands each finished block to ``on_block``.

    A segment is shown under a spoken finding when it reaches within :data:`CONTEXT_SECONDS`
    of it, as the single-page report always did. Once :attr:`reached` is past a finding's
    :func:`settled` time, its excerpt and anchor are final.
    """

    def __init__(
        self, findings: Sequence[Finding], *, block_seconds: float = 1800.0,
        on_block: Callable[[Block], None] | None = None,
    ) -> None:
        if block_seconds < 60 or block_seconds % 60:
            raise ValueError(f"transcript pages must span whole minutes, got {block_seconds} s")
        self.findings, self.block_seconds, self.on_block = findings, block_seconds, on_block
        self.excerpts: dict[int, list[ExcerptLine]] = {}
        """By finding index, the lines around each spoken finding (none for other sources)."""
        self.anchors: dict[int, tuple[str, int]] = {}
        """By finding index, the block page and segment ordinal of the first line that ends at or
        after the finding's start (or the last line of all); none while the transcript is empty."""
        self.reached = float("-inf")
        """The start of the latest segment."""
        self._order = sorted(range(len(findings)), key=lambda i: findings[i].start)
        self._active: list[int] = []  # spoken findings whose context has begun and may still take lines
        self._activated = self._anchored = 0
        self._block: Block | None = None
        self._ordinal = -1

    def feed(self, seg: TranscriptSegment) -> None:
        if seg.start < self.reached:
            raise ValueError(f"transcript segments must come in time order: {seg.start} after {self.reached}")
        findings, order = self.findings, self._order
        self.reached = seg.start
        self._ordinal += 1
        key = int(seg.start // self.block_seconds)
        if self._block is None or self._block.key != key:
            if self._block is not None and self.on_block is not None:
                self.on_block(self._block)
            self._block = Block(key, self.block_seconds)
        while self._anchored < len(order) and findings[order[self._anchored]].start <= seg.end:
            self.anchors[order[self._anchored]] = (self._block.name, self._ordinal)
            self._anchored += 1
        while self._activated < len(order) and findings[order[self._activated]].start - CONTEXT_SECONDS <= seg.end:
            if findings[order[self._activated]].source == "speech":
                self._active.append(order[self._activated])
            self._activated += 1
        self._active = [i for i in self._active if findings[i].end + CONTEXT_SECONDS >= seg.start]
        hits = []
        for i in self._active:
            f = findings[i]
            if f.start - CONTEXT_SECONDS > seg.end:  # segments are ordered by start, not by end
                continue
            hit = seg.start < f.end and seg.end > f.start
            self.excerpts.setdefault(i, []).append(ExcerptLine(timecode(seg.start), seg.text, hit))
            if hit:
                hits.append(i)
        if self.on_block is not None:
            self._block.lines.append(BlockLine(self._ordinal, seg, tuple(hits)))

    def close(self) -> None:
        """The transcript has ended: findings after its last line anchor there; the last block goes out."""
        self.reached = float("inf")
        if self._block is None:
            return
        for i in self._order[self._anchored:]:
            self.anchors[i] = (self._block.name, self._ordinal)
        self._anchored = len(self._order)
        if self.on_block is not None:
            self.on_block(self._block)
        self._block = None


def settled(findings: Iterable[Finding]) -> float:
    """The stream time after which no segment can change these findings' excerpts or anchors."""
    return max((f.end + CONTEXT_SECONDS if f.source == "speech" else f.start for f in findings), default=0.0)


def read_transcript(
    segments: Iterable[TranscriptSegment], findings: Sequence[Finding], *, block_seconds: float = 1800.0,
    on_block: Callable[[Block], None] | None = None,
) -> TranscriptReader:
    """All of ``segments`` read by a :class:`TranscriptReader`."""
    reader = TranscriptReader(findings, block_seconds=block_seconds, on_block=on_block)
    for seg in segments:
        reader.feed(seg)
    reader.close()
    return reader
