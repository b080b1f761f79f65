"""A live HLS room on a real socket that goes down on cue: a sliding playlist of real .ts segments.

Used by the reconnect tests and the soak benchmark (``benchmarks.rooms.soak``). The segments are cut
by FFmpeg's HLS muxer (:func:`make_segments`: a generated host stand-in with captions, silent audio;
the soak cuts the demo room looped), so their timestamps run on like a real encoder's. The room's
clock starts with :meth:`LiveHls.start`: segment ``k`` is published once the stream has "played" up
to its end, and the playlist lists the newest ``window`` of them. During an outage the listening
socket is closed (connections are refused), and the clock runs on, as a real room's would. With
``end_list`` the playlist says ``#EXT-X-ENDLIST`` once every segment is out (the broadcast ended).
Every segment sent in full is logged in :attr:`LiveHls.served`.
"""

from __future__ import annotations

import functools
import http.server
import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from monitor.demo.render import Scene, VideoOptions

SEGMENT_SECONDS = 1.0
FPS = 10


@dataclass(frozen=True, slots=True)
class Caption:
    """``text`` on screen from ``start`` to ``end`` (stream seconds)."""

    text: str
    start: float
    end: float


def make_segments(folder: Path, seconds: float, captions: Sequence[Caption]) -> list[tuple[str, float]]:
    """Encode ``seconds`` of a 480x270 room showing ``captions`` into 1 s HLS segments; their names and lengths."""
    scene = Scene(VideoOptions(width=480, height=270, fps=FPS), shop="好物直播间")
    with av.open(str(folder / "all.m3u8"), mode="w", format="hls", options={
        "hls_time": str(SEGMENT_SECONDS), "hls_playlist_type": "vod",
        "hls_segment_filename": str(folder / "seg%03d.ts"),
    }) as out:
        video = out.add_stream("libx264", rate=FPS, options={"preset": "ultrafast", "g": str(FPS)})
        video.width, video.height, video.pix_fmt = 480, 270, "yuv420p"
        audio = out.add_stream("aac", rate=16_000, layout="mono")
        chunk = 1024
        silence = np.zeros((1, chunk), np.float32)
        sent = 0
        for i in range(round(seconds * FPS)):
            t = i / FPS
            screen = tuple(c.text for c in captions if c.start <= t < c.end)
            frame = av.VideoFrame.from_ndarray(scene.frame(t, screen, 0.0), format="rgb24")
            frame.pts = i
            out.mux(video.encode(frame))
            while sent < (i + 1) / FPS * 16_000:  # audio alongside, as an encoder interleaves it
                sound = av.AudioFrame.from_ndarray(silence, format="flt", layout="mono")
                sound.sample_rate, sound.pts = 16_000, sent
                out.mux(audio.encode(sound))
                sent += chunk
        out.mux(video.encode())
        out.mux(audio.encode())
    lines = (folder / "all.m3u8").read_text().splitlines()
    lengths = [float(line.split(":")[1].rstrip(",")) for line in lines if line.startswith("#EXTINF:")]
    names = [line for line in lines if line.endswith(".ts")]
    return list(zip(names, lengths, strict=True))


class LiveHls:
    """Serves ``segments`` from ``folder`` as a live room at ``url``; down during each ``(start, end)`` outage.

    An outage's times are seconds on the room's clock; ``end`` may be ``math.inf`` (never back).
    """

    def __init__(
        self, folder: Path, segments: list[tuple[str, float]], outages: Sequence[tuple[float, float]] = (),
        window: int = 4, preroll: float = 4.0, end_list: bool = False,
    ) -> None:
        self.folder, self.segments, self.outages, self.window = folder, segments, outages, window
        self.preroll = preroll
        """Seconds of the room already on air when it starts (so a player can join at once)."""
        self.end_list = end_list
        self.ends = [float(end) for end in np.cumsum([length for _, length in segments])]
        self.served: list[tuple[float, int]] = []
        """(room clock, segment index) of every segment sent in full, in order."""
        self._index = {name: i for i, (name, _) in enumerate(segments)}
        self._lock = threading.Lock()
        self._started = 0.0
        self._server: http.server.ThreadingHTTPServer | None = self._serve(0)
        self.port = self._server.server_address[1]
        self._stop = threading.Event()
        self._clock = threading.Thread(target=self._run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/live.m3u8"

    def now(self) -> float:
        return time.monotonic() - self._started

    def start(self) -> LiveHls:
        self._started = time.monotonic() - self.preroll
        self._clock.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._clock.join()
        if self._server is not None:
            self._down()

    def playlist(self) -> str:
        published = sum(1 for end in self.ends if end <= self.now())
        first = max(0, published - self.window)
        longest = max((length for _, length in self.segments), default=SEGMENT_SECONDS)
        lines = [
            "#EXTM3U", "#EXT-X-VERSION:3", f"#EXT-X-TARGETDURATION:{math.ceil(longest)}",
            f"#EXT-X-MEDIA-SEQUENCE:{first}",
        ]
        for name, length in self.segments[first:published]:
            lines += [f"#EXTINF:{length:.3f},", name]
        if self.end_list and published == len(self.segments):
            lines.append("#EXT-X-ENDLIST")
        return "\n".join(lines) + "\n"

    def served_segments(self) -> list[tuple[float, int]]:
        """A copy of :attr:`served`, safe while the room is on air."""
        with self._lock:
            return list(self.served)

    def _sent(self, path: str) -> None:
        if (index := self._index.get(path.split("?")[0].lstrip("/"))) is not None:
            with self._lock:
                self.served.append((self.now(), index))

    def _run(self) -> None:
        """Takes the server down and brings it back on the same port as the outages say."""
        while not self._stop.wait(0.05):
            down = any(start <= self.now() < end for start, end in self.outages)
            if down and self._server is not None:
                self._down()
            elif not down and self._server is None:
                self._server = self._serve(self.port)

    def _down(self) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()
        self._server = None

    def _serve(self, port: int) -> http.server.ThreadingHTTPServer:
        room = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server name
                if self.path.split("?")[0] != "/live.m3u8":
                    super().do_GET()
                    room._sent(self.path)
                    return
                body = room.playlist().encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/vnd.apple.mpegurl")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", port), functools.partial(Handler, directory=str(self.folder))
        )
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server
