"""A single-file HTML report: findings with frame snapshots and the transcript around them.

Every value a stream carries is hostile (see ``docs/untrusted-input.md``): autoescaping is
on for every template whatever its name, the only markup marked safe is the project's own
stylesheet, and a Content-Security-Policy allows no script, no remote resource and no
form; snapshots are embedded as ``data:`` images.
"""

from __future__ import annotations

import base64
import hashlib
import os
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, PackageLoader
from markupsafe import Markup

from monitor.findings import Finding
from monitor.results import ScanResult
from monitor.sinks.labels import CATEGORY_ZH, RISK_ZH, SOURCE_ZH, VERDICT_ZH

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


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(loader=PackageLoader("monitor.sinks", "templates"), autoescape=True)
    env.filters["timecode"] = _timecode
    return env


@lru_cache(maxsize=1)
def _stylesheet() -> tuple[Markup, str]:
    """The project's stylesheet, and the CSP that allows exactly it (by its sha256)."""
    css = files("monitor.sinks").joinpath("templates/report.css").read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    csp = (
        f"default-src 'none'; img-src data:; style-src 'sha256-{digest}'; "
        "base-uri 'none'; form-action 'none'"
    )
    return Markup(css), csp


def _clip_href(finding: Finding, folder: Path | None) -> str | None:
    """A relative link from the report's ``folder`` to the finding's clip file (percent-encoded: never a scheme)."""
    if folder is None or not finding.evidence.clip:
        return None
    return quote(Path(os.path.relpath(finding.evidence.clip, folder)).as_posix())


def render_report(result: ScanResult, folder: Path | None = None) -> str:
    """The report as an HTML string; snapshots are embedded so the file stands alone, clips are linked
    relative to ``folder`` (where the report is written)."""
    env = _environment()
    descriptions = result.provenance.get("rule_descriptions", {})
    items = []
    for finding in result.findings:
        image = result.snapshots.images.get(finding.evidence.snapshot or "")
        items.append(
            {
                "f": finding,
                "snapshot": "data:image/jpeg;base64," + base64.b64encode(image).decode() if image else None,
                "transcript": _transcript_around(result, finding) if finding.source == "speech" else [],
                "rule_description": descriptions.get(finding.rule, ""),
                "clip": _clip_href(finding, folder),
            }
        )
    by_category: dict[str, int] = {}
    for finding in result.findings:
        by_category[finding.category] = by_category.get(finding.category, 0) + 1
    dh = result.digital_human.summary() if result.digital_human is not None else None
    css, csp = _stylesheet()
    return env.get_template("report.html.j2").render(
        result=result, items=items, by_category=by_category, dh=dh, css=css, csp=csp,
        category_zh=CATEGORY_ZH, risk_zh=RISK_ZH, source_zh=SOURCE_ZH, verdict_zh=VERDICT_ZH,
    )


def write_report(result: ScanResult, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(result, path.parent), encoding="utf-8")
