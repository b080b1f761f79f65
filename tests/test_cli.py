"""What a user sees at the command line: one clear line and a non-zero exit for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.cli import app
from monitor.demo.bad_inputs import BadInputs

runner = CliRunner()


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("/nonexistent/room.mp4", "no such file"),
        ("http://127.0.0.1:9/live.flv", "cannot open the stream|no readable media"),
        ("file:///etc/passwd", "protocol 'file' is not allowed"),
        ("concat:/etc/passwd|/etc/hosts", "protocol 'concat' is not allowed"),
    ],
)
def test_scan_bad_source_is_one_clear_error(source: str, message: str) -> None:
    result = runner.invoke(app, ["scan", source, "--no-speech"])
    assert result.exit_code == 2
    assert "error:" in result.output and "Traceback" not in result.output
    assert __import__("re").search(message, result.output)


@pytest.mark.parametrize(
    ("attr", "message"),
    [("empty", "empty"), ("truncated", "corrupt, truncated"), ("random_bytes", "corrupt, truncated")],
)
def test_scan_bad_files(bad: BadInputs, attr: str, message: str) -> None:
    result = runner.invoke(app, ["scan", str(getattr(bad, attr)), "--no-speech"])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_scan_wrong_config_key(tmp_path: Path, bad: BadInputs) -> None:
    config = tmp_path / "livemon.yaml"
    config.write_text("frame_intervall: 2\n")
    result = runner.invoke(app, ["scan", str(bad.video_only), "--config", str(config)])
    assert result.exit_code == 2 and "did you mean 'frame_interval'" in result.output


@pytest.mark.parametrize(
    ("attr", "warning", "category", "source"),
    [
        ("video_only", "no audio track", "price_fraud", "screen"),
        ("audio_only", "no video track", "absolute_terms", "speech"),
    ],
)
def test_one_sided_file_warns_and_still_checks_the_other_track(
    bad: BadInputs, tmp_path: Path, attr: str, warning: str, category: str, source: str
) -> None:
    out = tmp_path / "f.jsonl"
    result = runner.invoke(app, ["scan", str(getattr(bad, attr)), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert warning in result.output
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert any(r["category"] == category and r["source"] == source for r in records)


def test_silence_gives_a_warning_and_no_findings(bad: BadInputs, tmp_path: Path) -> None:
    out = tmp_path / "f.jsonl"
    result = runner.invoke(app, ["scan", str(bad.silent_wav), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "no speech" in result.output
    assert out.read_text() == ""


def test_check_text_prints_one_json_object_per_line(tmp_path: Path) -> None:
    lines = ["这款面霜是全网最低价", "三十九块九包邮", "", "加我薇信私聊"]
    result = runner.invoke(app, ["check-text"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["text"] for r in records] == lines
    assert [sorted({f["category"] for f in r["findings"]}) for r in records] == [
        ["absolute_terms", "price_fraud"], [], [], ["traffic_diversion"]  # a record low price is both
    ]
    first = records[0]["findings"][0]
    assert set(first) >= {"category", "risk", "span", "confidence", "basis", "rule"}
    assert lines[0][slice(*first["span"])] in "全网最低价"


def test_check_text_reads_transcripts_at_the_speech_operating_point() -> None:
    lines = ["这个茶每天喝能将薛鸭", "家人们晚上好"]
    result = runner.invoke(app, ["check-text", "--source", "speech"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [sorted({f["category"] for f in r["findings"]}) for r in records] == [["medical_claims"], []]
    wrong = runner.invoke(app, ["check-text", "--source", "video"], input="你好\n")
    assert wrong.exit_code == 2 and "--source must be one of text, speech" in wrong.output


def test_watch_without_rooms_or_with_a_bad_rooms_file_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["watch", "--out", str(tmp_path / "f.jsonl")])
    assert result.exit_code == 2 and "no rooms to watch" in result.output
    result = runner.invoke(app, ["watch", "--rooms", str(tmp_path / "missing.txt")])
    assert result.exit_code == 2 and "cannot read the rooms file" in result.output
    (tmp_path / "rooms.txt").write_text("# comments only\n\n", encoding="utf-8")
    result = runner.invoke(app, ["watch", "--rooms", str(tmp_path / "rooms.txt")])
    assert result.exit_code == 2 and "no rooms to watch" in result.output
    (tmp_path / "rooms.txt").write_text("https://cdn.example/a.m3u8\tmissing-room.json  # its room data\n")
    result = runner.invoke(app, ["watch", "--rooms", str(tmp_path / "rooms.txt")])
    assert result.exit_code == 2 and "room metadata file not found" in result.output
    assert str(tmp_path / "missing-room.json") in result.output.replace("\n", "")


def test_demo_writes_findings_and_a_report_with_pictures(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (tmp_path / "findings.jsonl").read_text().splitlines()]
    assert {r["source"] for r in records} == {"speech", "screen"}
    assert all(Path(r["evidence"]["snapshot"]).is_file() for r in records)
    report = (tmp_path / "report.html").read_text()
    assert "报告 report →" in result.output and "(1 页, " in result.output  # the demo's report stays one page
    assert report.count('<img src="data:image/jpeg;base64,') == len(records)
    assert "<mark>" in report and "广告法" in report


@pytest.mark.parametrize("command", ["scan", "watch", "rescan"])
def test_an_unknown_vertical_is_one_clear_error(bad: BadInputs, command: str, tmp_path: Path) -> None:
    extra = ["--store", str(tmp_path / "store")] if command == "rescan" else []
    result = runner.invoke(app, [command, str(bad.video_only), "--vertical", "二手车", *extra])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "未知的行业" in result.output and "tea（茶叶）" in result.output
