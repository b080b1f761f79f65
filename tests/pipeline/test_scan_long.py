"""A recording longer than one speech chunk: claims are found all the way through, across the chunk cuts,
and the snapshot folder a scan spills to holds only the findings' pictures and is gone with the result."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from benchmarks.speed.long_streams import loop_stream
from monitor.config import ScanOptions
from monitor.demo.truth import StreamTruth
from monitor.pipeline.engines import Engines
from monitor.pipeline.scan import scan


def test_claims_are_found_in_every_loop_of_a_long_stream(
    tmp_path: Path, demo: tuple[Path, StreamTruth], options: ScanOptions, engines: Engines,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))  # other processes' scans spill to /tmp too
    video, truth = demo
    long = tmp_path / "long.mp4"
    loop_stream(video, long, minutes=6.5)  # five loops of the demo: more than three 120 s speech chunks
    spills_before = set(Path(tempfile.gettempdir()).glob("livemon-snapshots-*"))
    result = scan(str(long), options.model_copy(update={"faces": False}), engines)
    (spill,) = set(Path(tempfile.gettempdir()).glob("livemon-snapshots-*")) - spills_before
    kept = {f.evidence.snapshot for f in result.findings if f.evidence.snapshot}
    assert {p.name for p in spill.iterdir()} == kept  # every other sampled frame's picture is gone
    assert result.duration > 360
    loop = truth.duration + 0.1
    loops = int(result.duration // loop)
    planted = {c for beat in truth.speech_claims() for c in beat.speech_labels}
    for k in range(loops):
        found = {f.category for f in result.findings if f.source == "speech" and k * loop <= f.start < (k + 1) * loop}
        assert len(found & planted) >= len(planted) - 1, (k, sorted(planted - found))
    assert all(f.evidence.snapshot in result.snapshots.images for f in result.findings if f.evidence.snapshot)
    result.snapshots.close()
    assert not spill.exists()
