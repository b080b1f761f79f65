"""The report of a long run: an index page, pages of findings and the transcript on pages of its own.

``report.html`` keeps the summary (counts by category, risk, source and hour, the digital-human
judgement, warnings) and links; ``report_files/findings-NNN.html`` hold a page's worth of
findings with their snapshots and transcript excerpts; ``report_files/transcript-HHMM.html``
hold the transcript, one block of stream time each, opened from the index or from a finding's
time. The pages are static (no script: the CSP forbids it), so nothing is loaded until a
reviewer opens it. Snapshots are read one page at a time and the transcript in one pass.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.findings import Finding
from monitor.sinks.labels import CATEGORY_ZH, RISK_ZH, SOURCE_ZH, VERDICT_ZH
from monitor.sinks.report_data import ReportData, SnapshotLookup
from monitor.sinks.report_env import clip_href, environment, jpeg_data_uri, relative_href, stylesheet
from monitor.sinks.report_plan import Page, by_category, by_hour, plan_pages
from monitor.sinks.report_transcript import Block, ExcerptLine, TranscriptReader, settled

__all__ = ["ReportSize", "SnapshotLookup", "finding_items", "pages_folder", "remove_stale_pages", "write_pages"]

_OUR_PAGES = re.compile(r"(findings-\d{3,}|transcript-\d{4,})\.html")


@dataclass(frozen=True, slots=True)
class ReportSize:
    """What was written: the number of HTML pages (the index included) and their bytes."""

    path: Path
    pages: int
    index_bytes: int
    total_bytes: int

    def __str__(self) -> str:
        return f"{self.pages} 页, {self.total_bytes / 1e6:.2f} MB"


@dataclass(frozen=True, slots=True)
class _TranscriptPage:
    name: str
    start: float
    end: float
    lines: int


def pages_folder(path: Path) -> Path:
    """Where the pages of the report at ``path`` go: ``<stem>_files`` beside it."""
    return path.with_name(path.stem + "_files")


def remove_stale_pages(folder: Path, keep: Iterable[str] = ()) -> None:
    """Remove the pages an earlier report left in ``folder`` (only names this module writes), and
    the folder once empty."""
    if not folder.is_dir():
        return
    kept = set(keep)
    for path in folder.iterdir():
        if path.name not in kept and _OUR_PAGES.fullmatch(path.name) and path.is_file():
            path.unlink()
    if not any(folder.iterdir()):
        folder.rmdir()


def finding_items(
    findings: Sequence[Finding], indices: Iterable[int], excerpts: Mapping[int, list[ExcerptLine]],
    snapshot: SnapshotLookup, descriptions: dict[str, str], folder: Path | None,
) -> list[dict[str, Any]]:
    """What the template shows of each finding; each snapshot is read once per call."""
    images: dict[str, str | None] = {}
    items = []
    for i in indices:
        finding = findings[i]
        name = finding.evidence.snapshot or ""
        if name not in images:
            images[name] = jpeg_data_uri(snapshot(name)) if name else None
        items.append({
            "f": finding,
            "snapshot": images[name],
            "transcript": excerpts.get(i, []),
            "rule_description": descriptions.get(finding.rule, ""),
            "clip": clip_href(finding, folder),
        })
    return items


class _Files:
    """Pages written into one folder, with their sizes."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.sizes: dict[str, int] = {}

    def write(self, name: str, html: str) -> None:
        data = html.encode("utf-8")
        (self.folder / name).write_bytes(data)
        self.sizes[name] = len(data)


class _TranscriptPages:
    """Writes each block of the transcript once the next one is known (for its "next" link)."""

    def __init__(self, files: _Files, common: dict[str, Any], finding_at: dict[int, tuple[str, int]]) -> None:
        self.files, self.common, self.finding_at = files, common, finding_at
        self.pending: Block | None = None
        self.written: list[_TranscriptPage] = []

    def add(self, block: Block) -> None:
        if self.pending is not None:
            self._write(self.pending, block.name)
        self.pending = block

    def close(self) -> None:
        if self.pending is not None:
            self._write(self.pending, None)
            self.pending = None

    def _write(self, block: Block, following: str | None) -> None:
        lines = []
        for line in block.lines:
            page, number = self.finding_at[line.hits[0]] if line.hits else ("", 0)
            lines.append({
                "id": f"s{line.ordinal}", "start": line.segment.start, "text": line.segment.text,
                "finding": f"{page}#f{number}" if line.hits else None, "number": number,
            })
        previous = self.written[-1].name if self.written else None
        self.files.write(block.name, environment().get_template("report_transcript.html.j2").render(
            **self.common, block=block, lines=lines, previous=previous, following=following,
        ))
        self.written.append(_TranscriptPage(block.name, block.start, block.end, len(lines)))
        lines.clear()  # freed now, not when the collector clears the render's cycles (see write_pages)
        block.lines.clear()


def _size_text(size: int) -> str:
    """A size whose text has the same length whatever the size (so a page can state its own)."""
    return f"{size / 1e6:9.2f} MB ({size:>15,} 字节 bytes)"


def write_pages(data: ReportData, path: Path, *, page_size: int, transcript_seconds: float) -> ReportSize:
    """Write the index at ``path`` and its pages into :func:`pages_folder`; return what was written."""
    findings = data.findings
    snapshot = data.snapshot
    folder = pages_folder(path)
    folder.mkdir(parents=True, exist_ok=True)
    files = _Files(folder)
    css, csp = stylesheet()
    common: dict[str, Any] = {
        "result": data, "css": css, "csp": csp, "index": relative_href("../" + path.name),
        "category_zh": CATEGORY_ZH, "risk_zh": RISK_ZH, "source_zh": SOURCE_ZH, "verdict_zh": VERDICT_ZH,
    }
    pages = plan_pages(findings, page_size)
    finding_at = {i: (page.name, (page.number - 1) * page_size + n + 1)
                  for page in pages for n, i in enumerate(page.findings)}

    blocks = _TranscriptPages(files, common, finding_at)
    reader = TranscriptReader(findings, block_seconds=transcript_seconds, on_block=blocks.add)
    descriptions = data.provenance.get("rule_descriptions", {})
    template = environment().get_template("report_findings.html.j2")

    def write(page: Page) -> None:
        items = finding_items(findings, page.findings, reader.excerpts, snapshot, descriptions, folder)
        for item, i in zip(items, page.findings, strict=True):
            item["number"] = finding_at[i][1]
            anchor = reader.anchors.get(i)
            item["time_href"] = f"{anchor[0]}#s{anchor[1]}" if anchor else None
            reader.excerpts.pop(i, None)
        files.write(page.name, template.render(
            **common, page=page, pages=len(pages), items=items,
            previous=pages[page.number - 2].name if page.number > 1 else None,
            following=pages[page.number].name if page.number < len(pages) else None,
        ))
        items.clear()  # Jinja's macros leave the render's context in reference cycles until the collector
        # runs; emptied, a page's snapshots and lines are freed now rather than pages later

    waiting = deque((settled(findings[i] for i in page.findings), page) for page in pages)
    for segment in data.transcript:  # each page of findings goes out once the transcript has passed it
        reader.feed(segment)
        while waiting and reader.reached > waiting[0][0]:
            write(waiting.popleft()[1])
    reader.close()
    blocks.close()
    for _, page in waiting:
        write(page)
    remove_stale_pages(folder, files.sizes)

    own = _write_index(path, {
        **common, "dh": data.digital_human, "pages": pages, "transcript_pages": blocks.written,
        "pages_href": relative_href(folder.name),
        "categories": by_category(findings, pages), "hours": by_hour(findings, pages),
        "risks": Counter(f.risk for f in findings), "sources": Counter(f.source for f in findings),
        "files": len(files.sizes) + 1, "transcript_minutes": transcript_seconds / 60,
    }, sum(files.sizes.values()))
    return ReportSize(path, len(files.sizes) + 1, own, own + sum(files.sizes.values()))


def _write_index(path: Path, context: dict[str, Any], rest: int) -> int:
    """Write the index, which states its own size and the report's (``rest`` more bytes); return its size."""
    template = environment().get_template("report_index.html.j2")
    own = 0
    while True:  # the size texts have a fixed length, so this settles on the second round
        data = template.render(**context, own_size=_size_text(own), total_size=_size_text(own + rest)).encode()
        if len(data) == own:
            path.write_bytes(data)
            return own
        own = len(data)
