"""Evidence clips for findings: cut around each finding's start, written by content, told to the finding.

A scan and a rescan cut from the source file; a watch cuts from its room's ring of recent packets
(live rooms and rooms paced as live) or from the file (rooms read as fast as they decode, which
run ahead of their findings). A source whose clips cannot be made says why once; its findings go
out without a clip.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from monitor.findings import Finding
from monitor.media.clips import Clip, ClipError, PacketRing, StreamRecorder, clip_window, cut_file
from monitor.sources.open import is_url
from monitor.store.blobs import file_sha256

__all__ = ["ClipMaker", "RoomClips", "clip_findings", "clip_records", "with_clip"]

log = logging.getLogger(__name__)

Cutter = Callable[[float, float, Path, float], Clip]
"""``cut(start, end, out, at)``: write the clip of ``[start, end]`` holding ``at`` to ``out``."""

URL_SCAN = "no evidence clips: the stream URL was read without a copy to cut them from"



class ClipMaker:
    """Writes one source's clips into ``folder`` as ``<sha256>.mp4``, each window once.

    The first failure is logged and kept in :attr:`warnings` (later ones are only debug-logged).
    """

    def __init__(self, folder: Path, source: str, cut: Cutter) -> None:
        self.folder, self.source, self.cut = folder, source, cut
        self.warnings: list[str] = []
        self._made: dict[tuple[float, float], Clip | None] = {}

    def make(self, at: float) -> Clip | None:
        """The clip around stream time ``at``, or ``None`` (and the reason told once) when it cannot be made."""
        start, end = clip_window(at)
        key = (round(start, 2), round(end, 2))
        if key not in self._made:
            self._made[key] = self._cut(start, end, at)
        return self._made[key]

    def _cut(self, start: float, end: float, at: float) -> Clip | None:
        self.folder.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=".clip-", suffix=".mp4", dir=self.folder)
        os.close(handle)
        partial = Path(name)
        try:
            clip = self.cut(start, end, partial, at)
        except ClipError as e:
            partial.unlink(missing_ok=True)
            if not self.warnings:
                self.warnings.append(f"evidence clips: {e}")
                log.warning("no evidence clip for %s: %s", self.source, e)
            else:
                log.debug("no evidence clip for %s at %.1fs: %s", self.source, at, e)
            return None
        final = self.folder / f"{file_sha256(partial)}.mp4"
        os.replace(partial, final)
        return replace(clip, path=final)


def with_clip(finding: Finding, clip: Clip | None) -> Finding:
    """``finding`` with ``clip`` in its evidence (unchanged when there is none)."""
    if clip is None:
        return finding
    return replace(finding, evidence=replace(finding.evidence, clip=str(clip.path), clip_start=clip.start))


def _file_cutter(spec: str) -> Cutter:
    return lambda start, end, out, at: cut_file(spec, start, end, out, at=at)


def clip_findings(
    spec: str, findings: Sequence[Finding], folder: Path, recording: StreamRecorder | None = None
) -> tuple[list[Finding], list[str]]:
    """Each finding with the clip around its start, cut from ``spec`` (a URL: from its ``recording``) into
    ``folder``; and what went wrong."""
    if is_url(spec) and recording is None:
        return list(findings), [URL_SCAN] if findings else []
    if recording is not None and recording.error is not None:
        return list(findings), [recording.error] if findings else []
    maker = ClipMaker(folder, spec, _file_cutter(str(recording.path) if recording is not None else spec))
    return [with_clip(f, maker.make(f.start)) for f in findings], maker.warnings


def clip_records(
    spec: str, findings: Sequence[tuple[dict[str, Any], bytes | None]], folder: Path
) -> list[tuple[dict[str, Any], bytes | None]]:
    """Stored findings (JSON objects, with their snapshot) with a clip cut from ``spec`` when it is a
    readable file; as they were otherwise."""
    if is_url(spec) or not Path(spec).is_file():
        return list(findings)
    maker = ClipMaker(folder, spec, _file_cutter(spec))
    out = []
    for record, snapshot in findings:
        clip = maker.make(float(record["start"]))
        if clip is not None:
            record = {**record, "evidence": {**record.get("evidence", {}), "clip": str(clip.path),
                                             "clip_start": clip.start}}
        out.append((record, snapshot))
    return out


class RoomClips:
    """A watched room's findings, held until their clip can be cut, then handed on with it.

    With a ``ring`` a finding waits until the ring holds the seconds after it (or the room stops
    reading); without one the clip is cut from the room's file at once. :meth:`hold` is called
    by the claims worker, :meth:`release` by the room's reader (the thread that feeds the ring).
    """

    def __init__(self, folder: Path, spec: str, ring: PacketRing | None) -> None:
        self.ring = ring
        self._origin = 0.0
        cut: Cutter = (lambda start, end, out, at: ring.write(start, end, self._origin, out, at=at)) \
            if ring is not None else _file_cutter(spec)
        self.maker = ClipMaker(folder, spec, cut)
        self._held: list[tuple[Finding, bytes | None]] = []
        self._lock = threading.Lock()

    def hold(self, finding: Finding, snapshot: bytes | None) -> None:
        with self._lock:
            self._held.append((finding, snapshot))

    def release(
        self, deliver: Callable[[Finding, bytes | None], None], origin: float | None, *, everything: bool = False
    ) -> None:
        """Cut the clips of the held findings whose window has been read (all with ``everything``) and
        ``deliver`` them; ``origin`` is the stream's first timestamp (seconds) that finding times count from."""
        if not self._held:
            return
        self._origin = origin or 0.0
        newest = None if self.ring is None or self.ring.newest is None else self.ring.newest - self._origin
        with self._lock:
            if everything or self.ring is None:
                due, self._held = self._held, []
            elif newest is None:
                return
            else:
                due = [h for h in self._held if clip_window(h[0].start)[1] <= newest]
                self._held = [h for h in self._held if clip_window(h[0].start)[1] > newest]
        for finding, snapshot in due:
            deliver(with_clip(finding, self.maker.make(finding.start)), snapshot)

    @property
    def warnings(self) -> list[str]:
        return self.maker.warnings

