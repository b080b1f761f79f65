"""One pass over a transcript, in time order, for the report: the lines around each finding,
where each finding's time sits in the transcript, and the transcript cut into blocks of stream
time for its own pages.

Only the findings (already in memory) and one block of segments are held; the segments can
come from any iterable, for example read from the store page by page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from monitor.findings import Finding
from monitor.observations.types import TranscriptSegment
from monitor.sinks.report_env import timecode

__all__ = [
    "CONTEXT_SECONDS", "Block", "BlockLine", "ExcerptLine", "TranscriptIndex", "block_name", "read_transcript",
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


@dataclass(frozen=True, slots=True)
class TranscriptIndex:
    excerpts: dict[int, list[ExcerptLine]]
    """By finding index, the lines around each spoken finding (none for other sources)."""
    anchors: dict[int, tuple[str, int]]
    """By finding index, the block page and segment ordinal of the first line that ends at or after
    the finding's start (or the last line of all); empty when the transcript is."""


def block_name(key: int, seconds: float) -> str:
    """``transcript-HHMM.html`` of the block that starts at ``key * seconds``."""
    hours, minutes = divmod(int(key * seconds) // 60, 60)
    return f"transcript-{hours:02d}{minutes:02d}.html"


def read_transcript(
    segments: Iterable[TranscriptSegment],
    findings: Sequence[Finding],
    *,
    block_seconds: float = 1800.0,
    on_block: Callable[[Block], None] | None = None,
) -> TranscriptIndex:
    """Read ``segments`` (ordered by start) once; hand each finished block to ``on_block``.

    A segment is shown under a spoken finding when it reaches within :data:`CONTEXT_SECONDS`
    of it, as the single-page report always did.
    """
    if block_seconds < 60 or block_seconds % 60:
        raise ValueError(f"transcript pages must span whole minutes, got {block_seconds} s")
    order = sorted(range(len(findings)), key=lambda i: findings[i].start)
    excerpts: dict[int, list[ExcerptLine]] = {}
    anchors: dict[int, tuple[str, int]] = {}
    active: list[int] = []
    # spoken findings whose context window has begun and may still take lines
    activated = anchored = 0
    block: Block | None = None
    previous = float("-inf")
    for ordinal, seg in enumerate(segments):
        if seg.start < previous:
            raise ValueError(f"transcript segments must come in time order: {seg.start} after {previous}")
        previous = seg.start
        key = int(seg.start // block_seconds)
        if block is None or block.key != key:
            if block is not None and on_block is not None:
                on_block(block)
            block = Block(key, block_seconds)
        while anchored < len(order) and findings[order[anchored]].start <= seg.end:
            anchors[order[anchored]] = (block.name, ordinal)
            anchored += 1
        while activated < len(order) and findings[order[activated]].start - CONTEXT_SECONDS <= seg.end:
            if findings[order[activated]].source == "speech":
                active.append(order[activated])
            activated += 1
        active = [i for i in active if findings[i].end + CONTEXT_SECONDS >= seg.start]
        hits = []
        for i in active:
            f = findings[i]
            if f.start - CONTEXT_SECONDS > seg.end:  # segments are ordered by start, not by end
                continue
            hit = seg.start < f.end and seg.end > f.start
            excerpts.setdefault(i, []).append(ExcerptLine(timecode(seg.start), seg.text, hit))
            if hit:
                hits.append(i)
        if on_block is not None:
            block.lines.append(BlockLine(ordinal, seg, tuple(hits)))
    if block is not None:
        for i in order[anchored:]:
            anchors[i] = (block.name, ordinal)
        if on_block is not None:
            on_block(block)
    return TranscriptIndex(excerpts, anchors)
