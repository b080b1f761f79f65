"""Findings as JSON Lines: one finding per line, evidence paths resolved."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from monitor.findings import Finding

__all__ = ["finding_record", "write_jsonl"]


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
