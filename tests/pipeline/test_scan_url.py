"""A live room served over HTTP as HLS (the way platforms publish streams) scans like a file."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import av
import pytest

from benchmarks.media.truth import StreamTruth
from monitor.config import load_options
from monitor.pipeline.engines import Engines
from monitor.pipeline.scan import scan


def _remux_to_hls(source: Path, folder: Path) -> Path:
    playlist = folder / "room.m3u8"
    with av.open(str(source)) as inp, av.open(
        str(playlist), mode="w", format="hls", options={"hls_time": "4", "hls_playlist_type": "vod"}
    ) as out:
        streams = {s.index: out.add_stream_from_template(s) for s in inp.streams}
        for packet in inp.demux():
            if packet.dts is None:
                continue
            packet.stream = streams[packet.stream.index]
            out.mux(packet)
    return playlist


@pytest.fixture(scope="module")
def hls_url(demo: tuple[Path, StreamTruth], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("hls")
    playlist = _remux_to_hls(demo[0], folder)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/{playlist.name}"
    server.shutdown()
    server.server_close()


def test_hls_stream_over_http_is_scanned_up_to_max_duration(hls_url: str, engines: Engines) -> None:
    options = load_options(max_duration=25.0, faces=False)
    result = scan(hls_url, options, engines)
    assert 24.0 <= result.stats["stream_seconds"] <= 26.0
    assert any("maximum of 25s" in w for w in result.warnings)
    categories = {(f.source, f.category) for f in result.findings}
    # The demo plants 全网最低价 in speech (~14 s) and on screen (~18–22 s) within the first 25 s.
    assert ("speech", "absolute_terms") in categories and ("screen", "absolute_terms") in categories
