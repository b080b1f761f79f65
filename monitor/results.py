"""What a scan, a watch and a rescan hand to the sinks (report, terminal, JSONL).

The sinks read these types and nothing of the pipeline that fills them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from monitor.detectors.digital_human import DigitalHumanResult, RoomMeta
from monitor.findings import Finding
from monitor.media.snapshots import SnapshotStore
from monitor.media.types import MediaInfo
from monitor.observations.types import FrameText, TranscriptSegment
from monitor.store.parts import RecordView

__all__ = ["LATENCIES_KEPT", "RescanItem", "RescanSummary", "RoomState", "RoomStatus", "ScanResult"]

RoomStatus = Literal["watching", "reconnecting", "ended", "failed"]

LATENCIES_KEPT = 2_000
"""Newest latencies kept per room and kind, for the live table's percentiles."""


@dataclass(slots=True)
class ScanResult:
    """Everything a scan produced, and how.

    ``transcript`` and ``frame_texts`` are the record's: read from its parts on disk, a part at a
    time, when the scan wrote them as it went (``record`` says where they are kept).
    """

    info: MediaInfo
    findings: list[Finding]
    transcript: Sequence[TranscriptSegment]
    frame_texts: Sequence[FrameText]
    snapshots: SnapshotStore
    digital_human: DigitalHumanResult | None = None
    room: RoomMeta | None = None
    warnings: list[str] = field(default_factory=list)
    stats: dict[str, float] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    record: RecordView | None = None

    @property
    def duration(self) -> float:
        return self.stats.get("stream_seconds", 0.0)


@dataclass(slots=True)
class RoomState:
    """What one room has done so far; read by the progress display while the watch runs."""

    spec: str
    stream_seconds: float = 0.0
    utterances: int = 0
    frames: int = 0
    findings: int = 0
    backlog: int = 0
    """Work handed to the shared models and not done yet: utterances and frames before their claim check,
    the digital-human checks' windows."""
    timings: dict[str, deque[tuple[float, float]]] = field(
        default_factory=lambda: {kind: deque(maxlen=LATENCIES_KEPT) for kind in ("speech", "screen", "digital_human")}
    )
    """Per kind, (stream time, latency) of the newest items: latency is the seconds from the end of
    an utterance (or a frame's time) to its claim check being done; for a digital-human finding of a
    room played live, the stream seconds read past the moment it could first be made (a label gap
    growing past ``dh_gap``) before it was out."""
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    finished: bool = False
    reconnecting: bool = False
    """The live stream was lost and is being reopened, within the outage budget."""
    reconnects: int = 0
    """Times the live stream came back after a loss."""
    attempts: int = 0
    """Reopenings tried in the current outage."""
    lost: str | None = None
    """Why the stream was last lost, or why its last reopening failed."""
    lost_at: float | None = None
    """``time.monotonic()`` when the current outage began."""
    digital_human: DigitalHumanResult | None = None
    """The newest digital-human judgement (its face window's, with the label so far); ``None`` before any."""

    @property
    def status(self) -> RoomStatus:
        if self.error:
            return "failed"
        if self.finished:
            return "ended"
        return "reconnecting" if self.reconnecting else "watching"

    def latency(self, q: float) -> float | None:
        """The ``q`` quantile (0..1) of every latency in :attr:`timings`, once there are any."""
        latencies = [lat for kind in self.timings.values() for _, lat in kind]
        return float(np.quantile(latencies, q)) if latencies else None


@dataclass(slots=True)
class RescanItem:
    """What became of one source."""

    spec: str
    status: str
    """``done`` (scanned now), ``skipped`` (already done under these settings) or ``failed``."""
    findings: int = 0
    made: tuple[str, ...] = ()
    """The stages observed now (the rest were loaded from the store)."""
    error: str | None = None
    seconds: float = 0.0
    source_key: str | None = None
    """The source's key in the store (``None`` when the source could not even be read)."""


@dataclass(slots=True)
class RescanSummary:
    items: list[RescanItem] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> list[RescanItem]:
        return [i for i in self.items if i.status == "failed"]
