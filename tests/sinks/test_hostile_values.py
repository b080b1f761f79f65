"""Values written by the people being monitored come out of every sink as text, never as markup.

The HTML report, the console summary and the live rooms table are fed hostile file
names, URLs, room titles, OCR text, transcripts, rule descriptions and legal bases.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import shutil
import time
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
import yaml
from rich.console import Console
from typer.testing import CliRunner

from monitor.cli import app
from monitor.demo.bad_inputs import BadInputs
from monitor.detectors.digital_human import RoomMeta, detect_digital_human
from monitor.findings import Evidence, Finding
from monitor.media.snapshots import SnapshotStore
from monitor.media.types import MediaInfo, SampledFrame
from monitor.observations.faces import FaceTrack
from monitor.observations.types import FrameText, TextBox, TranscriptSegment
from monitor.results import RoomState, ScanResult
from monitor.sinks.console import print_summary, rooms_table
from monitor.sinks.html_report import render_report

TAG = "<img src=x onerror=alert(1)>"
SCRIPT = "</div><script>alert('x')</script>"
LINK = '<a href="javascript:alert(1)">点这里领券</a>'
HOSTILE = {
    "file name": f"/rec/{TAG}.mp4",
    "url": f"https://cdn.example/live.m3u8?a=1&b=\"><svg onload=alert(1)>&c={TAG}",
    "room title": f"今晚福利{SCRIPT}",
    "room id": '" onmouseover="alert(1)',
    "ocr": f"全网最低价{LINK}",
    "transcript": f"原价599今天只要59{TAG}",
    "rule description": f"<style>body{{display:none}}</style>{TAG}",
    "basis": f"广告法 Art. 9(3) {SCRIPT}",
    "label": f"数字人直播{TAG}",
    "warning": f"the source has no audio track {LINK}",
}
ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "h1", "h2", "small", "p", "span", "b", "table", "tr", "th", "td",
    "code", "div", "img", "mark",
}


class _Page(HTMLParser):
    """Every tag with its attributes, the text, and the contents of <style>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        (self.styles if self._in_style else self.text).append(data)


def _hostile_result(source: str) -> ScanResult:
    label = TextBox(HOSTILE["label"], (4, 4, 118, 30), 0.9)
    texts = [FrameText(float(i), i, (label,) if i < 4 else (), 320, 240) for i in range(12)]
    room = RoomMeta(room_id=HOSTILE["room id"], title=HOSTILE["room title"], host_type="digital_human",
                    declared_label=HOSTILE["label"])
    info = MediaInfo(source, 12.0, True, True, 320, 240, 25.0)
    dh = detect_digital_human(FaceTrack((), 320, 240, 12.0, "fake"), texts, (), info, room)
    snapshots = SnapshotStore()
    snapshots.add(SampledFrame(1.0, 1, np.zeros((8, 8, 3), np.uint8)))  # frame_000001_000001.00s.jpg
    speech = Finding(
        "price_fraud", "block", 1.0, 3.0, "speech", HOSTILE["transcript"], 0.8, HOSTILE["basis"],
        rule="price.inflated_reference", span=(0, 12), stream=source,
        evidence=Evidence(snapshot="frame_000001_000001.00s.jpg", context=HOSTILE["transcript"]),
    )
    screen = Finding(
        "absolute_terms", "block", 2.0, 2.0, "screen", HOSTILE["ocr"], 0.9, HOSTILE["basis"],
        rule="abs.lowest_price", span=(0, 5), stream=source,
    )
    transcript = [
        TranscriptSegment(0.0, 1.0, HOSTILE["transcript"]),
        TranscriptSegment(1.0, 3.0, HOSTILE["transcript"]),
    ]
    return ScanResult(
        info=info, findings=[speech, screen, *dh.findings], transcript=transcript, frame_texts=texts,
        snapshots=snapshots, digital_human=dh, room=room, warnings=[HOSTILE["warning"]],
        stats={"stream_seconds": 12.0, "wall_seconds": 2.0, "ocr_frames": 12, "sampled_frames": 12},
        provenance={"rules": "absolute_terms@1", "rule_descriptions": {
            "price.inflated_reference": HOSTILE["rule description"], "abs.lowest_price": HOSTILE["rule description"],
        }},
    )


@pytest.mark.parametrize("source", [HOSTILE["file name"], HOSTILE["url"]], ids=["file name", "url"])
def test_the_report_shows_every_hostile_value_as_text(source: str) -> None:
    html = render_report(_hostile_result(source))
    page = _Page()
    page.feed(html)
    assert {tag for tag, _ in page.tags} <= ALLOWED_TAGS
    for tag, attrs in page.tags:
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        assert not any("javascript:" in (value or "").lower() for value in attrs.values()), (tag, attrs)
        if tag == "img":
            assert (attrs["src"] or "").startswith("data:image/jpeg;base64,")
    shown = "".join(page.text)
    for name, value in HOSTILE.items():
        if name in ("file name", "url") and value != source:
            continue
        assert value in shown, f"the {name} is not shown as text"
    assert "<script" not in html.lower()


def test_the_report_forbids_scripts_and_remote_resources() -> None:
    page = _Page()
    page.feed(render_report(_hostile_result(HOSTILE["file name"])))
    (csp,) = [a["content"] for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp is not None
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'" and "script-src" not in directives
    assert directives["img-src"] == "data:" and directives["form-action"] == "'none'"
    (style,) = page.styles
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert directives["style-src"] == f"'sha256-{digest}'"  # exactly the project's stylesheet, nothing inline


def test_autoescaping_does_not_depend_on_the_template_name() -> None:
    from monitor.sinks.html_report import _environment

    template = _environment().from_string("{{ value }}")  # a template with no .html name at all
    assert template.render(value=TAG) == "&lt;img src=x onerror=alert(1)&gt;"


TERMINAL_ATTACKS = {
    "clear screen": "\x1b[2J\x1b[H",
    "window title": "\x1b]0;pwned\x07",
    "hyperlink": "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\",
    "carriage return": "ok\rFAKE",
    "bidi override": "invoice\u202egnp.exe",
    "rich markup": "[link=https://evil.example]点击[/link][bold red]已通过[/]",
}
RAW = ("\x1b[2J", "\x1b]0;", "\x1b]8;;https", "\x07", "\r", "\u202e")


def _terminal() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, color_system="truecolor", width=2000, legacy_windows=False), out


def _assert_harmless(printed: str) -> None:
    for raw in RAW:
        assert raw not in printed, repr(raw)
    assert "[link=https://evil.example]点击[/link][bold red]已通过[/]" in printed  # markup shown, not applied
    assert "\\x1b[2J" in printed and "\\u202e" in printed  # controls shown as escapes


def test_the_console_summary_shows_controls_and_markup_harmlessly() -> None:
    hostile = "".join(TERMINAL_ATTACKS.values())
    result = _hostile_result(hostile)
    result.findings[0] = Finding("price_fraud", "block", 1.0, 3.0, "speech", hostile[-50:], 0.8, "x")
    markup = TERMINAL_ATTACKS["rich markup"]
    result.findings[1] = Finding("absolute_terms", "block", 2.0, 2.0, "screen", markup, 0.9, "x")
    result.warnings[:] = [hostile]
    console, out = _terminal()
    print_summary(result, console)
    printed = out.getvalue()
    _assert_harmless(printed)
    assert re.search(r"价格欺诈 price_fraud", printed)


def test_the_live_rooms_table_shows_controls_and_markup_harmlessly() -> None:
    hostile = "".join(TERMINAL_ATTACKS.values())
    rooms = [
        RoomState(spec=f"https://cdn.example/{hostile}.m3u8", warnings=[hostile]),
        RoomState(spec=f"/rec/{hostile}.flv", error=f"cannot open {hostile}"),
        RoomState(spec=f"https://cdn.example/{hostile}/b.m3u8", reconnecting=True, attempts=3, lost=hostile,
                  lost_at=time.monotonic() - 12.0),
        RoomState(spec="https://cdn.example/c.m3u8", reconnects=2),
    ]
    console, out = _terminal()
    console.print(rooms_table(rooms))
    printed = out.getvalue()
    _assert_harmless(printed)
    text = re.sub(r"\x1b\[[0-9;]*m", "", printed)
    assert re.search(r"重连中 reconnecting · 已断 \d+s lost · 第 3 次重试 attempt 3", text)
    assert "监看中 watching · 重连 2 次 reconnected 2x" in text


def test_a_scan_of_a_hostile_recording_writes_a_harmless_report(bad: BadInputs, tmp_path: Path) -> None:
    """As a user would: a file, room metadata and a rule pack, all written by an attacker."""
    video = tmp_path / f"{TAG}.mp4"
    shutil.copy(bad.video_only, video)
    room = tmp_path / "room.json"
    room.write_text(json.dumps({"room_id": HOSTILE["room id"], "title": HOSTILE["room title"]}), encoding="utf-8")
    packs = tmp_path / "packs"
    packs.mkdir()
    (packs / "hostile.yaml").write_text(yaml.safe_dump({
        "version": "1", "category": "traffic_diversion", "basis": HOSTILE["basis"],
        "rules": [{"id": "custom.live_price", "keywords": ["直播价"], "risk": "review", "confidence": 0.9,
                   "description": HOSTILE["rule description"]}],
    }, allow_unicode=True), encoding="utf-8")
    report = tmp_path / "report.html"
    result = CliRunner().invoke(app, [
        "scan", str(video), "--report", str(report), "--room-meta", str(room), "--rules", str(packs), "--no-faces",
    ])
    assert result.exit_code == 0, result.output
    assert f"报告 report → {report} (1 页, {report.stat().st_size / 1e6:.2f} MB)" in result.output
    page = _Page()
    page.feed(report.read_text(encoding="utf-8"))
    assert {tag for tag, _ in page.tags} <= ALLOWED_TAGS
    assert not [a for _, attrs in page.tags for a in attrs if a.startswith("on")]
    shown = "".join(page.text)
    for name in ("room title", "room id", "rule description", "basis"):
        assert HOSTILE[name] in shown, name
    assert f"{TAG}.mp4" in shown


def test_a_hostile_file_name_in_an_error_is_shown_harmlessly(tmp_path: Path) -> None:
    markup = "[bold red]已通过[/][link=file:x]点击[/link]"
    name = tmp_path / (TERMINAL_ATTACKS["clear screen"] + markup + ".mp4")
    result = CliRunner().invoke(app, ["scan", str(name), "--no-speech"])
    assert result.exit_code == 2
    assert "\x1b[2J" not in result.output and "\\x1b[2J" in result.output
    assert markup in result.output
