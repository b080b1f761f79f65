"""What the room-address checks cost each time a room is opened (and so at every reconnect).

``python -m benchmarks.speed.open_check [--opens 30]`` serves a 10 s HLS room over HTTP on
loopback and opens it, reading its first packet, three ways in turn:

- ``av.open``: FFmpeg as it comes, no whitelist: the baseline;
- ``av.open + whitelist``: with :meth:`SourcePolicy.ffmpeg_options` (protocol whitelist, redirect cap);
- ``open_source``: livemon's open: the policy check, the playlist fetched and every address in it
  checked (:func:`~monitor.sources.playlist.check_address`), then FFmpeg with the whitelist.

Reports the median and p95 seconds of each and their ratio to the baseline. Writes
``benchmarks/results/open_check.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np

from benchmarks import RESULTS_DIR
from benchmarks.suite.machine import describe_machine
from monitor.sources.open import open_source
from monitor.sources.policy import SourcePolicy

__all__ = ["measure_opens"]


def _hls_room(folder: Path, seconds: int = 10) -> Path:
    """A 320x180, 10 fps room cut into 1 s segments, as a finished playlist."""
    playlist = folder / "room.m3u8"
    with av.open(str(playlist), mode="w", format="hls", options={"hls_time": "1", "hls_playlist_type": "vod"}) as out:
        video = out.add_stream("libx264", rate=10, options={"preset": "ultrafast", "g": "10"})
        video.width, video.height, video.pix_fmt = 320, 180, "yuv420p"
        for i in range(seconds * 10):
            frame = av.VideoFrame.from_ndarray(np.full((180, 320, 3), i % 255, np.uint8), format="rgb24")
            frame.pts = i
            out.mux(video.encode(frame))
        out.mux(video.encode())
    return playlist


def _first_packet(container: av.container.InputContainer) -> None:
    with container:
        next(container.demux())


def measure_opens(url: str, opens: int) -> dict[str, list[float]]:
    """Seconds per open (to the first packet) of each way, the ways taken in turn."""
    policy = SourcePolicy()
    ways: dict[str, Callable[[], None]] = {
        "av.open": lambda: _first_packet(av.open(url, timeout=10)),
        "av.open + whitelist": lambda: _first_packet(av.open(url, options=policy.ffmpeg_options(), timeout=10)),
        "open_source": lambda: _first_packet(open_source(url, timeout=10, policy=policy)),
    }
    seconds: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(opens):
        for name, way in ways.items():
            started = time.perf_counter()
            way()
            seconds[name].append(time.perf_counter() - started)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opens", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        playlist = _hls_room(Path(scratch))
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=scratch)
        handler.log_message = lambda *a: None  # type: ignore[attr-defined]
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            seconds = measure_opens(f"http://127.0.0.1:{server.server_address[1]}/{playlist.name}", args.opens)
        finally:
            server.shutdown()
            server.server_close()
    baseline = statistics.median(seconds["av.open"])
    rows = {
        name: {"median_s": statistics.median(s), "p95_s": float(np.quantile(s, 0.95)),
               "ratio": statistics.median(s) / baseline}
        for name, s in seconds.items()
    }
    result = {"opens": args.opens, "machine": describe_machine("cpu"), "ways": rows}
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "open_check.json").write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    lines = [
        "# Opening a room: the address checks against FFmpeg alone", "",
        f"`python -m benchmarks.speed.open_check --opens {args.opens}` (HLS over HTTP on loopback, to the first "
        "packet)", "", "| way | median s | p95 s | × av.open |", "|---|---|---|---|",
        *(f"| {name} | {r['median_s']:.4f} | {r['p95_s']:.4f} | {r['ratio']:.2f} |" for name, r in rows.items()),
    ]
    (RESULTS_DIR / "open_check.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
