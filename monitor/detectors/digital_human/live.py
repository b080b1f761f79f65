"""The digital-human checks of one live room, fed its observations as they come (``livemon watch``).

``scan`` judges a whole record at once (:func:`detect_digital_human`). A live room runs for days and
a missing label must be told within seconds, so :class:`LiveDigitalHuman` takes the same
observations one at a time and judges with the same parts: :class:`LabelTracker` for the label,
:func:`judge_host` for the face (and voice) signals of each face window, the disclosure channels
(metadata, speech, room data) and :func:`declared_by`, and :func:`dh_finding` for the findings.
It keeps bounded state only: recent label sightings, the open face windows, a few disclosures.

What it reports, and when:

- the label was seen, then missing longer than ``max_gap``: ``dh_label_intermittent`` at the first
  frame that shows it (``still_missing``; its end is that frame), once per gap;
- the label never seen while metadata, speech or the room data says the host is AI, and missing
  longer than ``max_gap``: ``dh_undisclosed`` / ``declared_without_label`` (block), once per room;
- each face window, once OCR has read past its end: a host likely AI with no label in the window
  (and not declared) gives ``likely_ai_no_label`` (review) over the window;
- each ``review_every`` seconds and at the end, over that period: a label seen with short gaps only
  but under ``min_coverage`` gives ``dh_label_intermittent``; a continuous label under
  ``min_label_height`` gives ``label_not_prominent`` (once per room).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from monitor.detectors.digital_human.detect import (
    DigitalHumanOptions,
    DigitalHumanResult,
    HostJudgement,
    declared_by,
    dh_finding,
    judge_host,
    options_used,
)
from monitor.detectors.digital_human.disclosure import (
    MetadataLabel,
    SpokenDisclosure,
    metadata_label,
    spoken_disclosures,
)
from monitor.detectors.digital_human.label_track import LabelGap, LabelTracker
from monitor.detectors.digital_human.quality import FaceView, Judgement
from monitor.detectors.digital_human.room import RoomMeta
from monitor.detectors.digital_human.signal import Signal
from monitor.findings import Finding, Source
from monitor.media.types import MediaInfo
from monitor.observations.faces import FaceTrack
from monitor.observations.types import FrameText, TranscriptSegment
from monitor.observations.voice import VoiceFeatures

__all__ = ["KEEP", "LiveDigitalHuman"]

KEEP = 600
"""Label sightings, gaps and frame steps a live room keeps (10 minutes of frames at 1 fps)."""
SPOKEN_KEPT = 20

Snapshots = Sequence[tuple[float, str]]


@dataclass(frozen=True, slots=True)
class _Window:
    start: float
    end: float
    host: HostJudgement


class LiveDigitalHuman:
    """One room's label continuity, disclosures and face windows; every method returns the findings it made.

    Frames (:meth:`screen`) and face windows (:meth:`window`) come each in time order; the caller
    serialises the calls (they come from several threads in a watch).
    """

    def __init__(
        self,
        options: DigitalHumanOptions | None = None,
        *,
        room: RoomMeta | None = None,
        stream: str = "",
        screen: bool = True,
        review_every: float = 600.0,
        keep: int = KEEP,
    ) -> None:
        options = options or DigitalHumanOptions()
        self.options, self.room, self.stream, self.review_every = options, room, stream, review_every
        self._screen = screen
        self._labels = LabelTracker(options.max_gap, keep=keep)
        self._metadata: MetadataLabel | None = None
        self._spoken: deque[SpokenDisclosure] = deque(maxlen=SPOKEN_KEPT)
        self._pending: list[_Window] = []
        self._host: _Window | None = None
        self._told_gap: float | None = None
        """Start of the newest gap already reported."""
        self._declared_told = self._prominence_told = False
        self._period = (0.0, 0.0, 0.0)
        """(start time, visible seconds, span seconds) of the label tracker when the review period began."""
        self._period_gaps = 0
        self._finished = False

    # ---- what the room says about itself

    def connected(self, info: MediaInfo, snapshots: Snapshots = ()) -> list[Finding]:
        """A (new) connection's probe: its implicit AIGC label, if any."""
        self._metadata = self._metadata or metadata_label(info.metadata)
        return self._declared(snapshots)

    def speech(self, segments: Sequence[TranscriptSegment], snapshots: Snapshots = ()) -> list[Finding]:
        """Transcript segments of the room, in time order: spoken disclosures such as 以下由数字人为您讲解."""
        self._spoken.extend(spoken_disclosures(segments))
        return self._declared(snapshots)

    # ---- the label

    def screen(self, frame: FrameText, snapshots: Snapshots = ()) -> list[Finding]:
        """One sampled frame's text: label continuity, the review period, the face windows it has passed."""
        found = self._gap(self._labels.add(frame), snapshots)
        found += self._declared(snapshots)
        if frame.time - self._period[0] >= self.review_every:
            found += self._review(snapshots)
        return found + self._resolve(frame.time, snapshots)

    def lost(self, snapshots: Snapshots = ()) -> list[Finding]:
        """The room's connection was lost: an open label gap ends one frame after the last frame read."""
        return self._gap(self._labels.pause(), snapshots)

    def _gap(self, gap: LabelGap | None, snapshots: Snapshots) -> list[Finding]:
        if gap is None:
            return []
        self._period_gaps += 1
        if gap.start == self._told_gap or self._labels.first_seen is None:
            return []  # told already, or the label was never seen: only a declared host needs one (_declared)
        self._told_gap = gap.start
        label = self._labels.coverage()
        text = label.text
        if gap.open:
            said = (f"AI 标识自 {gap.start:.0f}s 起缺失，{gap.end:.0f}s 时仍未恢复 · AI label '{text}' missing since "
                    f"{gap.start:.0f}s, still missing at {gap.end:.0f}s")
        else:
            said = (f"AI 标识缺失 {gap.start:.0f}–{gap.end:.0f}s · AI label '{text}' missing "
                    f"{gap.start:.0f}-{gap.end:.0f}s")
        live = {"exceeded_at": round(gap.exceeded_at(self.options.max_gap), 3), "found_at": gap.end,
                "still_missing": gap.open}
        return [self._finding("dh_label_intermittent", "review", gap.start, gap.end, "screen", said,
                              0.6 + 0.4 * (1.0 - label.coverage), "label_gaps", snapshots, live)]

    def _declared(self, snapshots: Snapshots) -> list[Finding]:
        """The host says it is AI and no label was ever seen for longer than ``max_gap``: block, once."""
        since, now = self._labels.missing_since, self._labels.last_time
        if self._declared_told or self._labels.first_seen is not None or since is None or now is None:
            return []
        if now - since <= self.options.max_gap:
            return []
        declared = declared_by(self._metadata, tuple(self._spoken), self.room)
        if declared is None:
            return []
        self._declared_told, self._told_gap = True, since
        source, why = declared
        live = {"exceeded_at": round(since + self.options.max_gap, 3), "found_at": now, "still_missing": True}
        said = f"未见 AI 标识 no visible AI label while {why}"
        return [self._finding("dh_undisclosed", "block", since, now, source, said, 0.95, "declared_without_label",
                              snapshots, live)]

    def _review(self, snapshots: Snapshots) -> list[Finding]:
        """Coverage and prominence of the label over the period since the last review."""
        start, visible0, span0 = self._period
        visible, span, end = self._labels.totals()
        gaps, self._period_gaps = self._period_gaps, 0
        self._period = (end, visible, span)
        seen = self._labels.seen_between(start, end)
        if not seen or gaps or span - span0 <= 0:
            return []
        coverage = (visible - visible0) / (span - span0)
        label = self._labels.coverage()
        if coverage < self.options.min_coverage:
            said = (f"AI 标识时有时无 {start:.0f}–{end:.0f}s · AI label '{label.text}' visible {coverage:.0%} of the "
                    f"time in {start:.0f}-{end:.0f}s; short gaps")
            return [self._finding("dh_label_intermittent", "review", start, end, "screen", said,
                                  0.6 + 0.4 * (1.0 - coverage), "label_gaps", snapshots)]
        if self._prominence_told or label.height_ratio >= self.options.min_label_height:
            return []
        self._prominence_told = True
        said = (f"AI 标识不显著 · AI label '{label.text}' is not prominent: {label.height_ratio:.1%} of frame height, "
                f"{label.position}")
        return [self._finding("dh_undisclosed", "review", start, end, "screen", said, 0.6, "label_not_prominent",
                              snapshots)]

    # ---- the host's face

    def window(
        self,
        faces: FaceTrack,
        voice: VoiceFeatures | None = None,
        extra_signals: Sequence[Signal] = (),
        *,
        start: float,
        end: float,
        snapshots: Snapshots = (),
    ) -> list[Finding]:
        """A finished face window (``start``..``end`` on the room's clock) with the voice of the same span."""
        window = _Window(start, end, judge_host(faces, voice, extra_signals, self.options))
        self._host = window
        self._pending.append(window)
        last = self._labels.last_time
        read_until = float("inf") if not self._screen else last if last is not None else float("-inf")
        return self._resolve(read_until, snapshots)

    def _resolve(self, read_until: float, snapshots: Snapshots) -> list[Finding]:
        """Judge the face windows OCR has read past (all of them when ``read_until`` is infinite)."""
        due = [w for w in self._pending if w.end <= read_until]
        self._pending = [w for w in self._pending if w.end > read_until]
        found: list[Finding] = []
        for w in due:
            if not w.host.ai_likely(self.options.threshold) or w.host.likelihood is None:
                continue
            if self._labels.seen_between(w.start, w.end):
                continue  # a label was shown: its continuity is judged on its own
            declared = declared_by(self._metadata, tuple(self._spoken), self.room)
            if declared is not None and self._screen:
                continue  # declared and unlabelled is told as such (block)
            if declared is not None:
                found += self._declared_without_screen(declared, w, snapshots)
                continue
            said = (f"主播疑似 AI 生成且无 AI 标识 · host looks AI-generated (likelihood {w.host.likelihood:.2f}) "
                    f"and no AI label is shown ({w.start:.0f}-{w.end:.0f}s)")
            found.append(self._finding("dh_undisclosed", "review", w.start, w.end, "video", said, w.host.likelihood,
                                       "likely_ai_no_label", snapshots, window=w))
        return found

    def _declared_without_screen(self, declared: tuple[Source, str], w: _Window, snapshots: Snapshots) -> list[Finding]:
        """No OCR: a declared host's label cannot be seen at all (as ``scan --no-screen``); told once."""
        if self._declared_told:
            return []
        self._declared_told = True
        source, why = declared
        return [self._finding("dh_undisclosed", "block", w.start, w.end, source, f"未见 AI 标识 no visible AI label "
                              f"while {why}", 0.95, "declared_without_label", snapshots, window=w)]

    # ---- the end

    def finish(self, snapshots: Snapshots = ()) -> list[Finding]:
        """The room is over: the last label gap and review period, and every face window still waiting."""
        if self._finished:
            return []
        self._finished = True
        found = self._gap(self._labels.pause(), snapshots)
        found += self._review(snapshots)
        return found + self._resolve(float("inf"), snapshots)

    def current(self) -> DigitalHumanResult:
        """The newest face window's judgement with the label and disclosures so far (for displays and evidence)."""
        return self._result(self._host)

    def _result(self, window: _Window | None) -> DigitalHumanResult:
        host = window.host if window is not None else None
        return DigitalHumanResult(
            judgement=host.judgement if host is not None else Judgement("not_judged", "no face window has ended yet"),
            view=host.view if host is not None else FaceView(0, 0, "unknown", None, None, False),
            likelihood=host.likelihood if host is not None else None,
            ai_likely=host is not None and host.ai_likely(self.options.threshold),
            signals=host.signals if host is not None else (),
            label=self._labels.coverage(),
            spoken=tuple(self._spoken),
            metadata=self._metadata,
            room=self.room,
            findings=(),
        )

    def _finding(
        self, category: str, risk: str, start: float, end: float, source: Source, text: str, confidence: float,
        rule: str, snapshots: Snapshots, live: dict[str, Any] | None = None, *, window: _Window | None = None,
    ) -> Finding:
        result = self._result(window or self._host)
        signals: dict[str, Any] = {**result.summary(), "options": options_used(self.options)}
        if window is not None:
            signals["face_window"] = [round(window.start, 3), round(window.end, 3)]
        if live is not None:
            signals["live"] = live
        return dh_finding(category, risk, start, end, source, text, confidence, rule, label=result.label,
                          signals=signals, snapshots=snapshots, stream=self.stream)
