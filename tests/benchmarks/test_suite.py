"""The benchmark suite: Markdown rendering and the command line (fast), and a quick run end to end (slow)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.suite import ALL, Section, Table, command_line, markdown, run_suite
from benchmarks.suite.accuracy import _claims_table, _summary
from benchmarks.suite.report import ratio

MACHINE = {"cpu": "Test CPU", "cores": 2, "memory_gib": 8.0, "device": "cpu",
           "load_average": {"start": (1.0, 1.0, 1.0), "end": (2.0, 1.5, 1.0)}}


def test_markdown_names_machine_device_command_and_tables() -> None:
    columns = ("measure", "livemon", "baseline", "ratio")
    table = Table("Speed beside its baseline", columns, (("scan", "2.00", "4.00", "0.5"),))
    sections = [
        Section("throughput", "ok", tables=(table,), notes=("decode included",), seconds=12.0,
                load_average=(1.0, 2.0, 3.0)),
        Section("accuracy", "failed", notes=("failed: RuntimeError('x')",)),
    ]
    text = markdown(sections, MACHINE, "python -m benchmarks.suite --out x", ["latency_vs_rooms.png"])
    assert "Test CPU, 2 cores" in text
    assert "device: cpu" in text
    assert "`python -m benchmarks.suite --out x`" in text
    assert "| measure | livemon | baseline | ratio |\n|---|---|---|---|\n| scan | 2.00 | 4.00 | 0.5 |" in text
    assert "## accuracy\n\nstatus: failed" in text
    assert "- decode included" in text
    assert "![latency_vs_rooms](latency_vs_rooms.png)" in text
    assert "(2.0, 1.5, 1.0)" in text


def test_table_rejects_ragged_rows() -> None:
    with pytest.raises(ValueError, match="expected 2"):
        Table("t", ("a", "b"), (("1",),))


@pytest.mark.parametrize(("num", "den", "expected"), [(3.0, 2.0, 1.5), (1.0, 3.0, 0.33), (1.0, 0.0, None)])
def test_ratio(num: float, den: float, expected: float | None) -> None:
    assert ratio(num, den) == expected


@pytest.mark.parametrize(
    ("quick", "sections", "expected"),
    [
        (False, ALL, "python -m benchmarks.suite --out r"),
        (True, ALL, "python -m benchmarks.suite --out r --quick"),
        (False, ("rooms", "latency"), "python -m benchmarks.suite --out r --sections rooms,latency"),
    ],
)
def test_command_line(quick: bool, sections: tuple[str, ...], expected: str) -> None:
    assert command_line(Path("r"), quick, sections) == expected


def test_unknown_section_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown section"):
        run_suite(tmp_path, sections=("speed",))


def test_claims_summary_and_table() -> None:
    micro = {"precision": 0.9, "recall": 0.7, "f1": 0.7875}
    system = {"micro": micro, "strict_micro": micro, "clean_flag_rate": 0.03, "errors": {"x": "dropped"}}
    result = {"condition": "clean", "split": "test", "records": 657, "split_records": 657, "scoring": "...",
              "systems": {"rules": system}}
    clean = _summary(result)
    assert "errors" not in clean["systems"]["rules"] and "scoring" not in clean
    claims = {"status": "ok", "conditions": {"clean": clean, "asr": {"status": "not available", "reason": "no texts"}}}
    table = _claims_table(claims)
    assert table.rows[0][:6] == ("clean", "rules", "657/657", "0.900", "0.700", "0.787")
    assert table.rows[1][0] == "asr" and "no texts" in table.rows[1][-1]


@pytest.mark.slow
def test_quick_suite_writes_results(tmp_path: Path) -> None:
    stages: list[str] = []
    result = run_suite(tmp_path, quick=True, hook=lambda stage, done, total=None: stages.append(stage))
    assert [s.name for s in result.sections] == list(ALL)
    assert all(s.status == "ok" for s in result.sections), [s.data for s in result.sections if s.status != "ok"]
    assert {"suite", "rooms", "throughput", "accuracy"} <= set(stages)

    data = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert data["quick"] is True
    assert set(data["sections"]) == set(ALL)
    assert data["machine"]["cores"] >= 1
    assert len(data["machine"]["load_average"]["start"]) == 3

    throughput = data["sections"]["throughput"]["data"]
    assert throughput["scan"]["scan"]["x_realtime"] > 0
    assert throughput["scan"]["baseline_faster_whisper"]["x_realtime"] > 0
    assert throughput["scan"]["scan_vs_baseline_time_ratio"] > 0
    assert throughput["ocr"]["speedup"] > 0
    assert 0 < throughput["ocr"]["ocr_reads_gated"] <= throughput["ocr"]["frames"]

    rooms = data["sections"]["rooms"]["data"]
    assert len(rooms["runs"]) == 2
    assert rooms["asr_modes"]["fastest"] in rooms["asr_modes"]["seconds"]
    assert rooms["asr_modes"]["speedup_vs_plain"]["plain"] == 1.0
    assert 0 <= rooms["max_kept"] <= 2
    assert rooms["decode_share"] > 0
    for run in rooms["runs"]:
        for kind in ("speech", "screen"):
            if run[kind]["completed"]:
                assert run[kind]["p95"] >= run[kind]["p50"] >= 0

    latency = data["sections"]["latency"]["data"]["runs"]
    assert {r["kind"] for r in latency} == {"speech", "screen"}
    assert data["sections"]["memory"]["data"]["peak_rss_mib"] > 0
    assert 0 <= data["sections"]["accuracy"]["data"]["digital_human"]["accuracy"] <= 1
    assert data["sections"]["accuracy"]["data"]["claims"]["status"] in ("ok", "not available")

    text = (tmp_path / "results.md").read_text(encoding="utf-8")
    for name in ALL:
        assert f"## {name}" in text
    assert "--quick" in text
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    assert pngs == ["latency_vs_rooms.png", "throughput.png"]
    assert all((tmp_path / p).read_bytes()[:4] == b"\x89PNG" for p in pngs)
