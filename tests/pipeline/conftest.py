"""Pipeline fixtures: the demo room served over HTTP as HLS, the way platforms publish live streams."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import av
import pytest

from monitor.demo.truth import StreamTruth


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
