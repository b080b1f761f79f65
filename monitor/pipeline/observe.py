"""One pass over a source: route decoded audio and frames to the observation stages.

With a :class:`~monitor.store.parts.RecordWriter` the on-screen text of every sampled frame, the
face frames and the snapshot index are written out as they are made (only the newest frame's
text is held, for the text gate's reuse); without one they are kept and returned.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import av.container

from monitor.config import ScanOptions
from monitor.media.decode import DecodeReport, iter_media
from monitor.media.snapshots import SnapshotStore
from monitor.media.types import AudioPCM, DenseFrame, MediaInfo, SampledFrame
from monitor.observations.faces import FaceCrop, FaceEngine, FaceOptions, FaceTrack, FaceTracker
from monitor.observations.ocr import OcrEngine
from monitor.observations.text_gate import TextChangeGate
from monitor.observations.types import FrameText
from monitor.pipeline.face_worker import FaceWorker
from monitor.pipeline.progress import ProgressHook
from monitor.pipeline.stage_options import decode_options, text_gate_options
from monitor.store.parts import RecordWriter

__all__ = ["StageTimer", "StreamObservations", "observe_stream"]


class StageTimer:
    """Wall seconds spent per stage."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] += time.perf_counter() - start


@dataclass(slots=True)
class StreamObservations:
    """What the decode pass saw, before speech recognition and detectors (without the sequences a record
    writer took)."""

    frame_texts: list[FrameText]
    snapshots: SnapshotStore
    report: DecodeReport
    faces: FaceTrack | None = None
    face_crops: tuple[FaceCrop, ...] = ()
    sampled_frames: int = 0
    timer: StageTimer = field(default_factory=StageTimer)


def read_screen(frame: SampledFrame, ocr: OcrEngine, gate: TextChangeGate, last: FrameText | None) -> FrameText:
    """OCR ``frame``, or reuse ``last``'s text when the gate says its text regions did not change."""
    size = {"width": frame.image.shape[1], "height": frame.image.shape[0]}
    if last is not None and not gate.needs_read(frame.image, frame.time):
        return FrameText(time=frame.time, frame_index=frame.index, boxes=last.boxes, reused=True, **size)
    boxes = ocr.read([frame.image])[0]
    gate.remember(frame.image, frame.time, boxes)
    return FrameText(time=frame.time, frame_index=frame.index, boxes=boxes, **size)


def observe_stream(
    container: av.container.InputContainer,
    info: MediaInfo,
    options: ScanOptions,
    *,
    on_audio: Callable[[AudioPCM], None] | None,
    ocr: OcrEngine | None,
    faces: FaceEngine | None,
    crop_interval: float | None,
    hook: ProgressHook,
    spill: Path | None = None,
    on_packet: Callable[[av.Packet], None] | None = None,
    writer: RecordWriter | None = None,
) -> StreamObservations:
    """Decode once; OCR sampled frames, track faces on dense frames (on a thread of their own, beside
    decoding and OCR), hand 16 kHz audio to ``on_audio`` as it is decoded (none is kept), and every
    demuxed packet to ``on_packet``; with ``writer`` the frames' text, face frames and snapshot index go
    to it as they are made. The timer gets the wall seconds of each stage: ``decode`` is the main
    thread's wait for the next decoded item, ``faces`` the face thread's work (they overlap)."""
    timer = StageTimer()
    report = DecodeReport()
    decode = decode_options(options, audio=on_audio is not None, video=ocr is not None or faces is not None,
                            faces=faces is not None)
    face_options = FaceOptions(fps=options.face_fps, crop_interval=crop_interval)
    on_face = writer.face_frames.add if writer is not None else None
    tracker = FaceTracker(faces, face_options, on_face) if faces else None
    worker = FaceWorker(tracker) if tracker is not None else None
    gate = TextChangeGate(text_gate_options(options))
    texts: list[FrameText] = []
    last: FrameText | None = None
    snapshots = SnapshotStore(spill=spill, on_index=writer.snapshots.add if writer is not None else None)
    sampled = 0
    total = info.duration if options.max_duration is None else min(info.duration or 1e12, options.max_duration)
    items = iter_media(container, decode, report, on_time=lambda t: hook("decode", t, total), on_packet=on_packet)
    try:
        while True:
            with timer("decode"):
                item = next(items, None)
            if item is None:
                break
            if isinstance(item, AudioPCM):
                if on_audio is not None:
                    on_audio(item)
            elif isinstance(item, DenseFrame):
                if worker is not None:
                    worker.add(item)
            else:
                sampled += 1
                snapshots.add(item)
                if ocr is not None:
                    with timer("ocr"):
                        last = read_screen(item, ocr, gate, last)
                    if writer is not None:
                        writer.frame_texts.add(last)
                    else:
                        texts.append(last)
        track, crops = worker.finish() if worker is not None else (None, ())
    finally:
        if worker is not None:
            worker.close()
            timer.seconds["faces"] += worker.seconds
    return StreamObservations(texts, snapshots, report, track, crops, sampled, timer)
