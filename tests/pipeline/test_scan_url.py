"""A live room served over HTTP as HLS (the way platforms publish streams; `hls_url` in conftest) scans like a file."""

from __future__ import annotations

import tempfile
from pathlib import Path

import av

from monitor.config import load_options
from monitor.pipeline.engines import Engines
from monitor.pipeline.scan import scan


def test_hls_stream_over_http_is_scanned_up_to_max_duration(hls_url: str, engines: Engines) -> None:
    options = load_options(max_duration=25.0, faces=False)
    result = scan(hls_url, options, engines)
    assert 24.0 <= result.stats["stream_seconds"] <= 26.0
    assert any("maximum of 25s" in w for w in result.warnings)
    categories = {(f.source, f.category) for f in result.findings}
    # The demo plants 全网最低价 in speech (~14 s) and on screen (~18–22 s) within the first 25 s.
    assert ("speech", "absolute_terms") in categories and ("screen", "absolute_terms") in categories


def test_findings_of_a_scanned_stream_url_get_clips_cut_from_its_local_copy(
    hls_url: str, engines: Engines, tmp_path: Path
) -> None:
    options = load_options(max_duration=25.0, faces=False)
    result = scan(hls_url, options, engines, clips=tmp_path / "clips")
    assert result.findings and not [w for w in result.warnings if "clip" in w]
    for finding in result.findings:
        clip = Path(finding.evidence.clip or "")
        assert clip.is_file(), finding
        with av.open(str(clip)) as container:
            seconds = float(container.duration or 0) / av.time_base
            assert {s.type for s in container.streams} == {"video", "audio"}
        assert 3.0 <= seconds <= 12.0 and finding.evidence.clip_start is not None
        assert finding.evidence.clip_start <= finding.start <= finding.evidence.clip_start + seconds
    assert not list(Path(tempfile.gettempdir()).glob("livemon-snapshots-*-stream.mkv"))  # the copy is gone
