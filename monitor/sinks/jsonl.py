"""Findings as JSON Lines: one finding per line, evidence paths resolved."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from monitor.findings import Finding

__all__ = ["BatchFindingsWriter", "FindingAppender", "finding_record", "write_jsonl"]


def finding_record(finding: Finding, snapshot_paths: Mapping[str, Path] | None = None) -> dict[str, Any]:
    """A finding as a JSON-ready dict, its snapshot name replaced by the written file's path."""
    record = finding.to_dict()
    name = finding.evidence.snapshot
    if name and snapshot_paths and name in snapshot_paths:
        record["evidence"]["snapshot"] = str(snapshot_paths[name])
    return record


def write_jsonl(findings: list[Finding], path: Path, snapshot_paths: Mapping[str, Path] | None = None) -> None:
    """Write atomically: a crash never leaves a half-written file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8") as out:
        for finding in findings:
            out.write(json.dumps(finding_record(finding, snapshot_paths), ensure_ascii=False) + "\n")
    partial.replace(path)


class FindingAppender:
    """Appends findings to a JSONL file as they are found (a live watch); thread-safe.

    Each line is flushed at once, so a stopped or crashed watch loses nothing already
    found. A finding's snapshot is written into ``<stem>_evidence/`` beside the file first.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.evidence = path.with_name(f"{path.stem}_evidence")
        self._out = path.open("a", encoding="utf-8")
        self._lock = threading.Lock()
        self.written = 0

    def __call__(self, finding: Finding, snapshot: bytes | None = None) -> None:
        with self._lock:
            paths = {}
            name = finding.evidence.snapshot
            if name and snapshot is not None:
                self.evidence.mkdir(exist_ok=True)
                paths[name] = self.evidence / name
                paths[name].write_bytes(snapshot)
            self._out.write(json.dumps(finding_record(finding, paths), ensure_ascii=False) + "\n")
            self._out.flush()
            self.written += 1

    def close(self) -> None:
        with self._lock:
            self._out.close()

    def __enter__(self) -> FindingAppender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class BatchFindingsWriter:
    """The findings of a batch, source by source, in one JSONL file (started anew on every run).

    Snapshots are written to ``<stem>_evidence/<sha256>.jpg``: named by content, so sources
    never overwrite each other's pictures and a picture shared by findings is written once.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.evidence = path.with_name(f"{path.stem}_evidence")
        self._out = path.open("w", encoding="utf-8")
        self.written = 0

    def __call__(self, spec: str, findings: Sequence[tuple[dict[str, Any], bytes | None]]) -> None:
        for record, image in findings:
            if image is not None:
                self.evidence.mkdir(exist_ok=True)
                picture = self.evidence / f"{hashlib.sha256(image).hexdigest()}.jpg"
                if not picture.exists():
                    picture.write_bytes(image)
                record = {**record, "evidence": {**record["evidence"], "snapshot": str(picture)}}
            self._out.write(json.dumps(record, ensure_ascii=False) + "\n")
            self.written += 1
        self._out.flush()

    def close(self) -> None:
        self._out.close()

    def __enter__(self) -> BatchFindingsWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
