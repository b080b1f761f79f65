"""Watch many live rooms at once through one set of models, findings out as they are found.

Each room is read by its own thread (PyAV releases the GIL while it demuxes and
decodes). Its audio is cut into utterances as they end (:class:`UtteranceCutter`) and
its sampled frames are kept; both go to schedulers shared by every room: one around the
ASR model, one around the OCR engine (each room keeps its own text change gate), and one
around the claims engine, so each model runs once per batch for all rooms. A finished
claim check becomes findings at once through the room's :class:`StreamDetector` (the same
detectors ``scan`` and ``rescan`` run over a whole record): speech findings per utterance,
screen findings when a caption leaves the screen or has stayed up ``banner_report_s``.
Utterances are read in a short Whisper window, batched across rooms
(``FasterWhisperAsr.transcribe_batch``). One room failing (a refused address,
a corrupt file, a live room gone longer than ``reconnect_outage``) is reported and the others go on.

A live room (a stream URL without a known duration) whose stream ends, errors or stalls (no
audio or video packet for ``stall_timeout``) is reopened with jittered exponential backoff
(:mod:`monitor.pipeline.reconnect`) and shows ``reconnecting`` meanwhile; its stream time goes on
across reconnects (:class:`RoomTimeline`), and each finding carries the wall-clock time it was on
air. The reopening does not wait for the lost connection's work still queued: that is finished, and
the connection closed out, on a thread of its own, and the room's results are taken connection by
connection (:mod:`monitor.pipeline.connections`), so its findings come out as complete and in the same
order as if it had waited. A file, or a URL with a known duration (a recording), ends where it ends.

With a feed (:class:`monitor.pipeline.room_feed.RoomFeed`, e.g. the rooms the review service leases to
this worker: ``livemon watch --from``), rooms are started and stopped while the watch runs, each with its
own stop; their findings carry the feed's provenance (the lease they were found under).

With a store, each room's record (its transcript, on-screen text and face frames, under live stage keys)
is written there a part at a time as it is made (:class:`monitor.store.parts.RecordWriter`, as ``scan``
writes its record), and its findings as they are handed on; the record's head is kept when the room's
watch ends, so a room's memory does not grow with how long it is watched, and ``livemon rescan --stored`` can run new
rules over the rooms without their streams.

The digital-human checks run per room as well (:mod:`monitor.pipeline.live_dh`): the label's
continuity from each OCR'd frame (a gap past ``dh_gap`` is told at the first frame that shows
it), the spoken disclosure from each transcript, the metadata at each connection, the room data,
and the host's face and voice over each face window, on face models every room shares. Live rooms
take their face windows in turn (:func:`monitor.pipeline.live_dh.face_phase`), so rooms that start
together do not all wait for the face models at the same moment.
"""

from __future__ import annotations

import functools
import itertools
import json
import logging
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import av.container
import av.error
from tenacity import RetryCallState

from monitor.config import ScanOptions
from monitor.detectors.digital_human import (
    DigitalHumanOptions,
    DigitalHumanResult,
    LiveDigitalHuman,
    RoomMeta,
    load_room_meta,
)
from monitor.detectors.stream import DetectorOptions, StreamDetector
from monitor.engines import native_memory
from monitor.errors import ConfigError, ForbiddenSource, LivemonError, UnreachableSource
from monitor.findings import Finding
from monitor.judge import Judge
from monitor.media.clips import PacketRing
from monitor.media.decode import iter_media
from monitor.media.snapshots import SnapshotStore
from monitor.media.types import AudioPCM, DenseFrame, MediaInfo, SampledFrame
from monitor.media.utterances import Utterance, UtteranceCutter
from monitor.observations.asr import PromptedAsr
from monitor.observations.asr_prompt import NO_PROMPT, AsrPrompt, load_asr_prompts
from monitor.observations.faces import FaceEngine, FaceOptions, FaceTrack
from monitor.observations.live_turns import LiveTurns
from monitor.observations.record import DecodeSummary, ScreenRecord, SpeechRecord, StreamRecord
from monitor.observations.text_gate import TextGateOptions
from monitor.observations.turn_cut import cut_at_turns
from monitor.observations.types import ForgeryScores, FrameText, TranscriptSegment
from monitor.observations.voice import VoiceFeaturesBuilder
from monitor.pipeline.asr_prompts import room_options, scan_prompt
from monitor.pipeline.clip_evidence import RoomClips
from monitor.pipeline.connections import Connection, RoomWork
from monitor.pipeline.engines import Engines
from monitor.pipeline.live_dh import RoomDigitalHuman, RoomHooks, face_phase
from monitor.pipeline.live_judge import DEFAULT_BACKLOG, LiveJudge
from monitor.pipeline.provenance import finding_provenance
from monitor.pipeline.reconnect import ConnectionLost, ReconnectOptions, reconnecting
from monitor.pipeline.room_feed import RoomFeed, RoomOrder
from monitor.pipeline.stage_options import decode_options, text_gate_options
from monitor.pipeline.stored import SourceKeys, live_source_keys, save_stages
from monitor.pipeline.timeline import RoomTimeline
from monitor.results import RoomState
from monitor.scheduling import BatchScheduler, SchedulerClosed, SchedulerOptions
from monitor.scheduling.workers import (
    AsrBatch,
    ClaimCheck,
    FaceWindow,
    FaceWindows,
    GatedOcr,
    PromptedClip,
    WindowEnd,
)
from monitor.sources.open import is_url, open_source, probe
from monitor.sources.policy import SourcePolicy
from monitor.store import Store
from monitor.store.parts import RecordView, RecordWriter

__all__ = ["FindingSink", "WatchOptions", "watch"]

log = logging.getLogger(__name__)

FED_STATES_KEPT = 1000
"""States of fed rooms that are over, kept to be returned (the newest)."""
SINK_RETRY_WAITS = (0.5, 2.0, 5.0)
"""Seconds to wait before each new try of a failing finding sink."""

FindingSink = Callable[[Finding, "bytes | None"], None]
"""Receives each finding with the JPEG bytes of its snapshot (when it has one)."""


@dataclass(frozen=True, slots=True)
class WatchOptions:
    """How rooms are paced and how their work is batched."""

    realtime: bool = False
    """Play files at their own speed, as if live (URLs are paced by the stream itself)."""
    asr_batch: int = 4
    ocr_batch: int = 8
    claims_batch: int = 64
    max_wait_s: float = 0.05
    snapshots_kept: int = 120
    """Sampled frames kept per room for evidence (the newest)."""
    banner_report_s: float = 30.0
    """A claim caption still on screen this long is reported without waiting for it to leave."""
    clips: Path | None = None
    """Folder for the findings' evidence clips (``None``: no clips). A finding then waits until the
    seconds after it have been read, so its clip can hold them."""
    ring_seconds: float = 60.0
    """Stream seconds of recent packets a live room keeps for clips."""
    ring_bytes: int = 64 * 1024 * 1024
    """Bytes of recent packets a live room keeps for clips, at most."""
    reconnect: ReconnectOptions = ReconnectOptions()
    """The waits between a lost live room's reopenings (how long it may stay lost: ``reconnect_outage``)."""
    judge_backlog: int = DEFAULT_BACKLOG
    """Findings waiting for the judge before the next ones go on unjudged (only with a judge)."""
    face_batch: int = 8
    """Dense frames (of any rooms) the face worker takes at a time."""
    face_backlog_s: float = 1.0
    """Seconds of a room's dense frames that may wait for the face models; a reader further ahead waits."""
    part_items: int | None = None
    """With a store: items in each part of a room's record written as it is watched, the most of each sequence
    (transcript, on-screen text, face frames) a room holds in memory (``None``: each kind's own, about ten
    minutes of stream; :mod:`monitor.store.parts`)."""
    trim_memory_s: float | None = 60.0
    """Hand the C allocator's free pages back this often, its arenas bounded to one per core, so a watch that
    runs for days holds what it uses, not its high-water mark (:mod:`monitor.engines.native_memory`;
    ``None``: leave the allocator as it is)."""


@dataclass(slots=True)
class _Kept:
    """A room's record and findings, written to the store as they are made (only when watching into one).

    Its transcript, on-screen text and face frames go through :attr:`writer` a part at a time (as ``scan``
    writes them); its findings are added to the store as they are handed on. What stays in memory is the
    part being filled, the record's head and the voice features (their power envelope: 1.4 MB an hour)."""

    writer: RecordWriter
    keys: SourceKeys | None = None
    """Where the room's record and findings go (set when the room first opens)."""
    stages: tuple[str, ...] = ()
    """The stages its record holds ('screen', 'speech')."""
    options: ScanOptions | None = None
    """The options its stage keys were made under (with the room's vertical)."""
    found_again: set[str] = field(default_factory=set)
    """Ids of findings of earlier runs of the same source found again unchanged (kept when the room ends)."""
    face_track: FaceTrack | None = None
    """The first face window's track without its frames (the record's face track, whose frames are parts)."""
    forgery: list[ForgeryScores] = field(default_factory=list)
    voice: VoiceFeaturesBuilder = field(default_factory=VoiceFeaturesBuilder)
    """The voice of all the room's audio (a scan's record keeps the same)."""

    def window(self, track: FaceTrack, scores: ForgeryScores | None) -> None:
        if self.face_track is None:
            self.face_track = replace(track, frames=())
        for frame in track.frames:
            self.writer.face_frames.add(frame)
        if scores is not None:
            self.forgery.append(scores)

    def faces(self, fps: float) -> FaceTrack:
        """The room's face track without its frames (they are in the writer's parts)."""
        return self.face_track if self.face_track is not None else FaceTrack.empty(fps=fps)

    def forgery_scores(self) -> ForgeryScores | None:
        if not self.forgery:
            return None
        return ForgeryScores(self.forgery[0].model, tuple(s for scores in self.forgery for s in scores.scores))


@dataclass(slots=True)
class _Room:
    """One room's private state: its reader thread, and its results taken one at a time (:class:`RoomWork`).

    The reader adds snapshots while the results are taken on the workers' threads, so those read a
    copy of the index (one atomic ``list()`` call)."""

    index: int
    state: RoomState
    snapshots: SnapshotStore
    detector: StreamDetector
    started: float = 0.0
    captured: datetime = field(default_factory=lambda: datetime.now(UTC))
    info: MediaInfo | None = None
    kept: _Kept | None = None
    work: RoomWork = field(init=False)
    """Its connections and their work that is out."""
    drains: list[threading.Thread] = field(default_factory=list)
    """The threads closing out its lost connections."""
    timeline: RoomTimeline = field(default_factory=RoomTimeline)
    connections: int = 0
    """Connections that delivered media so far."""
    last_media: float = field(default_factory=time.monotonic)
    """``time.monotonic()`` when the room last read media (or began)."""
    provenance: Mapping[str, Any] = field(default_factory=dict)
    """Added to its findings' provenance (a fed room's lease)."""
    stop: threading.Event = field(default_factory=threading.Event)
    """Set to stop this room (its feed said so, or the whole watch stops)."""
    dh: RoomDigitalHuman | None = None
    """The room's digital-human checks."""
    prompt: AsrPrompt | None = None
    """The ASR prompt of the room's vertical (None: the engine takes no prompt)."""
    turns: LiveTurns | None = None
    """The room's speaker turns (None: speaker turns are off)."""

    def __post_init__(self) -> None:
        self.work = RoomWork(on_backlog=self._backlog)

    def _backlog(self, outstanding: int) -> None:
        self.state.backlog = outstanding


class _Shared:
    """The schedulers every room feeds (ASR, OCR, claims, faces), and where findings go."""

    def __init__(
        self, engines: Engines, options: WatchOptions, sink: FindingSink, provenance: Mapping[str, Any],
        gate: TextGateOptions = TextGateOptions(), store: Store | None = None, faces: FaceOptions | None = None,
        judge: LiveJudge | None = None,
    ) -> None:
        wait = options.max_wait_s
        self.engines, self.sink, self.provenance, self.store = engines, sink, provenance, store
        self.judge = judge
        self.realtime = options.realtime
        self.lock = threading.Lock()
        self.speakers_lock = threading.Lock()
        """Held while the speaker encoder (shared by every room) embeds."""
        self.asr = (
            BatchScheduler(AsrBatch(engines.asr), SchedulerOptions(options.asr_batch, wait), name="watch-asr")
            if engines.asr is not None
            else None
        )
        self.gated = GatedOcr(engines.ocr, gate) if engines.ocr is not None else None
        self.ocr = (
            BatchScheduler(self.gated, SchedulerOptions(options.ocr_batch, wait), name="watch-ocr")
            if self.gated is not None
            else None
        )
        self.claims: BatchScheduler[Any, Any] = BatchScheduler(
            ClaimCheck(engines.claims), SchedulerOptions(options.claims_batch, wait), name="watch-claims"
        )
        self.face_windows: FaceWindows | None = None
        self.face_models: FaceEngine | None = None
        self.faces: BatchScheduler[tuple[int, SampledFrame | DenseFrame | WindowEnd], FaceWindow | None] | None = None
        if faces is not None and engines.faces is not None:
            models = engines.faces()  # one set of face models for every room, used from the scheduler's thread
            follower = getattr(models, "for_stream", None)
            self.face_models = models
            self.face_windows = FaceWindows(follower if follower is not None else engines.faces, faces)
            self.faces = BatchScheduler(self.face_windows, SchedulerOptions(options.face_batch, wait),
                                        name="watch-faces")
        self._outbox: queue.Queue[tuple[_Room, Finding, bytes | None] | Callable[[], None] | None] = queue.Queue()
        self._judging: dict[int, int] = {}
        """Findings of each room (by index) the judge has not answered yet."""
        self._after_judged: dict[int, Callable[[], None]] = {}
        self._writer = threading.Thread(target=self._write, name="livemon-sink", daemon=True)
        self._writer.start()

    def emit(self, room: _Room, findings: Sequence[Finding]) -> None:
        """Queue findings for the sink, each with its provenance and snapshot.

        Runs where the room's results are taken (:class:`RoomWork`), for the connection being taken; the sink
        (disk, network) runs on its own thread so a slow sink never holds up claim checks. The snapshot is
        taken now, before the room's ring of frames moves on.
        """
        clips = room.work.taking.clips
        provenance = {**self.provenance, "live": _played_live(room.state.spec, self.realtime), **room.provenance}
        findings = [replace(f, provenance=provenance, wall_time=room.timeline.wall_time(f.start)) for f in findings]
        for finding in findings:
            name = finding.evidence.snapshot
            snapshot = room.snapshots.images.get(name) if name else None
            if clips is not None:
                clips.hold(finding, snapshot)  # handed on by the connection's reader (or close-out), with its clip
            else:
                self._hand_on(room, finding, snapshot)
        with self.lock:
            room.state.findings += len(findings)

    def release(self, room: _Room, connection: Connection, *, everything: bool = False) -> None:
        """Hand on the connection's held findings whose clip can be cut now (on its reader or close-out thread)."""
        if connection.clips is not None:
            connection.clips.release(lambda f, snapshot: self._hand_on(room, f, snapshot), connection.origin(),
                                     everything=everything)

    def _hand_on(self, room: _Room, finding: Finding, snapshot: bytes | None) -> None:
        """To the sink's queue, through the judge when there is one (it answers on its own threads)."""
        if self.judge is None:
            self._outbox.put((room, finding, snapshot))
            return
        with self.lock:
            self._judging[room.index] = self._judging.get(room.index, 0) + 1

        def answered(judged: Finding) -> None:
            self._outbox.put((room, judged, snapshot))
            with self.lock:
                self._judging[room.index] -= 1
                then = None
                if not self._judging[room.index]:
                    del self._judging[room.index]
                    then = self._after_judged.pop(room.index, None)
            if then is not None:
                self._outbox.put(then)

        self.judge.submit(finding, answered)

    def after_written(self, room: _Room, action: Callable[[], None]) -> None:
        """Run ``action`` on the sink's thread once every finding ``room`` handed on so far (judged ones too, when
        the judge has answered) is written."""
        with self.lock:
            if self._judging.get(room.index):
                self._after_judged[room.index] = action
                return
        self._outbox.put(action)

    def _write(self) -> None:
        """Hand each queued finding to the sink, retrying a failing sink with backoff.

        A finding the sink still refuses is logged whole (so it can be recovered from the log)
        and its room says so in the live table.
        """
        while (item := self._outbox.get()) is not None:
            if callable(item):
                item()
            else:
                self._deliver(*item)
            del item  # not held while the next is awaited: a room that is over is let go once it is kept

    def _deliver(self, room: _Room, finding: Finding, snapshot: bytes | None) -> None:
        if room.kept is not None and room.kept.keys is not None and self.store is not None:
            _store_finding(self.store, room, room.kept.keys, finding, snapshot)
        for wait in (*SINK_RETRY_WAITS, None):
            try:
                self.sink(finding, snapshot)
                break
            except Exception as e:  # the sink's own error (disk, network): try again, then report
                if wait is not None:
                    time.sleep(wait)
                    continue
                log.error("the finding sink failed, finding not written: %s", json.dumps(finding.to_dict(),
                          ensure_ascii=False))
                room.state.warnings.append(f"a finding could not be written ({e}); it is in the log")

    def retire(self, room: _Room) -> None:
        """Forget what the shared workers keep of a room that is over (its text gate's last frame)."""
        if self.gated is not None:
            self.gated.forget(room.index)

    def shutdown(self) -> None:
        """Finish queued work, then write every finding still in the outbox."""
        for scheduler in (self.asr, self.ocr, self.faces, self.claims):
            if scheduler is not None:
                scheduler.shutdown(wait=True, cancel_pending=True)
        if self.face_windows is not None:
            self.face_windows.close()
        if self.face_models is not None:
            self.face_models.close()
        if self.judge is not None:
            self.judge.close()
        self._outbox.put(None)
        self._writer.join()


def _failed(room: _Room, stage: str, future: Future[Any]) -> bool:
    """True (and the room told) when ``future`` was cancelled or raised."""
    if future.cancelled():
        return True
    if (e := future.exception()) is not None:
        room.state.warnings.append(f"{stage} failed: {e}")
        return True
    return False


def _utterance(shared: _Shared, room: _Room, clip: Utterance, due: float) -> None:
    """Utterance → ASR (and speaker turns) → lines cut at turn changes → claims → speech findings. The last
    line heard of an utterance the stream cut off is marked so (only rule matches count on it)."""
    turns = room.turns.add(clip) if room.turns is not None else None

    def checked(heard: list[TranscriptSegment], segments: list[TranscriptSegment], future: Future[Any]) -> None:
        if not _failed(room, "claims", future):
            found = room.detector.speech(segments, list(room.snapshots.index), future.result(), turns=turns)
            if room.kept is not None:
                for segment in heard:  # Whisper's lines; the record's turns cut them again on rescan
                    room.kept.writer.transcript.add(segment)
            room.state.timings["speech"].append((clip.start + clip.duration, time.monotonic() - due))
            shared.emit(room, found)

    def heard(future: Future[list[TranscriptSegment]]) -> None:
        if _failed(room, "speech recognition", future):
            work.done()
            return
        heard = future.result()
        if clip.cut_off and heard:
            heard = [*heard[:-1], replace(heard[-1], cut_off=True)]
        if room.dh is not None:
            room.dh.speech(heard)
        segments = list(cut_at_turns(heard, turns))
        try:
            shared.claims.submit(room.index, ([s.text for s in segments], "speech")).add_done_callback(
                lambda f: work.done(lambda: checked(heard, segments, f))
            )
        except SchedulerClosed:
            work.done()

    assert shared.asr is not None
    work = room.work.begin()
    room.state.utterances += 1
    shared.asr.submit(room.index, PromptedClip(clip, room.prompt)).add_done_callback(lambda f: work.step(
        lambda: heard(f)))


def _frame(shared: _Shared, room: _Room, frame: SampledFrame, due: float) -> None:
    """Frame → gated OCR → claims → caption tracker → screen findings when a caption leaves."""

    def checked(text: FrameText, future: Future[Any]) -> None:
        if not _failed(room, "claims", future):
            closed = room.detector.screen(text, list(room.snapshots.index), future.result()[0])
            if room.kept is not None:
                room.kept.writer.frame_texts.add(text)
            room.state.timings["screen"].append((frame.time, time.monotonic() - due))
            shared.emit(room, closed)

    def read(future: Future[FrameText]) -> None:
        if _failed(room, "OCR", future):
            work.done()
            return
        text = future.result()
        if room.dh is not None:
            room.dh.screen(text)
        try:
            shared.claims.submit(room.index, ([text.text], "text")).add_done_callback(
                lambda f: work.done(lambda: checked(text, f)))
        except SchedulerClosed:
            work.done()

    assert shared.ocr is not None
    work = room.work.begin()
    room.state.frames += 1
    shared.ocr.submit(room.index, (room.index, frame)).add_done_callback(lambda f: work.step(lambda: read(f)))


def _fed_vertical(options: ScanOptions, order: RoomOrder | None) -> tuple[ScanOptions, str | None]:
    """``options`` with a fed room's vertical (what it sells) when the watch's own ``--vertical`` gave none; and a
    warning when the vertical is not one of this worker's ``prompts/asr`` (the room is then read with the default)."""
    if order is None or order.vertical is None or options.vertical is not None:
        return options, None
    try:
        vertical = load_asr_prompts().lookup(order.vertical)
    except ConfigError as e:
        return options, f"{e}；本直播间使用默认提示 read with the default prompt"
    return options.model_copy(update={"vertical": vertical}), None


def _played_live(spec: str, realtime: bool) -> bool:
    """A URL, or a file played at its own speed (``--realtime``): its findings are of a room on air now."""
    return realtime or is_url(spec)


def _play(
    shared: _Shared, room: _Room, options: ScanOptions, watch_options: WatchOptions, stop: threading.Event
) -> None:
    """Read one room until it ends, ``max_duration`` passes or ``stop`` is set; a live room through its reconnects."""
    try:
        if is_url(room.state.spec):
            _stay_connected(shared, room, options, watch_options, stop)
        else:
            _connect(shared, room, options, watch_options, stop)
    except LivemonError as e:
        room.state.error = str(e)
    except Exception as e:  # noqa: BLE001 - one room's crash must not stop the others; it is reported
        room.state.error = f"unexpected error: {e!r}"
    finally:
        for drain in room.drains:
            drain.join()
    if room.dh is not None:  # a room that ended by an error: its last checks (told already when it ended well)
        room.dh.stop(over=True)
        shared.release(room, room.work.taking, everything=True)
    room.state.reconnecting = False
    room.state.finished = True


def _stay_connected(
    shared: _Shared, room: _Room, options: ScanOptions, watch_options: WatchOptions, stop: threading.Event
) -> None:
    """Connect, read, and after each loss reopen the stream under the reconnect policy until the room is over."""
    state = room.state

    def since_media() -> float:
        return time.monotonic() - room.last_media

    def waiting(attempt: RetryCallState) -> None:
        state.reconnecting, state.attempts = True, attempt.attempt_number
        state.lost_at = state.lost_at or room.last_media
        if attempt.outcome is not None and (error := attempt.outcome.exception()) is not None:
            state.lost = str(error)

    policy = reconnecting(options.reconnect_outage, watch_options.reconnect, stop, since_media, waiting)
    try:
        while not policy(_connect, shared, room, options, watch_options, stop):
            state.reconnecting, state.lost_at, state.attempts = True, room.last_media, 0
            room.timeline.reconnected()
            log.warning("room %d lost its stream (%s); reconnecting", room.index, state.lost)
    except ForbiddenSource:
        raise
    except (LivemonError, ConnectionLost) as e:
        if stop.is_set():
            return
        lost = since_media()
        raise UnreachableSource(
            f"直播流中断 {lost:.0f}s 未恢复，已放弃 the stream stayed lost for {lost:.0f}s "
            f"(reconnect_outage {options.reconnect_outage:g}s): {e.args[0] if e.args else e}", source=state.spec,
        ) from e


def _connect(
    shared: _Shared, room: _Room, options: ScanOptions, watch_options: WatchOptions, stop: threading.Event
) -> bool:
    """Open the room once and read it: ``True`` when the room is over, ``False`` when a live stream was lost
    after media came (:class:`ConnectionLost` when before). A room that is over is drained before this returns;
    a lost connection is drained on a thread of its own (:attr:`_Room.drains`) while the room reopens."""
    if stop.is_set():
        return True
    container = open_source(
        room.state.spec, timeout=options.open_timeout, policy=SourcePolicy.from_options(options),
        stall_timeout=options.stall_timeout,
    )
    connection = room.work.connect()
    connections = room.connections
    try:
        lost = _read(shared, room, connection, container, options, watch_options, stop)
    except BaseException:
        if room.dh is not None:
            room.dh.close_window()
        _drain(shared, room, connection, container, over=False)
        raise
    if room.dh is not None:
        room.dh.close_window()  # on the reader's thread: the next connection's windows come after it
    if lost is None:
        _drain(shared, room, connection, container, over=True)
        return True
    room.drains[:] = [drain for drain in room.drains if drain.is_alive()]
    drain = threading.Thread(target=_drain, args=(shared, room, connection, container), kwargs={"over": False},
                             name=f"livemon-room{room.index}-drain{connection.number}", daemon=True)
    drain.start()
    room.drains.append(drain)
    room.state.lost = lost
    if room.connections == connections:
        raise ConnectionLost(lost)
    return False


def _drain(shared: _Shared, room: _Room, connection: Connection, container: av.container.InputContainer, *,
           over: bool) -> None:
    """Wait for the connection's work, then (after the connections before it) close its captions, tell its
    digital-human checks that the stream was lost (or the room is ``over``), hand on its held findings with
    their clips, and close it."""
    try:
        room.work.wait_idle(connection, lambda: shared.release(room, connection))
        room.work.close(connection, lambda: _close_out(shared, room, connection, over=over))
    finally:
        container.close()  # after its clips are cut: they are cut from its streams


def _close_out(shared: _Shared, room: _Room, connection: Connection, *, over: bool) -> None:
    shared.emit(room, room.detector.finish(room.snapshots.index))
    if room.dh is not None:
        room.dh.stop(over=over)
    shared.release(room, connection, everything=True)
    if connection.clips is not None:
        room.state.warnings += [w for w in connection.clips.warnings if w not in room.state.warnings]


def _read(
    shared: _Shared, room: _Room, connection: Connection, container: av.container.InputContainer,
    options: ScanOptions, watch_options: WatchOptions, stop: threading.Event,
) -> str | None:
    """Decode one connection and feed its work to the schedulers (and its packets to its ring, for clips).

    Returns why a live stream was lost (it ended, broke off or stalled), or ``None`` when the room is over.
    """
    spec, state = room.state.spec, room.state
    info = room.info = probe(container, spec)
    if room.kept is not None and room.kept.keys is None and shared.store is not None:
        _open_record(shared.store, room, options, shared.engines)
    live = is_url(spec) and info.duration is None
    if room.connections and not live:
        state.warnings.append("直播已结束 the broadcast ended: the stream is now a finished recording")
        return None
    speech = shared.asr is not None and info.has_audio
    screen = shared.ocr is not None and info.has_video
    faces = shared.faces is not None and info.has_video
    if not speech and not room.connections:
        state.warnings.append("speech is not checked: no audio track" if shared.asr else "speech is off")
    phase = face_phase(room.index, options) if live else 0.0  # a recording's windows stay those of its scan
    if (dh := room.dh) is not None:
        dh.phase = phase
        room.work.in_order(connection, lambda: dh.connected(info))
    decode = replace(decode_options(options, audio=speech, video=screen or faces, faces=faces), max_duration=None,
                     dense_phase=phase)
    pace = watch_options.realtime and not is_url(spec)
    ring = None
    if watch_options.clips is not None:
        # a room read faster than real time runs ahead of its findings: cut from the file
        ring = PacketRing(container.streams, watch_options.ring_seconds, watch_options.ring_bytes) \
            if _played_live(spec, watch_options.realtime) else None
        connection.clips = RoomClips(watch_options.clips, spec, ring)
    cutter = UtteranceCutter()
    report = connection.report
    room.started = room.started or time.monotonic()
    lost: str | None = "直播流结束 the stream ended"
    try:
        for item in iter_media(container, decode, report, on_packet=ring.add if ring is not None else None):
            if stop.is_set():
                lost = None
                break
            connection_time = item.start if isinstance(item, AudioPCM) else item.time
            item = _on_room_clock(room, connection, item)
            t = item.start + item.duration if isinstance(item, AudioPCM) else item.time
            if options.max_duration is not None and t > options.max_duration:
                state.warnings.append(f"stopped at the requested maximum of {options.max_duration:g}s")
                lost = None
                break
            if pace:
                time.sleep(max(0.0, room.started + t - time.monotonic()))
            state.stream_seconds = max(state.stream_seconds, t)
            if isinstance(item, AudioPCM):
                if speech and room.kept is not None:
                    room.kept.voice.feed(item)
                for clip in cutter.feed(item) if speech else ():
                    _utterance(shared, room, clip, _due(room, clip.start + clip.duration, pace))
            elif item.reason != "dense":
                room.snapshots.add(item)
                if screen:
                    _frame(shared, room, item, _due(room, item.time, pace))
            if room.dh is not None:
                room.dh.observe(connection_time, item, voice=speech)
            shared.release(room, connection)
    except av.error.ExitError:  # PyAV's read timeout: no audio or video packet for stall_timeout
        lost = f"卡顿 stalled: no packet for {options.stall_timeout:g}s"
    for clip in cutter.flush() if speech else ():  # cut by the end of the connection: due when it ended
        _utterance(shared, room, clip, time.monotonic())
    if report.stopped_early:
        lost = report.stopped_early if live else lost
        if not live:
            state.warnings.append(report.stopped_early)
    return lost if live and not stop.is_set() else None


def _on_room_clock(
    room: _Room, connection: Connection, item: AudioPCM | SampledFrame | DenseFrame
) -> AudioPCM | SampledFrame | DenseFrame:
    """``item`` with its time on the room's clock; the first item of a connection marks the room reconnected."""
    if room.connections == 0 or room.state.reconnecting:
        if room.state.reconnecting:
            room.state.reconnects += 1
        room.state.reconnecting, room.state.lost_at, room.state.attempts = False, None, 0
        room.connections += 1
    room.last_media = time.monotonic()
    start = connection.report.start_time or 0.0
    placed = room.timeline.place(item.start if isinstance(item, AudioPCM) else item.time, start)
    connection.offset = room.timeline.offset
    if isinstance(item, AudioPCM):
        return replace(item, start=placed)
    return replace(item, time=placed)


def _open_record(store: Store, room: _Room, options: ScanOptions, engines: Engines) -> None:
    """Say where the room's record and findings go, now that its tracks are known (at its first connection)."""
    assert room.info is not None and room.kept is not None
    stages: list[str] = []
    if (engines.ocr is not None or (options.faces and engines.faces is not None)) and room.info.has_video:
        stages.append("screen")
    if engines.asr is not None and room.info.has_audio:
        stages.append("speech")
        options = options.model_copy(update={"vertical": (room.prompt or NO_PROMPT).vertical})  # its speech key
    if not stages:
        return
    try:
        keys = live_source_keys(room.state.spec, room.captured, tuple(stages), options, engines.claims)
        store.remember_source(keys.source, room.state.spec, keys.size)
        store.remember_run(keys.run, keys.settings)
    except Exception as e:  # noqa: BLE001 - the room is still watched; say what will not be kept
        log.exception("the record of %s cannot be stored", room.state.spec)
        room.state.warnings.append(f"the room's record and findings cannot be stored: {e}")
        return
    room.kept.keys, room.kept.stages, room.kept.options = keys, tuple(stages), options


def _store_finding(store: Store, room: _Room, keys: SourceKeys, finding: Finding, snapshot: bytes | None) -> None:
    """Add one finding (and its snapshot) to the store as it is handed on: a watch that stops or crashes has
    already kept every finding it handed on."""
    assert room.kept is not None
    try:
        name = finding.evidence.snapshot
        snapshots = {name: store.blobs.put(snapshot)} if snapshot is not None and name else {}
        room.kept.found_again |= store.add_findings(keys.source, keys.run, [finding.to_dict()], snapshots)
    except Exception as e:  # noqa: BLE001 - the sink still gets it; say what was not kept
        log.exception("a finding of %s could not be stored", room.state.spec)
        room.state.warnings.append(f"a finding could not be stored ({e}); it went to the sink")


def _keep_record(store: Store, room: _Room, options: ScanOptions, engines: Engines) -> None:
    """:func:`_store_room`, saying in the room's state when its record could not be kept."""
    try:
        _store_room(store, room, options, engines)
    except Exception as e:  # noqa: BLE001 - the findings are already written; say what was not kept
        log.exception("the record of %s could not be stored", room.state.spec)
        room.state.warnings.append(f"the room's record could not be stored: {e}")


def _store_room(store: Store, room: _Room, options: ScanOptions, engines: Engines) -> None:
    """Keep a room's record (under live stage keys) with the parts written as it was watched, as ``scan`` keeps
    its record, and mark its findings (stored as they were found) done, as a rescan would find them."""
    kept = room.kept
    if room.info is None or kept is None or kept.keys is None or kept.options is None:
        return  # the room never opened (nothing was seen), or its record cannot be stored (it said so)
    options, report = kept.options, room.work.current.report
    decode = DecodeSummary(
        stream_seconds=round(room.state.stream_seconds, 3), corrupt_packets=report.corrupt_packets,
        decoded_frames=report.decoded_frames, stopped_early=report.stopped_early,
    )
    screen = speech = None
    faces = options.faces and engines.faces is not None
    if "screen" in kept.stages:
        screen = ScreenRecord(
            frame_interval=options.frame_interval, sampled_frames=room.state.frames,
            snapshots=tuple(room.snapshots.index), decode=decode, ocr=engines.ocr.name if engines.ocr else None,
            faces=kept.faces(options.face_fps) if faces else None, forgery=kept.forgery_scores() if faces else None,
        )
    if "speech" in kept.stages:
        assert engines.asr is not None
        prompt = room.prompt or NO_PROMPT
        speech = SpeechRecord(
            voice=kept.voice.result(), audio_seconds=round(room.state.stream_seconds, 3), decode=decode,
            asr=engines.asr.name, turns=room.turns.turns() if room.turns is not None else None,
            prompt=prompt.ref, vertical=prompt.vertical,
        )
    head = StreamRecord(info=room.info, screen=screen, speech=speech)
    save_stages(store, kept.keys, kept.stages, RecordView(head, kept.writer.close(), store.blobs),
                room.snapshots.images)
    store.finish_findings(kept.keys.source, kept.keys.run, kept.found_again)


def _digital_human(
    shared: _Shared, room: _Room, options: ScanOptions, watch_options: WatchOptions, meta: RoomMeta | None
) -> RoomDigitalHuman:
    """The room's digital-human checks, wired to its findings, snapshots and live state."""
    state = room.state
    live = _played_live(state.spec, watch_options.realtime)

    def emit(found: Sequence[Finding]) -> None:
        kept = [f for f in found if f.confidence >= options.min_confidence]
        for f in kept if live else ():
            if (exceeded := f.evidence.signals.get("live", {}).get("exceeded_at")) is not None:
                state.timings["digital_human"].append((exceeded, max(0.0, state.stream_seconds - exceeded)))
        shared.emit(room, kept)

    def show(result: DigitalHumanResult) -> None:
        state.digital_human = result

    detector = LiveDigitalHuman(
        DigitalHumanOptions(max_gap=options.dh_gap, threshold=options.dh_threshold), room=meta, stream=state.spec,
        screen=shared.ocr is not None, review_every=options.face_period,
    )
    hooks = RoomHooks(emit=emit, snapshots=lambda: list(room.snapshots.index), begin=room.work.begin,
                      warn=state.warnings.append, show=show)
    if room.kept is not None:
        hooks = replace(hooks, keep=room.kept.window)
    backlog = max(2, round(options.face_fps * watch_options.face_backlog_s))
    return RoomDigitalHuman(room.index, detector, hooks, options, faces=shared.faces, forgery=shared.engines.forgery,
                            backlog=backlog)


def _due(room: _Room, stream_time: float, paced: bool) -> float:
    """Monotonic time from which an item's latency counts: when it was said, or now when not paced."""
    return room.started + stream_time if paced else time.monotonic()


def watch(
    specs: Sequence[str],
    options: ScanOptions,
    engines: Engines,
    sink: FindingSink,
    watch_options: WatchOptions = WatchOptions(),
    *,
    stop: threading.Event | None = None,
    on_tick: Callable[[list[RoomState]], None] | None = None,
    store: Store | None = None,
    feed: RoomFeed | None = None,
    judge: Judge | None = None,
    room_meta: Mapping[str, RoomMeta] | None = None,
) -> list[RoomState]:
    """Watch every room in ``specs`` until all have ended (or ``stop`` is set, or Ctrl-C); return what each did.

    ``on_tick`` receives the live room states about five times a second (for a progress display).
    With ``store``, each room's findings are kept there as they are found and its record as it is made (its
    head when the room is over: a fed room's once its findings are written, the others' once every room has
    ended).
    With ``feed``, rooms also start and stop as the feed says, and the watch runs until ``stop`` is set
    (or Ctrl-C); a fed room that is over is forgotten (only its state is returned, the newest
    :data:`FED_STATES_KEPT` of them), so a watch can run for days as rooms come and go.
    With ``judge``, findings it takes wait for its opinion off the detection threads
    (:mod:`monitor.pipeline.live_judge`).
    ``room_meta`` gives rooms the platform's data on them (by spec); a room without gets ``options.room_meta``.
    """
    stop = stop or threading.Event()
    default_meta = load_room_meta(options.room_meta) if options.room_meta is not None else None
    faces = FaceOptions(fps=options.face_fps, crop_interval=1.0 if engines.forgery is not None else None) \
        if options.faces and engines.faces is not None else None
    live_judge = LiveJudge(judge, engines.claims, watch_options.judge_backlog) if judge is not None else None
    shared = _Shared(engines, watch_options, sink, {}, text_gate_options(options), store, faces, live_judge)
    models = {
        "asr": engines.asr.name if engines.asr else None,
        "ocr": engines.ocr.name if engines.ocr else None,
        "faces": shared.face_models.name if shared.face_models is not None else None,
    }
    provenance = finding_provenance(options, engines.claims, models)
    if judge is not None:
        provenance = {**provenance, "judge": {"model": judge.model, "prompt": judge.prompt.id}}
    shared.provenance = provenance
    detector_options = DetectorOptions(min_confidence=options.min_confidence)
    rooms: list[_Room] = []
    """Every room not yet over and forgotten (a fed room's record is kept when it is forgotten, the others' at the
    end)."""
    fed: dict[str, _Room] = {}
    retired: deque[RoomState] = deque(maxlen=FED_STATES_KEPT)
    threads: dict[int, threading.Thread] = {}
    """The thread of every room not yet forgotten, by the room's index."""
    indices = itertools.count()

    def start(spec: str, order: RoomOrder | None = None) -> None:
        index = next(indices)
        meta = (room_meta or {}).get(spec, default_meta)
        chosen, warning = _fed_vertical(options, order)
        prompt = scan_prompt(room_options(chosen, meta)) if isinstance(engines.asr, PromptedAsr) else None
        room = _Room(
            index=index,
            state=RoomState(spec),
            snapshots=SnapshotStore(limit=watch_options.snapshots_kept, prefix=f"room{index}_"),
            detector=StreamDetector(
                engines.claims, detector_options, frame_interval=options.frame_interval, stream=spec,
                report_after_s=watch_options.banner_report_s,
            ),
            kept=_Kept(RecordWriter(store.blobs, watch_options.part_items)) if store is not None else None,
            provenance={**(order.provenance if order is not None else {}),
                        **(prompt.provenance() if prompt is not None else {})},
            prompt=prompt,
            turns=LiveTurns(engines.speakers, shared.speakers_lock) if engines.speakers is not None else None,
        )
        if warning:
            room.state.warnings.append(warning)
        room.dh = _digital_human(shared, room, options, watch_options, meta)
        rooms.append(room)
        if order is not None:
            fed[order.key] = room
        threads[index] = threading.Thread(target=_play, args=(shared, room, options, watch_options, room.stop),
                                          name=f"livemon-room{index}")
        threads[index].start()

    def follow(feed: RoomFeed) -> None:
        """Hand the feed its rooms' states; forget the rooms it has now seen over; start and stop as it says."""
        over = [key for key, room in fed.items() if not threads[room.index].is_alive()]
        starts, stops = feed.update({key: room.state for key, room in fed.items()})
        for key in over:
            room = fed.pop(key)
            threads.pop(room.index)
            shared.retire(room)
            for latencies in room.state.timings.values():
                latencies.clear()
            retired.append(room.state)
            rooms.remove(room)
            if store is not None:  # kept now, so a watch that runs for days holds no room that is over
                shared.after_written(room, functools.partial(_keep_record, store, room, options, engines))
        for key in stops:
            if key in fed:
                fed[key].stop.set()
        for order in starts:
            if order.key not in fed:
                start(order.spec, order)

    trim_every = watch_options.trim_memory_s
    if trim_every is not None:
        native_memory.limit_arenas(max(2, os.cpu_count() or 1))  # before the rooms' threads start
    next_trim = time.monotonic() + (trim_every or 0.0)
    try:
        for spec in specs:
            start(spec)
        while feed is not None or any(t.is_alive() for t in threads.values()):
            if feed is not None:
                follow(feed)
            if stop.is_set():
                break
            if on_tick is not None:
                on_tick([r.state for r in rooms if r.index in threads])
            if trim_every is not None and time.monotonic() >= next_trim:
                native_memory.trim()
                next_trim = time.monotonic() + trim_every
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass  # Ctrl-C: stop reading; what is queued still becomes findings below
    finally:
        stop.set()
        if feed is not None:
            feed.update({key: room.state for key, room in fed.items()}, stopping=True)
        for room in rooms:
            room.stop.set()
        for t in list(threads.values()):
            t.join()
        shared.shutdown()
    if store is not None:
        for room in rooms:
            _keep_record(store, room, options, engines)
    if feed is not None:
        feed.update({key: room.state for key, room in fed.items()}, stopping=True)  # every room is over now
    return [*retired, *(r.state for r in rooms if r.index in threads)]
