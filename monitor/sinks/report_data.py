"""What an HTML report shows, from a scan's result or from the store.

A scan hands its :class:`~monitor.results.ScanResult`; ``livemon report`` reads the same things
back from the store: the current findings, their snapshots, the record's transcript (a part at
a time) and the run's summary (:func:`report_summary`, kept with the findings), so a
six-hour session's report is made without the session in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from monitor.detectors.digital_human import RoomMeta
from monitor.findings import Finding
from monitor.media.types import MediaInfo
from monitor.observations.types import TranscriptSegment
from monitor.results import ScanResult

__all__ = ["ReportData", "SnapshotLookup", "report_summary"]

SnapshotLookup = Callable[[str], bytes | None]
"""A snapshot's JPEG bytes by its name (``None`` when it is gone)."""


@dataclass(frozen=True, slots=True)
class ReportData:
    """Everything a report shows; the templates read it as ``result``."""

    info: MediaInfo
    findings: Sequence[Finding]
    duration: float
    provenance: Mapping[str, Any]
    warnings: Sequence[str]
    room: RoomMeta | None
    digital_human: Mapping[str, Any] | None
    """The digital-human detector's summary (:meth:`DigitalHumanResult.summary`), if it ran."""
    snapshot: SnapshotLookup
    transcript: Iterable[TranscriptSegment]
    """The transcript in start order; read once."""

    @classmethod
    def of(
        cls, result: ScanResult, snapshot: SnapshotLookup | None = None,
        transcript: Iterable[TranscriptSegment] | None = None,
    ) -> ReportData:
        """A scan's result; ``snapshot`` and ``transcript`` replace its own when given."""
        return cls(
            info=result.info, findings=result.findings, duration=result.duration, provenance=result.provenance,
            warnings=result.warnings, room=result.room,
            digital_human=result.digital_human.summary() if result.digital_human is not None else None,
            snapshot=snapshot or result.snapshots.images.get,
            transcript=transcript if transcript is not None else _in_order(result),
        )


def _in_order(result: ScanResult) -> Iterable[TranscriptSegment]:
    """The result's transcript by start: read as it is when its record says it is in order."""
    if result.record is not None and result.record.ordered("transcript"):
        return result.transcript
    return sorted(result.transcript, key=lambda s: s.start)


def report_summary(result: ScanResult) -> dict[str, Any]:
    """What the report shows besides findings, snapshots and transcript, as JSON data (kept with a stored run)."""
    return {
        "duration": result.duration,
        "warnings": list(result.warnings),
        "provenance": dict(result.provenance),
        "digital_human": result.digital_human.summary() if result.digital_human is not None else None,
        "room": result.room.model_dump(mode="json") if result.room is not None else None,
    }
