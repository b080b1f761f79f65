from pathlib import Path

import pytest

from monitor.demo.bad_inputs import BadInputs
from monitor.errors import EmptySource, SourceNotFound, UnreachableSource, UnreadableMedia
from monitor.sources.open import is_url, open_source, probe


@pytest.mark.parametrize(
    ("spec", "expected"),
    [("http://x/a.m3u8", True), ("rtmp://host/live/1", True), ("HTTPS://x/y.flv", True), ("room.mp4", False),
     ("/tmp/a.ts", False), ("C:/videos/a.mp4", False)],
)
def test_is_url(spec: str, expected: bool) -> None:
    assert is_url(spec) is expected


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceNotFound, match="no such file"):
        open_source(str(tmp_path / "nope.mp4"))


def test_folder_is_not_media(tmp_path: Path) -> None:
    with pytest.raises(SourceNotFound, match="got a folder"):
        open_source(str(tmp_path))


@pytest.mark.parametrize(
    ("attr", "error", "message"),
    [
        ("empty", EmptySource, "empty"),
        ("random_bytes", UnreadableMedia, "corrupt, truncated or not audio/video"),
        ("truncated", UnreadableMedia, "corrupt, truncated or not audio/video"),
    ],
)
def test_unusable_files(bad: BadInputs, attr: str, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        open_source(str(getattr(bad, attr)))


def test_unreachable_url() -> None:
    # Port 9 (discard) on loopback has no listener: the connection is refused at once.
    with pytest.raises(UnreachableSource, match="cannot open the stream|no readable media"):
        open_source("http://127.0.0.1:9/live/room.m3u8", timeout=3)


@pytest.mark.parametrize(("attr", "audio", "video"), [("audio_only", True, False), ("video_only", False, True)])
def test_probe_reports_tracks(bad: BadInputs, attr: str, audio: bool, video: bool) -> None:
    container = open_source(str(getattr(bad, attr)))
    try:
        info = probe(container, "x")
    finally:
        container.close()
    assert (info.has_audio, info.has_video) == (audio, video)
    assert info.duration and info.duration > 0.5
