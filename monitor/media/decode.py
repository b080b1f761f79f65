"""One demuxing pass over a source: resampled audio chunks and sampled frames.

Audio is resampled once, by FFmpeg, to 16 kHz mono float32. Video frames are
kept at a fixed interval and on scene changes; only kept frames are converted to
full-size images (the scene test looks at a 32x18 grey thumbnail). Corrupt
packets are skipped and counted, so one bad packet never ends a scan.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import av
import av.container
import av.video.stream
import cv2
import numpy as np

from monitor.media.pixels import BgrPixels, FramePixels, I420Pixels
from monitor.media.types import SAMPLE_RATE, AudioPCM, DenseFrame, SampledFrame

__all__ = ["DecodeOptions", "DecodeReport", "iter_media", "join_audio"]

log = logging.getLogger(__name__)

THUMB_SIZE = (32, 18)
MAX_CONSECUTIVE_ERRORS = 50


@dataclass(frozen=True, slots=True)
class DecodeOptions:
    """How to decode a source."""

    frame_interval: float = 1.0
    """Seconds between sampled frames."""
    scene_threshold: float = 24.0
    """Mean absolute grey-level change (0..255, on a 32x18 thumbnail) that counts as a scene change."""
    min_scene_gap: float = 0.25
    """Seconds a scene-change frame must be apart from the previous kept frame."""
    max_width: int = 960
    """Kept frames wider than this are scaled down (aspect kept)."""
    max_duration: float | None = None
    """Stop after this many seconds of stream (needed for endless live URLs)."""
    audio: bool = True
    video: bool = True
    skip_unsampled: bool = True
    """Let the decoder drop non-reference frames (B-frames, mostly) that no sampler could keep: at
    most a frame or two of delay for a sample or a scene change, and about half of the decoding
    between samples on streams with B-frames."""
    keyframes_only: bool = False
    """Decode only keyframes (no scene test, no dense frames): the cheapest sampling for long
    rescans whose keyframe interval is at most ``frame_interval``."""
    dense_interval: float | None = None
    """Also yield small ``dense`` frames this often (face analysis needs ~10 fps); ``None`` for none."""
    dense_width: int = 1920
    """Dense frames wider than this are scaled down (a host's face may be 60 px in a 1080p frame)."""
    dense_window: float = 60.0
    """Dense frames are taken during the first ``dense_window`` seconds of every ``dense_period``."""
    dense_period: float = 600.0
    dense_phase: float = 0.0
    """Seconds into each ``dense_period`` at which its dense window begins (live rooms watched together
    are staggered so they do not all want the face models at once)."""


@dataclass(slots=True)
class DecodeReport:
    """Counters filled while decoding; read after the iterator is exhausted."""

    corrupt_packets: int = 0
    decoded_frames: int = 0
    kept_frames: int = 0
    audio_seconds: float = 0.0
    last_time: float = 0.0
    start_time: float | None = None
    """The first decoded frame's own timestamp, in seconds: stream times count from it."""
    stopped_early: str | None = None
    warnings: list[str] = field(default_factory=list)


_I420 = frozenset({"yuv420p", "yuvj420p"})


def _grey_thumbnail(frame: av.VideoFrame) -> np.ndarray:
    """A 32x18 grey thumbnail, from the luma plane when the frame has one (6x cheaper than swscale).

    The plane is first thinned to every ``step``-th pixel, keeping at least four pixels per thumbnail
    pixel each way: averaging a 1080p plane in full cost 5 ms a frame, more than decoding it.
    """
    if frame.format.name in _I420:
        plane = frame.planes[0]
        # VideoPlane supports the buffer protocol; PyAV's stub does not declare it
        pixels = np.frombuffer(plane, np.uint8)  # type: ignore[call-overload]
        luma = pixels.reshape(plane.height, plane.line_size)[:, : plane.width]
        step = max(1, min(plane.width // (4 * THUMB_SIZE[0]), plane.height // (4 * THUMB_SIZE[1])))
        return cv2.resize(luma[::step, ::step], THUMB_SIZE, interpolation=cv2.INTER_AREA)
    return frame.to_ndarray(width=THUMB_SIZE[0], height=THUMB_SIZE[1], format="gray")


def _i420_planes(frame: av.VideoFrame) -> I420Pixels | None:
    """The frame's I420 planes as views of the decoder's buffers (no copy), or ``None`` if it has none."""
    if frame.format.name not in _I420 or frame.width % 2 or frame.height % 2:
        return None
    views = []
    for plane in frame.planes[:3]:
        # VideoPlane supports the buffer protocol; PyAV's stub does not declare it
        pixels = np.frombuffer(plane, np.uint8)  # type: ignore[call-overload]
        views.append(pixels[: plane.height * plane.line_size].reshape(plane.height, plane.line_size)[:, : plane.width])
    return I420Pixels(*views)


def _bgr_image(frame: av.VideoFrame, width: int, height: int) -> np.ndarray:
    """The frame as BGR at ``width``x``height``; OpenCV converts I420 several times faster than swscale.

    Pixel-area averaging is kept for shrinking by 2x or more (fine text would alias without it);
    below that bilinear reads every source pixel already and costs a fifth (1080 → 960: 2 ms, not 9.5).
    """
    planes = _i420_planes(frame)
    if planes is not None:
        image = planes.bgr()
        if (width, height) != (frame.width, frame.height):
            area = frame.width >= 2 * width or frame.height >= 2 * height
            image = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA if area else cv2.INTER_LINEAR)
        return image
    return frame.to_ndarray(width=width, height=height, format="bgr24")


def _pixels(frame: av.VideoFrame, width: int, height: int) -> FramePixels:
    """The frame's pixels at ``width``x``height``: its I420 planes as decoded when it needs no scaling
    (they keep the decoder's buffer until the frame is let go)."""
    planes = _i420_planes(frame) if (width, height) == (frame.width, frame.height) else None
    return planes if planes is not None else BgrPixels(_bgr_image(frame, width, height))


class _FrameSampler:
    """Decides which decoded video frames to keep."""

    def __init__(self, options: DecodeOptions) -> None:
        self.options = options
        self.interval = options.frame_interval
        self.max_width = options.max_width
        self.scene = True
        self.reason = "interval"
        self.next_time = 0.0
        self.last_kept_time = -1e9
        self.last_thumb: np.ndarray | None = None
        self.index = 0

    @classmethod
    def dense(cls, options: DecodeOptions, interval: float) -> _FrameSampler:
        """A sampler of small frames at a fixed rate, no scene test, inside the dense windows."""
        sampler = cls(options)
        sampler.interval, sampler.max_width = interval, options.dense_width
        sampler.scene, sampler.reason = False, "dense"
        return sampler

    def in_window(self, time: float) -> bool:
        options = self.options
        return self.reason != "dense" or (time - options.dense_phase) % options.dense_period < options.dense_window

    def wants(self, time: float, step: float | None = None) -> bool:
        """Could a frame shown at ``time`` be kept for the interval (scene changes aside)?

        With ``step`` (the frame duration of a constant-rate stream) the samples still to come are
        foreseen on the frame grid from the last kept frame, so frames between them are not wanted
        even while the frames ahead of them are still inside the decoder.
        """
        if not self.in_window(time) or time + 1e-6 < self.next_time:
            return False
        if step is None or self.last_kept_time < 0:
            return True
        due = self.next_time
        for _ in range(8):
            kept = self.last_kept_time + math.ceil((due - self.last_kept_time - 1e-6) / step) * step
            if time < kept - step / 2:
                return False
            if time <= kept + step / 2:
                return True
            due = kept + self.interval
        return True

    def offer(self, frame: av.VideoFrame, time: float) -> SampledFrame | DenseFrame | None:
        if not self.in_window(time):
            return None
        thumb = _grey_thumbnail(frame).astype(np.int16) if self.scene else None
        reason: str | None = None
        if time + 1e-6 >= self.next_time:
            reason = self.reason
        elif (
            self.scene
            and self.last_thumb is not None
            and time - self.last_kept_time >= self.options.min_scene_gap
            and float(np.abs(thumb - self.last_thumb).mean()) >= self.options.scene_threshold
        ):
            reason = "scene"
        if reason is None:
            return None
        self.last_thumb = thumb
        self.last_kept_time = time
        self.next_time = time + self.interval
        width, height = frame.width, frame.height
        if width > self.max_width:
            height = max(2, round(height * self.max_width / width / 2) * 2)
            width = self.max_width
        sampled: SampledFrame | DenseFrame
        if reason == "dense":
            sampled = DenseFrame(time=time, index=self.index, pixels=_pixels(frame, width, height))
        else:
            image = _bgr_image(frame, width, height)
            sampled = SampledFrame(time=time, index=self.index, image=image, reason=reason)  # type: ignore[arg-type]
        self.index += 1
        return sampled


class _NonRefSkipper:
    """Switches the video decoder between decoding every frame and skipping non-reference frames,
    packet by packet, on whether any sampler could keep the packet's frame.

    The decision uses the sampler's state when the packet goes in; frames come out a few packets
    later (reordering, frame threads), so on a constant-rate stream the samples still to come are
    foreseen on the frame grid. A skipped frame is never needed to decode another one. Where the
    grid is wrong (variable frame rate) a sample is taken a frame or two late, from the next frame
    decoded; the samplers then go on from the frames they really kept.
    """

    def __init__(self, stream: av.video.stream.VideoStream) -> None:
        self.stream = stream
        self.context = stream.codec_context
        self.skipping = False
        rate = stream.average_rate
        self.step = 1.0 / float(rate) if rate and 1 <= float(rate) <= 240 else None

    def before(self, packet: av.Packet, start_time: float, samplers: list[_FrameSampler]) -> None:
        if packet.stream.index != self.stream.index or packet.pts is None or packet.time_base is None:
            return
        time = float(packet.pts * packet.time_base) - start_time
        skip = not any(sampler.wants(time, self.step) for sampler in samplers)
        if skip != self.skipping:
            self.context.skip_frame = "NONREF" if skip else "DEFAULT"
            self.skipping = skip


AUDIO_GAP_S = 0.5
"""Audio whose timestamp is this far past the samples decoded so far starts a new run at its own time."""


def _frame_time(frame: av.AudioFrame | av.VideoFrame, fallback: float) -> float:
    return float(frame.time) if frame.time is not None else fallback


def iter_media(
    container: av.container.InputContainer,
    options: DecodeOptions,
    report: DecodeReport,
    on_time: Callable[[float], None] | None = None,
    on_packet: Callable[[av.Packet], None] | None = None,
) -> Iterator[AudioPCM | SampledFrame | DenseFrame]:
    """Yield 16 kHz mono audio chunks and sampled frames (and dense frames, when asked for), in stream order.

    ``on_packet`` sees every demuxed packet of the first audio and video streams, decoded or not
    (a watch keeps the newest in a ring for evidence clips).
    """
    first_audio = next(iter(container.streams.audio), None)
    first_video = next(iter(container.streams.video), None)
    audio_stream = first_audio if options.audio else None
    video_stream = first_video if options.video else None
    streams = [s for s in (audio_stream, video_stream) if s is not None]
    if not streams:
        return
    demuxed = [s for s in (first_audio, first_video) if s is not None] if on_packet is not None else streams
    decoded = {s.index for s in streams}
    skipper: _NonRefSkipper | None = None
    if video_stream is not None:
        video_stream.thread_type = "AUTO"
        if options.keyframes_only:
            video_stream.codec_context.skip_frame = "NONKEY"
        elif options.skip_unsampled:
            skipper = _NonRefSkipper(video_stream)
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    samplers = [_FrameSampler(options)]
    if options.dense_interval is not None:
        samplers.append(_FrameSampler.dense(options, options.dense_interval))
    start_time: float | None = None
    audio_clock: float | None = None
    errors_in_row = 0

    packets = container.demux(*demuxed)
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            break
        except (av.error.InvalidDataError, av.error.EOFError, OSError) as e:
            report.stopped_early = f"stream ended early at {report.last_time:.1f}s ({e.__class__.__name__})"
            break
        if on_packet is not None:
            on_packet(packet)
            if packet.stream.index not in decoded:
                continue
        if skipper is not None and start_time is not None:
            skipper.before(packet, start_time, samplers)
        try:
            frames = packet.decode()
            errors_in_row = 0
        except av.error.FFmpegError:
            report.corrupt_packets += 1
            errors_in_row += 1
            if errors_in_row >= MAX_CONSECUTIVE_ERRORS:
                report.stopped_early = f"too many corrupt packets in a row at {report.last_time:.1f}s"
                break
            continue
        for frame in frames:
            if not isinstance(frame, av.AudioFrame | av.VideoFrame):
                continue  # only audio and video streams are demuxed
            t = _frame_time(frame, report.last_time)
            if start_time is None:
                start_time = report.start_time = t
            t -= start_time
            if options.max_duration is not None and t > options.max_duration:
                report.stopped_early = f"stopped at the requested maximum of {options.max_duration:g}s"
                return
            report.last_time = max(report.last_time, t)
            if isinstance(frame, av.AudioFrame):
                if audio_clock is not None and t - audio_clock > AUDIO_GAP_S:
                    # audio missing from the stream (a live segment skipped, packets lost): what follows is
                    # placed at its own time, not right after the last samples (speech would run early)
                    yield from _flush(resampler, audio_clock, report)
                    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
                    audio_clock = None
                if audio_clock is None:
                    audio_clock = max(0.0, t)
                for out in resampler.resample(frame):
                    samples = out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
                    chunk = AudioPCM(samples, SAMPLE_RATE, start=audio_clock)
                    audio_clock += chunk.duration
                    report.audio_seconds += chunk.duration
                    yield chunk
            else:
                report.decoded_frames += 1
                for sampler in samplers:
                    kept = sampler.offer(frame, max(0.0, t))
                    if kept is not None:
                        report.kept_frames += 1
                        yield kept
            if on_time is not None:
                on_time(report.last_time)
    if audio_stream is not None and audio_clock is not None:
        yield from _flush(resampler, audio_clock, report)


def _flush(resampler: av.AudioResampler, clock: float, report: DecodeReport) -> Iterator[AudioPCM]:
    """The samples ``resampler`` still holds, from ``clock`` on."""
    for out in resampler.resample(None):
        samples = out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
        report.audio_seconds += len(samples) / SAMPLE_RATE
        yield AudioPCM(samples, SAMPLE_RATE, start=clock)
        clock += len(samples) / SAMPLE_RATE


def join_audio(chunks: list[AudioPCM]) -> AudioPCM:
    """Concatenate contiguous chunks into one clip starting at the first chunk's time."""
    if not chunks:
        return AudioPCM.empty()
    return AudioPCM(np.concatenate([c.samples for c in chunks]), SAMPLE_RATE, start=chunks[0].start)
