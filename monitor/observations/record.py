"""The stored record of one source: everything the detectors need, nothing that needs the media.

A record has one part per observation stage, each made once and kept in the store under a
key of the stage's own options and model versions (see :mod:`monitor.store`):

- :class:`ScreenRecord` (video pass): on-screen text per sampled frame with boxes, the
  host's face track, forgery scores of face crops, the snapshot index, decode diagnostics;
- :class:`SpeechRecord` (audio pass): transcript segments with times, the voice features
  the digital-human detector needs, the speaker turns, decode diagnostics.

Every type here serialises to JSON and loads back exactly (:func:`dump_json`, :func:`load_json`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import ConfigDict, TypeAdapter

from monitor.media.types import MediaInfo
from monitor.observations.asr_prompt import DEFAULT_VERTICAL, LEGACY_PROMPT_REF
from monitor.observations.faces import FaceTrack
from monitor.observations.turn_types import SpeakerTurns
from monitor.observations.types import ForgeryScores, FrameText, TranscriptSegment
from monitor.observations.voice import VoiceFeatures

__all__ = ["DecodeSummary", "ScreenRecord", "SpeechRecord", "StreamRecord", "dump_json", "load_json"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class DecodeSummary:
    """What one decode pass reports: how far it got and what it had to skip."""

    stream_seconds: float = 0.0
    """Stream time of the last decoded media."""
    corrupt_packets: int = 0
    decoded_frames: int = 0
    stopped_early: str | None = None
    """Why decoding stopped before the end (a maximum duration, a broken stream), if it did."""


@dataclass(frozen=True, slots=True)
class ScreenRecord:
    """The video stage: what was on screen and who was in the picture."""

    frame_interval: float
    """Seconds between sampled frames (the caption tracker needs it)."""
    sampled_frames: int
    frame_texts: tuple[FrameText, ...] = ()
    faces: FaceTrack | None = None
    forgery: ForgeryScores | None = None
    snapshots: tuple[tuple[float, str], ...] = ()
    """(stream time, name) of every sampled frame's snapshot, in time order."""
    decode: DecodeSummary = DecodeSummary()
    ocr: str | None = None
    """The OCR engine that read the frames (``None``: OCR was off, so ``frame_texts`` is empty)."""


@dataclass(frozen=True, slots=True)
class SpeechRecord:
    """The audio stage: what was said, when, and how the voice sounded."""

    transcript: tuple[TranscriptSegment, ...] = ()
    voice: VoiceFeatures = VoiceFeatures.empty()
    audio_seconds: float = 0.0
    decode: DecodeSummary = DecodeSummary()
    asr: str | None = None
    """The speech recogniser that made the transcript."""
    turns: SpeakerTurns | None = None
    """Who spoke when (``None``: speaker turns were off, or the record is older than them)."""
    prompt: str | None = None
    """Its prompt (``prompts/asr``), e.g. ``tea@1``; None in records made before prompts were data (``default@1``)."""
    vertical: str | None = None
    """The room's vertical the prompt was chosen for (``default`` when none was given)."""


@dataclass(frozen=True, slots=True)
class StreamRecord:
    """One source's observations: its media info and each stage that was run (``None``: not run)."""

    info: MediaInfo
    screen: ScreenRecord | None = None
    speech: SpeechRecord | None = None

    @property
    def stream_seconds(self) -> float:
        ends = [part.decode.stream_seconds for part in (self.screen, self.speech) if part is not None]
        return max(ends, default=0.0)

    @property
    def models(self) -> dict[str, str | None]:
        """The observation models behind the record, for findings' provenance."""
        screen, speech = self.screen, self.speech
        prompt = vertical = None
        if speech is not None and speech.asr is not None:
            prompt, vertical = speech.prompt or LEGACY_PROMPT_REF, speech.vertical or DEFAULT_VERTICAL
        return {
            "asr": speech.asr if speech is not None else None,
            "asr_prompt": prompt,
            "vertical": vertical,
            "ocr": screen.ocr if screen is not None else None,
            "faces": screen.faces.engine if screen is not None and screen.faces is not None else None,
        }


JSON_CONFIG = ConfigDict(ser_json_inf_nan="constants")
"""NaN and infinities written as JSON's ``NaN``/``Infinity`` tokens (which the reader takes back): a face seen
only by its box has NaN blendshapes, and ``null`` would not load back as a float."""


_ADAPTERS: dict[object, TypeAdapter[Any]] = {}


def adapter(kind: object) -> TypeAdapter[Any]:
    """A cached adapter of ``tuple[kind]`` under :data:`JSON_CONFIG` (a dataclass takes no config of its own;
    nested in a tuple, it follows the tuple's)."""
    found = _ADAPTERS.get(kind)
    if found is None:
        found = _ADAPTERS[kind] = TypeAdapter(tuple[kind], config=JSON_CONFIG)  # type: ignore[valid-type]
    return found


def dump_json(value: Any) -> bytes:
    """``value`` (any observation type) as compact JSON; floats are written exactly."""
    return adapter(type(value)).dump_json((value,))[1:-1]


def load_json(kind: type[T], data: bytes | str) -> T:
    """The value of type ``kind`` that :func:`dump_json` wrote."""
    raw = data.encode() if isinstance(data, str) else data
    return adapter(kind).validate_json(b"[" + raw + b"]")[0]  # type: ignore[no-any-return]  # typed by kind
