"""A scan writes its record's long sequences to the store as it goes, detects over them a part at a time, and
`livemon report` makes the scan's report again from the store, byte for byte (on SQLite and PostgreSQL; a
looped demo stream, many parts long, in the slow tests)."""

from __future__ import annotations

import gc
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from benchmarks.speed.long_streams import loop_stream
from monitor.cli import app
from monitor.config import ScanOptions
from monitor.demo.truth import StreamTruth
from monitor.detectors.stream import detect_stream
from monitor.pipeline.engines import Engines
from monitor.pipeline.scan import detector_options, scan
from monitor.pipeline.stored_report import find_source, stored_report
from monitor.results import ScanResult
from monitor.sinks.html_report import write_report
from monitor.store import Store
from monitor.store import parts as parts_module

runner = CliRunner()


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _reports_match(result: ScanResult, store: Store, spec: str, folder: Path, page_size: int) -> int:
    """The scan's report and the store's, one page and paged; returns the number of paged files compared."""
    key = find_source(store, spec)
    for name, size in (("single", 10_000), ("paged", page_size)):
        write_report(result, folder / "from_scan" / name / "report.html", page_size=size, transcript_seconds=60)
        write_report(stored_report(store, key), folder / "from_store" / name / "report.html", page_size=size,
                     transcript_seconds=60)
    scanned, stored = _files(folder / "from_scan"), _files(folder / "from_store")
    assert scanned.keys() == stored.keys()
    for name in scanned:
        assert scanned[name] == stored[name], name
    return len(scanned)


def _detected_whole(result: ScanResult, options: ScanOptions, engines: Engines, spec: str) -> list[dict]:
    """Detection over the same record with every sequence in memory (as scans held it before)."""
    assert result.record is not None
    whole = result.record.whole()
    detection = detect_stream(whole, engines.claims, detector_options(options), stream=spec)
    return [{k: v for k, v in f.to_dict().items() if k != "provenance"} for f in detection.findings]


def test_the_store_keeps_the_record_as_made_and_makes_the_scans_report_again(
    store: Store, demo: tuple[Path, StreamTruth], options: ScanOptions, engines: Engines, tmp_path: Path
) -> None:
    video = str(demo[0])
    result = scan(video, options, engines, store=store)
    record = result.record
    assert record is not None and record.blobs is store.blobs
    assert record.head.screen is not None and record.head.screen.frame_texts == ()  # not held: in the parts
    assert record.parts.frame_texts.items == record.head.screen.sampled_frames and record.parts.transcript.items
    assert record.head.speech is not None and record.head.speech.transcript == ()
    assert result.digital_human is not None and len(result.findings) >= 8
    found = [{k: v for k, v in f.to_dict().items() if k != "provenance"} for f in result.findings]
    assert found == _detected_whole(result, options, engines, video)
    assert _reports_match(result, store, video, tmp_path, page_size=3) > 4

    report = tmp_path / "cli" / "report.html"
    db = store.engine.url.render_as_string(hide_password=False)
    done = runner.invoke(app, ["report", video, "--store", str(store.folder), "--db", db, "--report", str(report)])
    assert done.exit_code == 0, done.output
    assert report.read_bytes() == (tmp_path / "from_scan" / "single" / "report.html").read_bytes()
    missing = runner.invoke(app, ["report", "sha256:" + "0" * 64, "--store", str(store.folder), "--db", db])
    assert missing.exit_code == 2 and "holds no record" in missing.output


def test_without_a_store_the_record_lives_in_a_temporary_folder_as_long_as_the_result(
    demo: tuple[Path, StreamTruth], options: ScanOptions, engines: Engines, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # other processes' scans write to /tmp too
    before = set(Path(tempfile.gettempdir()).glob("livemon-record-*"))
    result = scan(str(demo[0]), options.model_copy(update={"faces": False}), engines)
    (folder,) = set(Path(tempfile.gettempdir()).glob("livemon-record-*")) - before
    assert result.record is not None and not result.record.parts.empty
    assert [s.text for s in result.transcript] and len(result.frame_texts) == result.stats["sampled_frames"]
    del result
    gc.collect()
    assert not folder.exists()


@pytest.mark.slow
def test_a_looped_stream_in_many_parts_finds_and_reports_what_the_whole_record_does(
    tmp_path: Path, demo: tuple[Path, StreamTruth], options: ScanOptions, engines: Engines,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, kind in parts_module.KINDS.items():  # parts of a few items: many parts a sequence
        size = 10 if name == "transcript" else 40
        monkeypatch.setitem(parts_module.KINDS, name, parts_module._Kind(kind.item, size, kind.time))
    long = tmp_path / "long.mp4"
    loop_stream(demo[0], long, minutes=3.5)  # three loops of the demo, four 60 s speech chunks
    looped = options.model_copy(update={"asr_chunk_seconds": 60.0})
    with Store.open(tmp_path / "store") as store:
        result = scan(str(long), looped, engines, store=store)
        assert result.record is not None and len(result.record.parts.frame_texts.parts) >= 5
        assert len(result.record.parts.face_frames.parts) >= 5 and len(result.record.parts.transcript.parts) >= 3
        assert result.duration > 200 and len(result.findings) > 25
        found = [{k: v for k, v in f.to_dict().items() if k != "provenance"} for f in result.findings]
        assert found == _detected_whole(result, looped, engines, str(long))
        assert _reports_match(result, store, str(long), tmp_path / "reports", page_size=10) > 8
