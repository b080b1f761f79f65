"""Helpers of the console tests: logging a browser-like client in, evidence blobs, a finding with evidence."""

from __future__ import annotations

import io
import re
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw

from tests.service.queue_helpers import finding

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf-token" content="([^"]*)"|name="csrf" value="([^"]*)"')


def csrf_of(html: str) -> str:
    """The CSRF token a page carries (its meta tag or a form field)."""
    found = _CSRF.search(html)
    assert found is not None, "the page carries no CSRF token"
    return found.group(1) or found.group(2)


def login(app: FastAPI, user: str, password: str = PASSWORD, address: str = "10.0.0.1") -> TestClient:
    """A client with its own cookies, logged in as ``user`` (asserted)."""
    client = TestClient(app, client=(address, 50000))
    form = client.get("/console/login")
    answer = client.post("/console/login", data={"user": user, "password": password, "csrf": csrf_of(form.text)},
                         follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return client


def jpeg(width: int = 320, height: int = 180) -> bytes:
    """A small JPEG frame with a price tag drawn on it."""
    image = Image.new("RGB", (width, height), (40, 70, 110))
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 110, 300, 160), fill=(220, 40, 40))
    draw.text((30, 125), "599 -> 59", fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def mp4(seconds: int = 4, fps: int = 10) -> bytes:
    """A small H.264 clip (a bar moving across), playable by a browser."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "clip.mp4"
        _write_clip(path, seconds, fps)
        return path.read_bytes()


def _write_clip(path: Path, seconds: int, fps: int) -> None:
    with av.open(str(path), "w", options={"movflags": "faststart"}) as container:
        codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = 160, 96, "yuv420p"
        stream.time_base = Fraction(1, fps)
        for i in range(seconds * fps):
            frame = np.full((96, 160, 3), 30, np.uint8)
            frame[:, (i * 4) % 160:(i * 4) % 160 + 8] = 230
            video = av.VideoFrame.from_ndarray(frame, format="rgb24")
            video.pts = i
            container.mux(stream.encode(video))
        container.mux(stream.encode(None))


def evidenced(fid: str, snapshot: str | None = None, clip: str | None = None, clip_start: float = 0.0,
              **extra: Any) -> dict[str, Any]:
    """A finding whose evidence names a snapshot and a clip by sha256, its text inside its context."""
    body = finding(fid, **extra)
    body["evidence"] = {"snapshot": "snapshots/f.jpg", "context": f"家人们看过来，{body['text']}赶紧下单。",
                        "signals": {}, "snapshot_sha256": snapshot, "clip_sha256": clip, "clip_start": clip_start}
    return body
