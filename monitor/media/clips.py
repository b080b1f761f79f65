"""Evidence clips: a few seconds of a stream around a finding, as MP4, by stream copy (no re-encode).

A clip is cut from a file (seeking to the keyframe at or before the window), from a room's
:class:`PacketRing` of recent packets (a live watch), or from the :class:`StreamRecorder` copy of
a stream URL a scan read once. Its video starts at the last keyframe at or
before the window's start; the frames before the window are kept only so the first ones can be
decoded, and the MP4's edit list hides them, so a player's time 0 is the clip's ``start``.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import av.container
import av.stream

from monitor.errors import LivemonError

__all__ = [
    "CLIP_AFTER",
    "CLIP_BEFORE",
    "MAX_CLIP_BYTES",
    "Clip",
    "ClipError",
    "PacketRing",
    "StreamRecorder",
    "clip_window",
    "cut_file",
]

CLIP_BEFORE = 5.0
CLIP_AFTER = 5.0
MAX_CLIP_BYTES = 32 * 1024 * 1024
"""A clip stops growing here (the service takes evidence up to 64 MiB)."""
SEEK_LEADS = (0.0, 10.0, 30.0, 90.0)
"""Seconds before a window a file is sought to, in turn, until its video starts at a keyframe in time."""


class ClipError(LivemonError):
    """Why a clip could not be made; the finding goes out without one."""


@dataclass(frozen=True, slots=True)
class Clip:
    """A written clip: its time 0 is stream time ``start`` (seconds, as findings count them)."""

    path: Path
    start: float
    duration: float
    video: bool
    audio: bool


def clip_window(t: float, before: float = CLIP_BEFORE, after: float = CLIP_AFTER) -> tuple[float, float]:
    """The stream times ``[t - before, t + after]`` a finding at ``t`` is clipped to (never before 0)."""
    return max(0.0, t - before), t + after


def _seconds(value: int | None, packet: av.Packet) -> float | None:
    return float(value * packet.time_base) if value is not None and packet.time_base is not None else None


def _decode_time(packet: av.Packet) -> float:
    """The packet's decode time, or its presentation time where the demuxer gave none (Matroska)."""
    seconds = _seconds(packet.dts if packet.dts is not None else packet.pts, packet)
    return seconds if seconds is not None else 0.0


class _Selection:
    """The packets of one clip, offered in decode order: video from the last keyframe at or before the
    window's start (or the first after it), audio overlapping the window, within the byte budget."""

    def __init__(self, start: float, end: float, video: int | None, audio: int | None, max_bytes: int) -> None:
        self.start, self.end, self.max_bytes = start, end, max_bytes
        self.video, self.audio = video, audio
        self.video_packets: list[av.Packet] = []
        self.audio_packets: list[av.Packet] = []
        self.order: list[av.Packet] = []
        self.done: set[int] = set()
        self.bytes = 0
        self.full = False

    @property
    def finished(self) -> bool:
        return self.full or self.done >= {i for i in (self.video, self.audio) if i is not None}

    def offer(self, packet: av.Packet) -> None:
        index = packet.stream.index
        pts = _seconds(packet.pts, packet)
        if pts is None or index in self.done or self.full:
            return
        dts = _decode_time(packet)
        if index == self.video:
            if packet.is_keyframe and pts <= self.start:
                self._drop(self.video_packets)  # a later keyframe still before the window: start there
            elif not self.video_packets and not packet.is_keyframe:
                return
            if dts >= self.end or (not self.video_packets and pts >= self.end):
                self.done.add(index)
                return
            self._take(self.video_packets, packet)
        elif index == self.audio:
            duration = _seconds(packet.duration, packet) or 0.0
            if pts >= self.end:
                self.done.add(index)
            elif pts + duration > self.start:
                self._take(self.audio_packets, packet)

    def _take(self, packets: list[av.Packet], packet: av.Packet) -> None:
        if self.bytes + packet.size > self.max_bytes:
            self.full = True
            return
        packets.append(packet)
        self.order.append(packet)
        self.bytes += packet.size

    def _drop(self, packets: list[av.Packet]) -> None:
        dropped = {id(p) for p in packets}
        self.order = [p for p in self.order if id(p) not in dropped]
        self.bytes -= sum(p.size for p in packets)
        packets.clear()

    @property
    def video_from_start(self) -> bool:
        """Whether the video begins at a keyframe at or before the window's start."""
        first = self.video_packets[0] if self.video_packets else None
        return first is not None and (_seconds(first.pts, first) or 0.0) <= self.start

    def packets(self) -> list[av.Packet]:
        """Both streams' packets, in the order they were demuxed."""
        return self.order


def _write_mp4(
    selection: _Selection, templates: Sequence[av.stream.Stream], origin: float, out: Path, at: float | None
) -> Clip:
    """Mux the selected packets into ``out`` with the window's start (or the first content after it) at time 0.

    The clip must show something, and stream time ``at`` when given (seconds from ``origin``).
    """
    packets = selection.packets()
    firsts = [_seconds(p[0].pts, p[0]) or 0.0 for p in (selection.video_packets, selection.audio_packets) if p]
    start = max(selection.start, min(firsts)) if firsts else selection.start
    end = max(((_seconds(p.pts, p) or 0.0) + (_seconds(p.duration, p) or 0.0) for p in packets), default=start)
    wanted = selection.start if at is None else at + origin
    if end <= start or not start <= wanted < end:
        span = f"{start - origin:.1f}-{end - origin:.1f}s" if end > start else "nothing"
        raise ClipError(f"the stream at hand does not hold {wanted - origin:.1f}s (a clip would cover {span})")
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with av.open(str(out), "w", format="mp4", options={"movflags": "+faststart"}) as container:
            streams = {t.index: container.add_stream_from_template(t) for t in templates
                       if t.index in {p.stream.index for p in packets}}
            for packet in packets:
                assert packet.pts is not None and packet.time_base is not None
                shift = round(start / packet.time_base)
                copy = av.Packet(bytes(packet))
                copy.pts, copy.duration = packet.pts - shift, packet.duration
                copy.dts = packet.dts - shift if packet.dts is not None else None
                copy.time_base, copy.is_keyframe = packet.time_base, packet.is_keyframe
                copy.stream = streams[packet.stream.index]
                container.mux(copy)
    except (av.error.FFmpegError, ValueError, NotImplementedError) as e:
        with contextlib.suppress(OSError):
            out.unlink()
        codecs = ", ".join(sorted({t.codec_context.name for t in templates}))
        raise ClipError(f"the stream ({codecs}) cannot be copied into an MP4 clip: {e}") from e
    return Clip(out, round(start - origin, 3), round(end - start, 3), bool(selection.video_packets),
                bool(selection.audio_packets))


def _av_streams(streams: Iterable[av.stream.Stream]) -> tuple[av.stream.Stream | None, av.stream.Stream | None]:
    streams = list(streams)
    video = next((s for s in streams if s.type == "video"), None)
    audio = next((s for s in streams if s.type == "audio"), None)
    return video, audio


def cut_file(
    source: str | Path, start: float, end: float, out: Path, *, at: float | None = None,
    max_bytes: int = MAX_CLIP_BYTES,
) -> Clip:
    """Write the clip of stream times ``[start, end]`` of a media file to ``out`` (an MP4).

    Times count from the file's start time, as the scan's do. Raises :class:`ClipError` when
    the file cannot be read, holds nothing at ``at`` (or in the window), or its codecs cannot
    go into an MP4.
    """
    try:
        container = av.open(str(source))
    except (av.error.FFmpegError, OSError) as e:
        raise ClipError(f"cannot read {source} for a clip: {e}") from e
    with container:
        video, audio = _av_streams(container.streams)
        if video is None and audio is None:
            raise ClipError(f"{source} has no audio or video to clip")
        origin = container.start_time / 1_000_000 if container.start_time is not None else 0.0
        anchor = video or audio
        assert anchor is not None and anchor.time_base is not None
        for lead in SEEK_LEADS:  # some formats (MPEG-TS) seek near, not to, the keyframe before
            target = max(0.0, start - lead)
            selection = _Selection(start + origin, end + origin, video.index if video else None,
                                   audio.index if audio else None, max_bytes)
            try:
                container.seek(round((target + origin) / anchor.time_base), stream=anchor, backward=True)
                for packet in container.demux(*[s for s in (video, audio) if s is not None]):
                    selection.offer(packet)
                    if selection.finished:
                        break
            except (av.error.FFmpegError, OSError) as e:
                if not selection.packets():
                    raise ClipError(f"cannot read {source} for a clip: {e}") from e
            if video is None or selection.video_from_start or target == 0.0:
                break
        return _write_mp4(selection, [s for s in (video, audio) if s is not None], origin, out, at)


@dataclass(slots=True)
class _Held:
    packet: av.Packet
    time: float
    size: int


class PacketRing:
    """The newest demuxed packets of a room's first video and audio streams, bounded by stream seconds
    and bytes, from which the clip of a moment just seen is written.

    Packets are kept as demuxed (no frame is decoded or copied for the ring). Fed by one reader
    thread; clips are written on that thread too, while its container is open.
    """

    def __init__(self, streams: Iterable[av.stream.Stream], seconds: float = 60.0,
                 max_bytes: int = 64 * 1024 * 1024) -> None:
        self.video, self.audio = _av_streams(streams)
        self.seconds, self.max_bytes = seconds, max_bytes
        self._indexes = {s.index for s in (self.video, self.audio) if s is not None}
        self._held: deque[_Held] = deque()
        self.bytes = 0
        self.newest: float | None = None
        """The latest presentation time seen, in the stream's own seconds."""

    def __len__(self) -> int:
        return len(self._held)

    @property
    def oldest(self) -> float | None:
        return self._held[0].time if self._held else None

    def add(self, packet: av.Packet) -> None:
        """Keep ``packet`` (of a kept stream, with timestamps); drop the oldest beyond the bounds."""
        if packet.stream.index not in self._indexes or packet.size == 0:
            return
        pts = _seconds(packet.pts, packet)
        if pts is None:
            return
        dts = _decode_time(packet)
        self._held.append(_Held(packet, dts, packet.size))
        self.bytes += packet.size
        self.newest = pts if self.newest is None else max(self.newest, pts)
        while self._held and (self.bytes > self.max_bytes or dts - self._held[0].time > self.seconds):
            self.bytes -= self._held.popleft().size

    def write(
        self, start: float, end: float, origin: float, out: Path, *, at: float | None = None,
        max_bytes: int = MAX_CLIP_BYTES,
    ) -> Clip:
        """Write the clip of ``[start, end]`` (seconds from ``origin``, the stream's first timestamp) to ``out``;
        it must hold ``at`` when given."""
        selection = _Selection(start + origin, end + origin, self.video.index if self.video else None,
                               self.audio.index if self.audio else None, max_bytes)
        for held in self._held:
            selection.offer(held.packet)
            if selection.finished:
                break
        return _write_mp4(selection, [s for s in (self.video, self.audio) if s is not None], origin, out, at)


class StreamRecorder:
    """Copies of every demuxed packet of a stream's first video and audio tracks, in a local Matroska
    file with their own timestamps: a stream URL is read once, so the clips of its findings (known
    only at the end) are cut from this copy with :func:`cut_file`.

    Recording stops (and :attr:`error` says why) when the copy passes ``max_bytes`` or cannot be
    written; the stream itself is read on regardless.
    """

    def __init__(self, streams: Iterable[av.stream.Stream], path: Path, max_bytes: int = 8 * 1024**3) -> None:
        self.path, self.max_bytes, self.bytes = path, max_bytes, 0
        self.error: str | None = None
        video, audio = _av_streams(streams)
        self._container = av.open(str(path), "w", format="matroska")
        self._streams = {s.index: self._container.add_stream_from_template(s) for s in (video, audio) if s}

    def add(self, packet: av.Packet) -> None:
        out = self._streams.get(packet.stream.index)
        if out is None or self.error is not None or packet.size == 0 or packet.pts is None:
            return
        if self.bytes + packet.size > self.max_bytes:
            self.error = f"the stream's copy for clips stopped at {self.max_bytes // 1024**2} MiB"
            return
        copy = av.Packet(bytes(packet))  # muxing consumes a packet; the decoder still needs this one
        copy.pts, copy.dts, copy.duration = packet.pts, packet.dts, packet.duration
        copy.time_base, copy.is_keyframe, copy.stream = packet.time_base, packet.is_keyframe, out
        try:
            self._container.mux(copy)
        except (av.error.FFmpegError, ValueError) as e:
            self.error = f"the stream could not be copied for clips: {e}"
            return
        self.bytes += packet.size

    def close(self) -> None:
        with contextlib.suppress(av.error.FFmpegError, ValueError):
            self._container.close()
