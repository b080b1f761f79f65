"""A record's long sequences kept as parts: blobs of a few hundred items each, written as they are made.

A three-hour scan samples some 10,800 frames and hears some 3,000 utterances. Instead of
holding them until the stream ends, :class:`RecordWriter` writes each sequence (on-screen
text per sampled frame, face frames, the snapshot index, the transcript) to a blob store a
part at a time, as the observation stages make them. The stage record keeps its other fields
(its *head*: a :class:`StreamRecord` whose sequences are empty) and :class:`RecordParts`
names the parts in order. :class:`RecordView` reads a record either way: its sequences
stream one part at a time (what detection and the report do), and :meth:`RecordView.whole`
is exactly the record a one-piece save would have kept.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Generic, TypeVar, overload

from pydantic import TypeAdapter

from monitor.observations.faces import FaceFrame, FaceTrack
from monitor.observations.record import JSON_CONFIG, StreamRecord, dump_json, load_json
from monitor.observations.types import FrameText, TranscriptSegment
from monitor.store.blobs import BlobStore

__all__ = [
    "STAGE_SEQUENCES", "Part", "PartedSequence", "RecordParts", "RecordView", "RecordWriter", "SequenceParts",
    "SequenceWriter", "temporary_blobs",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Kind:
    item: object
    part_items: int
    """Items in one part: about ten minutes of stream for each kind."""
    time: Callable[[Any], float]


KINDS: dict[str, _Kind] = {
    "frame_texts": _Kind(FrameText, 600, lambda f: f.time),
    "face_frames": _Kind(FaceFrame, 6000, lambda f: f.time),
    "snapshots": _Kind(tuple[float, str], 600, lambda s: s[0]),
    "transcript": _Kind(TranscriptSegment, 200, lambda s: s.start),
}
STAGE_SEQUENCES: dict[str, tuple[str, ...]] = {
    "screen": ("frame_texts", "face_frames", "snapshots"),
    "speech": ("transcript",),
}
_ADAPTERS: dict[str, TypeAdapter[Any]] = {}


def _adapter(name: str) -> TypeAdapter[Any]:
    found = _ADAPTERS.get(name)
    if found is None:
        items: Any = tuple[KINDS[name].item, ...]  # type: ignore[misc]  # a runtime type
        found = _ADAPTERS[name] = TypeAdapter(items, config=JSON_CONFIG)
    return found


@dataclass(frozen=True, slots=True)
class Part:
    """One blob of a sequence (gzip'd JSON array) and how many items it holds."""

    blob: str
    items: int


@dataclass(frozen=True, slots=True)
class SequenceParts:
    """A sequence's parts in order, and whether its items came in time order."""

    parts: tuple[Part, ...] = ()
    ordered: bool = True

    @property
    def items(self) -> int:
        return sum(p.items for p in self.parts)


@dataclass(frozen=True, slots=True)
class RecordParts:
    """The parts of a record's long sequences; a sequence without parts is kept in the record itself."""

    frame_texts: SequenceParts = SequenceParts()
    face_frames: SequenceParts = SequenceParts()
    snapshots: SequenceParts = SequenceParts()
    transcript: SequenceParts = SequenceParts()

    @property
    def empty(self) -> bool:
        return not any(getattr(self, f.name).parts for f in fields(self))

    def of(self, name: str) -> SequenceParts:
        return getattr(self, name)  # type: ignore[no-any-return]  # one of the fields

    def of_stage(self, stage: str) -> RecordParts:
        """Only the sequences ``stage`` ('screen' or 'speech') makes."""
        return RecordParts(**{name: self.of(name) for name in STAGE_SEQUENCES[stage]})

    def merged(self, other: RecordParts) -> RecordParts:
        """Each sequence from whichever of the two has parts of it (two stages' parts make one record's)."""
        return RecordParts(**{f.name: self.of(f.name) if self.of(f.name).parts else other.of(f.name)
                              for f in fields(self)})

    def blobs(self) -> list[str]:
        return [p.blob for f in fields(self) for p in self.of(f.name).parts]


class SequenceWriter:
    """Items of one sequence, written to ``blobs`` a part at a time as they are added."""

    def __init__(self, blobs: BlobStore, name: str, part_items: int | None = None) -> None:
        self.blobs, self.name = blobs, name
        self.part_items = part_items or KINDS[name].part_items
        self._time = KINDS[name].time
        self._pending: list[Any] = []
        self._parts: list[Part] = []
        self._last = float("-inf")
        self._ordered = True
        self.count = 0

    def add(self, item: Any) -> None:
        t = self._time(item)
        self._ordered = self._ordered and t >= self._last
        self._last = max(self._last, t)
        self._pending.append(item)
        self.count += 1
        if len(self._pending) >= self.part_items:
            self._flush()

    def close(self) -> SequenceParts:
        """Write what is pending; the sequence's parts."""
        self._flush()
        return SequenceParts(tuple(self._parts), self._ordered)

    def _flush(self) -> None:
        if self._pending:
            data = _adapter(self.name).dump_json(tuple(self._pending))
            self._parts.append(Part(self.blobs.put_json(data), len(self._pending)))
            self._pending = []


class RecordWriter:
    """One source's sequences written as they are made; :meth:`close` names their parts."""

    def __init__(self, blobs: BlobStore, part_items: int | None = None) -> None:
        """``part_items``: items in each part of every sequence (default: each kind's own, about ten minutes)."""
        self.blobs = blobs
        self.frame_texts = SequenceWriter(blobs, "frame_texts", part_items)
        self.face_frames = SequenceWriter(blobs, "face_frames", part_items)
        self.snapshots = SequenceWriter(blobs, "snapshots", part_items)
        self.transcript = SequenceWriter(blobs, "transcript", part_items)

    def close(self) -> RecordParts:
        return RecordParts(
            self.frame_texts.close(), self.face_frames.close(), self.snapshots.close(), self.transcript.close()
        )


def read_part(blobs: BlobStore, name: str, part: Part) -> tuple[Any, ...]:
    """The items of one part, exactly as written."""
    items: tuple[Any, ...] = _adapter(name).validate_json(blobs.get_json(part.blob))
    if len(items) != part.items:
        raise ValueError(f"a {name} part holds {len(items)} items, its record says {part.items}: blob {part.blob}")
    return items


class PartedSequence(Sequence[T], Generic[T]):
    """A sequence kept as parts, read one part at a time (the part last read is kept)."""

    def __init__(self, blobs: BlobStore, name: str, parts: SequenceParts) -> None:
        self.blobs, self.name, self.parts = blobs, name, parts.parts
        self._starts = [0]
        for part in self.parts:
            self._starts.append(self._starts[-1] + part.items)
        self._cached: tuple[int, tuple[Any, ...]] | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self._starts[-1]

    def __iter__(self) -> Iterator[T]:
        for part in self.parts:
            yield from read_part(self.blobs, self.name, part)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[T]: ...

    def __getitem__(self, index: int | slice) -> T | Sequence[T]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        number = _part_of(self._starts, index)
        with self._lock:
            if self._cached is None or self._cached[0] != number:
                self._cached = (number, read_part(self.blobs, self.name, self.parts[number]))
            items = self._cached[1]
        return items[index - self._starts[number]]  # type: ignore[no-any-return]  # items of this kind


def _part_of(starts: list[int], index: int) -> int:
    lo, hi = 0, len(starts) - 1
    while hi - lo > 1:  # starts[lo] <= index < starts[hi]
        mid = (lo + hi) // 2
        if starts[mid] <= index:
            lo = mid
        else:
            hi = mid
    return lo


@dataclass(frozen=True)
class RecordView:
    """One source's record whose long sequences are in the record (``parts`` empty) or kept as parts in ``blobs``."""

    head: StreamRecord
    parts: RecordParts = RecordParts()
    blobs: BlobStore | None = None

    def _sequence(self, name: str, held: Sequence[Any]) -> Sequence[Any]:
        seq = self.parts.of(name)
        if not seq.parts:
            return held
        if self.blobs is None:
            raise ValueError(f"the record's {name} are kept as parts but no blob store was given")
        return PartedSequence(self.blobs, name, seq)

    def frame_texts(self) -> Sequence[FrameText]:
        screen = self.head.screen
        return self._sequence("frame_texts", screen.frame_texts if screen is not None else ())

    def snapshots(self) -> Sequence[tuple[float, str]]:
        screen = self.head.screen
        return self._sequence("snapshots", screen.snapshots if screen is not None else ())

    def transcript(self) -> Sequence[TranscriptSegment]:
        speech = self.head.speech
        return self._sequence("transcript", speech.transcript if speech is not None else ())

    def faces(self) -> FaceTrack | None:
        """The face track with every frame (held whole: the digital-human signals are statistics of all of it)."""
        screen = self.head.screen
        if screen is None or screen.faces is None:
            return None
        if not self.parts.face_frames.parts:
            return screen.faces
        return replace(screen.faces, frames=tuple(self._sequence("face_frames", ())))

    def ordered(self, name: str) -> bool:
        """Whether a sequence is in time order (parts say so; a held one is checked)."""
        seq = self.parts.of(name)
        if seq.parts:
            return seq.ordered
        held = {"frame_texts": self.frame_texts, "snapshots": self.snapshots, "transcript": self.transcript}[name]()
        time = KINDS[name].time
        return all(time(a) <= time(b) for a, b in zip(held, held[1:], strict=False))

    def whole(self) -> StreamRecord:
        """The record with every sequence in it: what a one-piece save of the same observations keeps."""
        if self.parts.empty:
            return self.head
        screen, speech = self.head.screen, self.head.speech
        if screen is not None:
            screen = replace(screen, frame_texts=tuple(self.frame_texts()), snapshots=tuple(self.snapshots()),
                             faces=self.faces())
        if speech is not None:
            speech = replace(speech, transcript=tuple(self.transcript()))
        return replace(self.head, screen=screen, speech=speech)

    @classmethod
    def joined(cls, stages: Sequence[RecordView], blobs: BlobStore) -> RecordView:
        """One record from its stages' records (each holds the same media info; their parts are in ``blobs``)."""
        if not stages:
            raise ValueError("a record needs at least one stage")
        screen = next((v for v in stages if v.head.screen is not None), None)
        speech = next((v for v in stages if v.head.speech is not None), None)
        head = StreamRecord(stages[0].head.info, screen=screen.head.screen if screen else None,
                            speech=speech.head.speech if speech else None)
        parts = (screen.parts if screen else RecordParts()).merged(speech.parts if speech else RecordParts())
        return cls(head, parts, blobs)

    def stage(self, stage: str) -> RecordView:
        """The part of this record one stage made."""
        head = StreamRecord(self.head.info, screen=self.head.screen if stage == "screen" else None,
                            speech=self.head.speech if stage == "speech" else None)
        return RecordView(head, self.parts.of_stage(stage), self.blobs)


def dump_parts(parts: RecordParts) -> bytes:
    return dump_json(parts)


def load_parts(data: bytes) -> RecordParts:
    return load_json(RecordParts, data)


def temporary_blobs(prefix: str = "livemon-record-") -> BlobStore:
    """A blob store in a new temporary folder, removed when the store object is garbage-collected (or at exit)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    blobs = BlobStore(folder)
    weakref.finalize(blobs, shutil.rmtree, folder, True)
    return blobs
