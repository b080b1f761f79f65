"""Room addresses are untrusted: only the operator's protocols and hosts are opened, also inside an HLS playlist."""

from __future__ import annotations

import base64
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from monitor.config import load_options
from monitor.errors import ForbiddenSource
from monitor.sources.open import open_source
from monitor.sources.playlist import playlist_addresses
from monitor.sources.policy import SourcePolicy

PLAYLIST = "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\n{segment}\n#EXT-X-ENDLIST\n"


def _tiny_ts(path: Path) -> Path:
    """One second of 64x64 video as MPEG-TS."""
    with av.open(str(path), mode="w", format="mpegts") as out:
        video = out.add_stream("libx264", rate=10, options={"preset": "ultrafast"})
        video.width, video.height, video.pix_fmt = 64, 64, "yuv420p"
        for i in range(10):
            frame = av.VideoFrame.from_ndarray(np.full((64, 64, 3), i * 20, np.uint8), format="rgb24")
            frame.pts = i
            out.mux(video.encode(frame))
        out.mux(video.encode())
    return path


class _Redirect(http.server.SimpleHTTPRequestHandler):
    """Files from the folder; ``/hop/N`` redirects to ``/hop/N-1`` and ``/hop/0`` to the local segment."""

    def do_GET(self) -> None:  # noqa: N802 - the http.server name
        if self.path.startswith("/hop/"):
            n = int(self.path.rsplit("/", 1)[1])
            self.send_response(302)
            self.send_header("Location", f"/hop/{n - 1}" if n else "/seg.ts")
            self.end_headers()
            return
        if self.path == "/away":
            self.send_response(302)
            self.send_header("Location", "http://cdn.elsewhere.example/seg.ts")
            self.end_headers()
            return
        super().do_GET()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """An http server over a folder holding ``seg.ts`` and playlists; its base URL and a local copy of the segment."""
    folder = tmp_path_factory.mktemp("served")
    segment = _tiny_ts(folder / "seg.ts")
    local = tmp_path_factory.mktemp("local") / "secret.ts"
    local.write_bytes(segment.read_bytes())
    data = "data:video/mp2t;base64," + base64.b64encode(segment.read_bytes()).decode()
    playlists = {
        "good.m3u8": "seg.ts", "local.m3u8": local.as_uri(), "data.m3u8": data,
        "elsewhere.m3u8": "http://cdn.elsewhere.example/seg.ts",
    }
    for name, target in playlists.items():
        (folder / name).write_text(PLAYLIST.format(segment=target))
    key = bytes(range(16))
    padder = padding.PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(bytes(16))).encryptor()
    (folder / "enc.ts").write_bytes(
        encryptor.update(padder.update(segment.read_bytes()) + padder.finalize()) + encryptor.finalize()
    )
    (folder / "key.bin").write_bytes(key)
    (folder / "enc.m3u8").write_text(PLAYLIST.format(segment="enc.ts").replace(
        "#EXTINF", '#EXT-X-KEY:METHOD=AES-128,URI="key.bin",IV=0x00000000000000000000000000000000\n#EXTINF'
    ))
    (folder / "big.m3u8").write_text("#EXTM3U\n" + "#EXTINF:1.0,\nseg.ts\n" * 4000)
    handler = functools.partial(_Redirect, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", local
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("file:///etc/passwd", "protocol 'file' is not allowed"),
        ("concat:/tmp/a.ts|/tmp/b.ts", "protocol 'concat' is not allowed"),
        ("data:video/mp2t;base64,AAAA", "protocol 'data' is not allowed"),
        ("pipe:0", "protocol 'pipe' is not allowed"),
        ("crypto+http://cdn.example/a.ts", "protocol 'crypto+http' is not allowed"),
        ("rtsp://cam.example/live", "protocol 'rtsp' is not allowed"),
        ("http:///nohost.m3u8", "names no host"),
        ("https://cdn.example/live.m3u8", None),
        ("rtmp://push.example/live/room1", None),
    ],
)
def test_only_allowed_protocols_pass(address: str, refused: str | None) -> None:
    if refused is None:
        SourcePolicy().check(address)
    else:
        with pytest.raises(ForbiddenSource, match=refused.replace("+", r"\+")):
            SourcePolicy().check(address)


@pytest.mark.parametrize(
    ("host", "allowed"),
    [("cdn.example.com", True), ("CDN.Example.com", True), ("a.live.example.net", True),
     ("live.example.net", False), ("evil-cdn.example.com", False), ("127.0.0.1", False)],
)
def test_allowed_hosts(host: str, allowed: bool) -> None:
    policy = SourcePolicy(hosts=("cdn.example.com", "*.live.example.net"))
    if allowed:
        policy.check(f"https://{host}/room.m3u8")
    else:
        with pytest.raises(ForbiddenSource, match=f"host '{host.lower()}' is not allowed"):
            policy.check(f"https://{host}/room.m3u8")


def test_ffmpeg_protocols_cannot_be_allowed() -> None:
    with pytest.raises(ValueError, match=r"protocols \['file'\] cannot be allowed"):
        SourcePolicy(protocols=("http", "file"))


def test_playlist_addresses_are_resolved_and_sorted() -> None:
    master = (
        "#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",URI=\"audio/zh.m3u8\"\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=800000\nlow/index.m3u8\n#EXT-X-MAP:URI=\"init.mp4\"\n"
        "#EXTINF:2.0,\nhttps://other.example/seg1.ts\n"
    )
    media, nested = playlist_addresses(master, "https://cdn.example/room/master.m3u8")
    assert nested == ["https://cdn.example/room/audio/zh.m3u8", "https://cdn.example/room/low/index.m3u8"]
    assert media == ["https://cdn.example/room/init.mp4", "https://other.example/seg1.ts"]


def test_an_encrypted_playlist_is_refused() -> None:
    text = '#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI="key.bin"\n#EXTINF:2.0,\nseg.ts\n'
    with pytest.raises(ForbiddenSource, match="crypto protocol"):
        playlist_addresses(text, "https://cdn.example/a.m3u8")


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("file:///etc/passwd", "protocol 'file' is not allowed.*give a local recording as a plain path"),
        ("concat:/etc/passwd|/etc/hosts", "protocol 'concat' is not allowed"),
    ],
)
def test_file_and_concat_addresses_are_refused_before_ffmpeg(address: str, message: str) -> None:
    with pytest.raises(ForbiddenSource, match=message):
        open_source(address)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("local.m3u8", r"protocol 'file' is not allowed \(named by the playlist http://127\.0\.0\.1:\d+/local"),
        ("data.m3u8", "protocol 'data' is not allowed"),
        ("big.m3u8", "the playlist is larger than 65536 bytes"),
        ("hop/5", "more than 3 redirects"),
    ],
)
def test_a_served_playlist_or_redirect_that_leads_elsewhere_is_refused(
    server: tuple[str, Path], name: str, message: str
) -> None:
    with pytest.raises(ForbiddenSource, match=message):
        open_source(f"{server[0]}/{name}", timeout=5, policy=SourcePolicy(max_playlist_bytes=65536))


def test_hosts_from_config_refuse_other_hosts_also_behind_a_redirect_or_in_a_playlist(
    server: tuple[str, Path], tmp_path: Path
) -> None:
    config = tmp_path / "livemon.yaml"
    config.write_text("allowed_hosts: ['127.0.0.1']\n")
    policy = SourcePolicy.from_options(load_options(config))
    base = server[0]
    open_source(f"{base}/hop/2", timeout=5, policy=policy).close()
    for address in (f"{base}/away", f"{base}/elsewhere.m3u8"):
        with pytest.raises(ForbiddenSource, match="host 'cdn.elsewhere.example' is not allowed"):
            open_source(address, timeout=5, policy=policy)
    config.write_text("allowed_hosts: ['cdn.example.com']\n")
    with pytest.raises(ForbiddenSource, match="host '127.0.0.1' is not allowed: allowed are cdn.example.com"):
        open_source(f"{base}/good.m3u8", timeout=5, policy=SourcePolicy.from_options(load_options(config)))


@pytest.mark.parametrize("scheme", ["file:", "concat:", "subfile,,start,0,end,0,,:"])
def test_ffmpeg_itself_refuses_a_top_level_protocol_outside_the_whitelist(
    server: tuple[str, Path], scheme: str
) -> None:
    address = scheme + str(server[1])
    with av.open(address) as container:  # what FFmpeg does when asked plainly
        assert container.streams.video
    with pytest.raises(av.error.FFmpegError):
        av.open(address, options=SourcePolicy().ffmpeg_options())


def test_ffmpeg_itself_refuses_a_nested_protocol_outside_the_whitelist(server: tuple[str, Path]) -> None:
    """The whitelist holds on its own, for playlists reloaded after livemon's first look: FFmpeg's HLS
    demuxer reads an AES-128 playlist through its crypto protocol by default, never with the policy's options."""
    url = f"{server[0]}/enc.m3u8"
    with av.open(url, timeout=5) as container:
        assert sum(1 for _ in container.demux()) > 0
    with pytest.raises(av.error.InvalidDataError):
        av.open(url, options=SourcePolicy().ffmpeg_options(), timeout=5)


def test_a_local_recording_still_opens(server: tuple[str, Path]) -> None:
    with open_source(str(server[1])) as container:
        assert container.streams.video
    with open_source(f"{server[0]}/good.m3u8", timeout=5) as container:
        assert sum(1 for _ in container.demux()) > 0
