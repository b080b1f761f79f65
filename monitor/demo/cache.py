"""Generate media once per script and generator version, then reuse it from the cache folder.

Layout: ``<cache>/media/<name>-<key>/`` where ``key`` hashes the script, the video options
and :data:`GENERATOR_VERSION`. A folder appears only when complete (built aside, then
renamed), and a lock file keeps concurrent test runs from building the same key twice.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from monitor.demo.bad_inputs import BadInputs, build_bad_inputs, fingerprint
from monitor.demo.build import GENERATOR_VERSION, GeneratedStream, render_stream
from monitor.demo.paths import cache_root
from monitor.demo.render import VideoOptions
from monitor.demo.script import Script, demo_script

__all__ = ["bad_inputs", "build_stream", "cached_folder", "demo_stream"]


def cached_folder(name: str, key: str, build: Callable[[Path], object]) -> Path:
    """The cache folder for ``name``/``key``, filled by ``build(folder)`` on first use (its result is unused)."""
    media = cache_root() / "media"
    folder = media / f"{name}-{key}"
    if folder.is_dir():
        return folder
    media.mkdir(parents=True, exist_ok=True)
    with open(media / f"{name}-{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not folder.is_dir():
            staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=media))
            try:
                build(staging)
                staging.chmod(0o755)
                staging.rename(folder)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    return folder


def build_stream(script: Script, name: str, options: VideoOptions = VideoOptions()) -> GeneratedStream:
    """``<name>.mp4`` and ``<name>.json`` for ``script``, generated on first use."""
    blob = f"{GENERATOR_VERSION}|{script.digest()}|{options}".encode()
    key = hashlib.sha256(blob).hexdigest()[:12]
    folder = cached_folder(name, key, lambda out: render_stream(script, out / f"{name}.mp4", options=options))
    return GeneratedStream(folder / f"{name}.mp4", folder / f"{name}.json")


def demo_stream() -> tuple[Path, Path]:
    """The default demo room: (mp4, ground-truth json)."""
    stream = build_stream(demo_script(), "demo")
    return stream.path, stream.truth


def bad_inputs() -> BadInputs:
    """The bad-input fixtures of :mod:`monitor.demo.bad_inputs`, generated on first use."""
    key = hashlib.sha256(f"{GENERATOR_VERSION}|{fingerprint()}".encode()).hexdigest()[:12]
    return BadInputs.in_folder(cached_folder("bad_inputs", key, build_bad_inputs))
