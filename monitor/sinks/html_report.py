"""A single-file HTML report: findings with frame snapshots and the transcript around them."""

from __future__ import annotations

import base64
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from monitor.findings import Finding
from monitor.pipeline.scan import ScanResult

__all__ = ["render_report", "write_report"]

CONTEXT_SECONDS = 8.0


def _timecode(seconds: float) -> str:
    minutes, secs = divmod(max(0.0, seconds), 60)
    return f"{int(minutes):02d}:{secs:05.2f}"


def _transcript_around(result: ScanResult, finding: Finding) -> list[dict[str, object]]:
    return [
        {"start": _timecode(s.start), "text": s.text, "hit": s.start < finding.end and s.end > finding.start}
        for s in result.transcript
        if s.end >= finding.start - CONTEXT_SECONDS and s.start <= finding.end + CONTEXT_SECONDS
    ]


def render_report(result: ScanResult) -> str:
    """The report as an HTML string; snapshots are embedded so the file stands alone."""
    env = Environment(loader=PackageLoader("monitor.sinks", "templates"), autoescape=select_autoescape())
    env.filters["timecode"] = _timecode
    items = []
    for finding in result.findings:
        image = result.snapshots.images.get(finding.evidence.snapshot or "")
        items.append(
            {
                "f": finding,
                "snapshot": "data:image/jpeg;base64," + base64.b64encode(image).decode() if image else None,
                "transcript": _transcript_around(result, finding) if finding.source == "speech" else [],
            }
        )
    by_category: dict[str, int] = {}
    for finding in result.findings:
        by_category[finding.category] = by_category.get(finding.category, 0) + 1
    dh = result.digital_human.summary() if result.digital_human is not None else None
    return env.get_template("report.html.j2").render(result=result, items=items, by_category=by_category, dh=dh)


def write_report(result: ScanResult, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(result), encoding="utf-8")
