"""A live room served over HTTP as HLS (the way platforms publish streams; `hls_url` in conftest) scans like a file."""

from __future__ import annotations

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
