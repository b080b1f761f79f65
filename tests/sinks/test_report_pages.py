"""A six-hour run's report: a small index, pages of findings with their snapshots, the transcript
on pages of its own, and links that all resolve; a demo-sized run keeps its single page."""

from __future__ import annotations

import base64
import re
from collections import Counter
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest

from benchmarks.speed.report_size import SEGMENT_MARK, long_result, transcript_of
from monitor.observations.types import TranscriptSegment
from monitor.results import ScanResult
from monitor.sinks.html_report import ReportSize, render_report, write_report
from monitor.sinks.report_env import stylesheet
from tests.sinks.test_hostile_values import ALLOWED_TAGS, HOSTILE, _hostile_result

SIX_HOURS = 6 * 3600.0
FINDINGS = 2000
SEGMENTS = 20_000


class _Html(HTMLParser):
    """Ids, links, images and text of one page; images and text also by the finding (``fN``) they sit in."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.finding: str | None = None
        self.images: dict[str, str] = {}
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        self.tags.append((tag, named))
        if named.get("id"):
            self.ids.add(named["id"] or "")
            if re.fullmatch(r"f\d+", named["id"] or ""):
                self.finding = named["id"]
        if tag == "a":
            self.hrefs.append(named["href"] or "")
        if tag == "img" and self.finding:
            self.images[self.finding] = named["src"] or ""

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(path: Path) -> _Html:
    page = _Html()
    page.feed(path.read_text(encoding="utf-8"))
    return page


@pytest.fixture(scope="module")
def six_hours(tmp_path_factory: pytest.TempPathFactory) -> tuple[ScanResult, Path, ReportSize]:
    tmp = tmp_path_factory.mktemp("six-hours")
    result = long_result(tmp / "snapshots", hours=6, findings=FINDINGS)
    report = tmp / "out" / "report.html"
    return result, report, write_report(result, report, transcript=transcript_of(SIX_HOURS, SEGMENTS)())


def test_the_index_is_small_holds_no_transcript_and_states_the_sizes(
    six_hours: tuple[ScanResult, Path, ReportSize],
) -> None:
    _, report, size = six_hours
    files = [report, *sorted((report.parent / "report_files").iterdir())]
    assert size.pages == len(files) == 1 + 40 + 12  # index, 2,000 findings 50 a page, 6 h of transcript 30 min a page
    assert size.index_bytes == report.stat().st_size < 100_000
    assert size.total_bytes == sum(f.stat().st_size for f in files)
    index = report.read_text(encoding="utf-8")
    assert SEGMENT_MARK not in index and "data:image" not in index
    stated = [int(n.replace(",", "")) for n in re.findall(r"\(\s*([\d,]+) 字节", index)]
    assert stated == [size.index_bytes, size.total_bytes]
    assert str(size) == f"53 页, {size.total_bytes / 1e6:.2f} MB"


def test_every_finding_is_on_exactly_one_page_with_its_snapshot(
    six_hours: tuple[ScanResult, Path, ReportSize],
) -> None:
    result, report, _ = six_hours
    pages = sorted((report.parent / "report_files").glob("findings-*.html"))
    assert len(pages) == 40
    seen: Counter[str] = Counter()
    images: dict[str, str] = {}
    text = ""
    for path in pages:
        page = _parse(path)
        seen.update(i for i in page.ids if i.startswith("f"))
        images |= page.images
        text += "".join(page.text)
    assert seen == Counter(f"f{n}" for n in range(1, FINDINGS + 1))
    by_time = sorted(range(FINDINGS), key=lambda i: result.findings[i].start)
    for number, i in enumerate(by_time, start=1):
        assert text.count(f"第{i}条 ") == 1
        snapshot = result.snapshots.images[result.findings[i].evidence.snapshot or ""]
        assert images[f"f{number}"] == "data:image/jpeg;base64," + base64.b64encode(snapshot).decode()


def test_every_link_resolves_to_a_page_and_an_anchor_that_exist(
    six_hours: tuple[ScanResult, Path, ReportSize],
) -> None:
    _, report, _ = six_hours
    parsed = {p: _parse(p) for p in [report, *(report.parent / "report_files").iterdir()]}
    resolved = {p.resolve(): page for p, page in parsed.items()}
    for path, page in parsed.items():
        for href in page.hrefs:
            assert ":" not in href, href
            target, _, anchor = href.partition("#")
            opened = resolved[(path.parent / unquote(target)).resolve()]  # KeyError: a page that is not there
            assert not anchor or anchor in opened.ids, href
    second = parsed[report.parent / "report_files" / "findings-002.html"]
    assert {"findings-001.html", "findings-003.html", "../report.html"} <= set(second.hrefs)
    last = parsed[report.parent / "report_files" / "findings-040.html"]
    assert "findings-041.html" not in last.hrefs and "findings-039.html" in last.hrefs


def test_the_transcript_is_on_its_own_pages_and_a_findings_time_opens_it_there(
    six_hours: tuple[ScanResult, Path, ReportSize],
) -> None:
    result, report, _ = six_hours
    folder = report.parent / "report_files"
    names = [f"transcript-{h:02d}{m:02d}.html" for h in range(6) for m in (0, 30)]
    assert sorted(p.name for p in folder.glob("transcript-*.html")) == names
    text = "".join("".join(_parse(folder / n).text) for n in names)
    assert text.count(SEGMENT_MARK) == SEGMENTS
    segments = list(transcript_of(SIX_HOURS, SEGMENTS)())
    first = _parse(folder / "findings-001.html")
    earliest = min(result.findings, key=lambda f: f.start)
    ordinal = next(n for n, s in enumerate(segments) if s.end >= earliest.start)
    block = int(segments[ordinal].start // 1800)
    assert f"{names[block]}#s{ordinal}" in first.hrefs


def test_a_paged_report_shows_hostile_values_as_text(tmp_path: Path) -> None:
    source = "../javascript:alert(1)/<x>.mp4"
    result = _hostile_result(source)
    script = "</a><script>alert(1)</script>"
    result.findings.append(replace(result.findings[0], text=script, span=None, start=5.0, end=6.0))
    result.transcript.append(TranscriptSegment(5.0, 6.0, script))
    report = tmp_path / "javascript:alert(1)" / "<b>.html"
    size = write_report(result, report, page_size=2)
    assert size.pages > 3
    _, csp = stylesheet()
    shown = ""
    for path in [report, *report.with_name("<b>_files").iterdir()]:
        html = path.read_text(encoding="utf-8")
        assert "<script" not in html.lower()
        page = _parse(path)
        assert {tag for tag, _ in page.tags} <= ALLOWED_TAGS | {"a"}
        for tag, attrs in page.tags:
            assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
            if tag == "a":
                assert ":" not in (attrs["href"] or ""), attrs
            if tag == "img":
                assert (attrs["src"] or "").startswith("data:image/jpeg;base64,")
        assert [a["content"] for t, a in page.tags if t == "meta" and a.get("http-equiv")] == [csp]
        shown += "".join(page.text)
    index = "".join(_parse(report).text)
    for name in ("room title", "room id", "label", "warning"):
        assert HOSTILE[name] in index, name
    for name in ("transcript", "ocr", "basis", "rule description"):
        assert HOSTILE[name] in shown, name
    assert source in index and shown.count(script) >= 2  # the finding and its transcript line
    assert 'href="%3Cb%3E_files/findings-001.html"' in report.read_text(encoding="utf-8")


def test_a_demo_sized_run_keeps_its_single_page_and_stale_pages_go(tmp_path: Path) -> None:
    result = _hostile_result(HOSTILE["file name"])
    report = tmp_path / "report.html"
    paged = write_report(result, report, page_size=1)
    assert paged.pages > 2 and (tmp_path / "report_files" / "findings-003.html").is_file()
    (tmp_path / "report_files" / "notes.txt").write_text("kept", encoding="utf-8")
    fewer = write_report(result, report, page_size=2)
    assert not (tmp_path / "report_files" / "findings-003.html").exists()
    assert fewer.pages == len(list(tmp_path.glob("report_files/*.html"))) + 1
    single = write_report(result, report)
    assert single == ReportSize(report, 1, report.stat().st_size, report.stat().st_size)
    assert report.read_text(encoding="utf-8") == render_report(result, tmp_path)
    assert [p.name for p in (tmp_path / "report_files").iterdir()] == ["notes.txt"]
