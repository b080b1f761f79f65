"""Open a file path or URL with PyAV and describe what it holds.

A network address is opened only as the operator's :class:`SourcePolicy` allows (an http(s)
address is looked at first: :func:`monitor.sources.playlist.check_address`); a local path is opened
with FFmpeg's ``file`` protocol alone. Every PyAV/FFmpeg error is translated here into
:mod:`monitor.errors`.
"""

from __future__ import annotations

import os
from pathlib import Path

import av
import av.container

from monitor.errors import EmptySource, NoUsableTrack, SourceNotFound, UnreachableSource, UnreadableMedia
from monitor.media.types import MediaInfo
from monitor.sources.playlist import check_address
from monitor.sources.policy import LOCAL_WHITELIST, NETWORK_PROTOCOLS, SourcePolicy, scheme_of

__all__ = ["is_url", "open_source", "probe"]

def is_url(spec: str) -> bool:
    """True when ``spec`` names a network stream livemon can read (whether the operator allows it or not)."""
    return scheme_of(spec) in NETWORK_PROTOCOLS


def _check_local(spec: str) -> str:
    path = Path(spec).expanduser()
    if not path.exists():
        raise SourceNotFound(f"no such file: {path}")
    if path.is_dir():
        raise SourceNotFound(f"expected a media file, got a folder: {path}")
    if path.stat().st_size == 0:
        raise EmptySource(f"the file is empty (0 bytes): {path}")
    return str(path)


def open_source(
    spec: str, *, timeout: float = 15.0, policy: SourcePolicy = SourcePolicy(), stall_timeout: float | None = None
) -> av.container.InputContainer:
    """Open ``spec`` (path or URL) for demuxing, with errors a user can act on.

    An address with any protocol (``file:`` and ``concat:`` included) must pass ``policy``; a local
    path is a plain path. ``timeout`` bounds the opening and each network read or write;
    ``stall_timeout`` (``timeout`` when not given) bounds the wait for each packet of a network
    stream: other tracks than the first audio and video are dropped inside FFmpeg, so only a
    packet of those restarts it.
    """
    if scheme_of(spec):
        policy.check(spec)
        if scheme_of(spec) in ("http", "https"):
            check_address(spec, policy, timeout)
        target = spec
        options = {**policy.ffmpeg_options(), "rw_timeout": str(int(timeout * 1_000_000))}
    else:
        target = _check_local(spec)
        options = {"protocol_whitelist": LOCAL_WHITELIST}
    try:
        container = av.open(target, mode="r", options=options, timeout=(timeout, stall_timeout or timeout))
    except av.error.FileNotFoundError as e:
        raise SourceNotFound(f"no such file: {target}") from e
    except (av.error.InvalidDataError, av.error.EOFError) as e:
        if is_url(spec):
            raise UnreachableSource(f"the stream sent no readable media: {e.strerror}", source=spec) from e
        raise UnreadableMedia(
            "cannot read this file as media: it is corrupt, truncated or not audio/video", source=spec
        ) from e
    except (av.error.HTTPError, av.error.ConnectionRefusedError, av.error.TimeoutError, OSError) as e:
        if is_url(spec):
            reason = getattr(e, "strerror", None) or str(e)
            raise UnreachableSource(f"cannot open the stream: {reason}", source=spec) from e
        raise UnreadableMedia(f"cannot open the file: {e}", source=spec) from e
    except av.error.ExitError as e:
        raise UnreachableSource(f"cannot open the stream: no answer within {timeout:g}s", source=spec) from e
    except av.error.FFmpegError as e:
        raise UnreadableMedia(f"FFmpeg cannot open this source: {e.strerror}", source=spec) from e
    if scheme_of(spec):
        _keep_first_tracks(container)
    return container


def _keep_first_tracks(container: av.container.InputContainer) -> None:
    """Have FFmpeg drop the packets of every track but the first audio and video (read as the room)."""
    kept = {s.index for s in (next(iter(container.streams.audio), None), next(iter(container.streams.video), None))
            if s is not None}
    for stream in container.streams:
        if stream.index not in kept:
            stream.discard = av.stream.Discard.all


def probe(container: av.container.InputContainer, spec: str) -> MediaInfo:
    """Describe tracks, duration and metadata tags of an opened container."""
    audio = next(iter(container.streams.audio), None)
    video = next(iter(container.streams.video), None)
    if audio is None and video is None:
        raise NoUsableTrack("the source has neither an audio nor a video track", source=spec)
    metadata = {str(k): str(v) for k, v in (container.metadata or {}).items()}
    for kind, stream in (("audio", audio), ("video", video)):
        if stream is not None:
            metadata.update({f"{kind}:{k}": str(v) for k, v in (stream.metadata or {}).items()})
    duration = container.duration / av.time_base if container.duration else None
    fps = float(video.average_rate) if video is not None and video.average_rate else 0.0
    return MediaInfo(
        source=os.fspath(spec),
        duration=duration,
        has_audio=audio is not None,
        has_video=video is not None,
        width=video.codec_context.width if video is not None else 0,
        height=video.codec_context.height if video is not None else 0,
        fps=fps,
        container_format=container.format.name,
        metadata=metadata,
    )
