"""The HTML report: findings with frame snapshots and the transcript around them.

A run with up to ``page_size`` findings (the demo) gets one self-contained file; a longer one
gets an index and pages (see :mod:`monitor.sinks.report_pages`). Every value a stream carries
is hostile (see ``docs/untrusted-input.md`` and :mod:`monitor.sinks.report_env`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from monitor.observations.types import TranscriptSegment
from monitor.results import ScanResult
from monitor.sinks.labels import CATEGORY_ZH, RISK_ZH, SOURCE_ZH, VERDICT_ZH
from monitor.sinks.report_data import ReportData, SnapshotLookup
from monitor.sinks.report_env import environment as _environment
from monitor.sinks.report_env import stylesheet
from monitor.sinks.report_pages import ReportSize, finding_items, pages_folder, remove_stale_pages, write_pages
from monitor.sinks.report_transcript import read_transcript

__all__ = [
    "PAGE_SIZE", "TRANSCRIPT_PAGE_SECONDS", "ReportData", "ReportSize", "SnapshotLookup", "render_report",
    "write_report",
]

PAGE_SIZE = 50
"""Findings on one page; a run with more gets an index and pages."""
TRANSCRIPT_PAGE_SECONDS = 1800.0
"""Stream time on one transcript page of a paged report."""


def _data(
    result: ScanResult | ReportData, snapshot: SnapshotLookup | None, transcript: Iterable[TranscriptSegment] | None
) -> ReportData:
    return result if isinstance(result, ReportData) else ReportData.of(result, snapshot, transcript)


def render_report(
    result: ScanResult | ReportData, folder: Path | None = None, *, snapshot: SnapshotLookup | None = None,
    transcript: Iterable[TranscriptSegment] | None = None,
) -> str:
    """The report as one HTML page; snapshots are embedded so the file stands alone, clips are linked
    relative to ``folder`` (where the report is written).

    ``snapshot`` and ``transcript`` (ordered by start) replace a scan result's own.
    """
    data = _data(result, snapshot, transcript)
    env = _environment()
    seen = read_transcript(data.transcript, data.findings)
    items = finding_items(
        data.findings, range(len(data.findings)), seen.excerpts, data.snapshot,
        data.provenance.get("rule_descriptions", {}), folder,
    )
    by_category: dict[str, int] = {}
    for finding in data.findings:
        by_category[finding.category] = by_category.get(finding.category, 0) + 1
    css, csp = stylesheet()
    return env.get_template("report.html.j2").render(
        result=data, items=items, by_category=by_category, dh=data.digital_human, css=css, csp=csp,
        category_zh=CATEGORY_ZH, risk_zh=RISK_ZH, source_zh=SOURCE_ZH, verdict_zh=VERDICT_ZH,
    )


def write_report(
    result: ScanResult | ReportData, path: Path, *, page_size: int = PAGE_SIZE,
    transcript_seconds: float = TRANSCRIPT_PAGE_SECONDS, snapshot: SnapshotLookup | None = None,
    transcript: Iterable[TranscriptSegment] | None = None,
) -> ReportSize:
    """Write the report at ``path``: one page when the run has at most ``page_size`` findings, else
    an index there and pages in ``<stem>_files/`` (pages an earlier report left there are removed).

    Snapshots are read one page at a time and the transcript is read once, so neither has to be in
    memory whole: a scan's result reads them from its spill folder and its record's parts, a
    :class:`ReportData` from wherever it was made (the store, for ``livemon report``).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    data = _data(result, snapshot, transcript)
    if len(data.findings) > page_size:
        return write_pages(data, path, page_size=page_size, transcript_seconds=transcript_seconds)
    html = render_report(data, path.parent).encode("utf-8")
    path.write_bytes(html)
    remove_stale_pages(pages_folder(path))
    return ReportSize(path, 1, len(html), len(html))
