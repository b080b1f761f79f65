"""`watch` of a live room that loses its stream while its OCR is behind: the room reopens the stream at once
(its old connection's queued work is finished meanwhile), and the findings of both connections come out
complete and in order.

The room's OCR is held up on purpose: the first read that shows the pre-outage claim waits until the live
server has sent a segment after the outage (or gives up after ``HOLD_LIMIT_S``). A watch that waited for its
backlog before reopening would never fetch that segment while the read waits, so the read would give up.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence

import numpy as np
import pytest

from monitor.config import ScanOptions
from monitor.demo.live_hls import Caption, LiveHls, make_segments
from monitor.observations.ocr import OcrEngine
from monitor.observations.types import TextBox
from monitor.pipeline.engines import Engines
from monitor.pipeline.reconnect import ReconnectOptions
from monitor.pipeline.watch import WatchOptions, watch
from monitor.results import RoomState
from monitor.sinks.jsonl import FindingAppender

BEFORE = Caption("全网最低价", 1.0, 5.0)
AFTER = Caption("加V信 zb8888", 15.0, 21.0)
OUTAGE = (7.0, 12.0)
"""Seconds on the room's clock (it starts 4 s in) during which its server is down."""
HOLD_LIMIT_S = 40.0
"""How long the held read waits for a segment sent after the outage before it gives up (a safety net only)."""


class HeldOcr:
    """Reads with ``inner``; the first read showing ``marker`` waits until ``room`` has sent a segment after
    the outage, and notes whether it was let go by that segment or gave up."""

    def __init__(self, inner: OcrEngine, room: LiveHls, marker: str) -> None:
        self.inner, self.room, self.marker = inner, room, marker
        self.name = inner.name
        self.held = False
        self.let_go_by: str | None = None
        self.served_when_let_go: list[tuple[float, int]] = []

    def _after_outage(self) -> bool:
        return any(at >= OUTAGE[1] for at, _ in self.room.served_segments())

    def read(self, images: Sequence[np.ndarray]) -> list[tuple[TextBox, ...]]:
        boxes = self.inner.read(images)
        if not self.held and any(self.marker in box.text for lines in boxes for box in lines):
            self.held = True
            waited = threading.Event()
            for _ in range(int(HOLD_LIMIT_S / 0.1)):
                if self._after_outage():
                    break
                waited.wait(0.1)
            self.let_go_by = "the segment after the outage" if self._after_outage() else "giving up"
            self.served_when_let_go = self.room.served_segments()
        return boxes


@pytest.fixture(scope="module")
def backlogged(
    engines: Engines, options: ScanOptions, tmp_path_factory: pytest.TempPathFactory,
) -> tuple[list[RoomState], list[dict], HeldOcr, LiveHls]:
    folder = tmp_path_factory.mktemp("live_backlog")
    room = LiveHls(folder, make_segments(folder, 30.0, [BEFORE, AFTER]), outages=[OUTAGE])
    assert engines.ocr is not None
    held = HeldOcr(engines.ocr, room, "最低价")
    live = options.model_copy(update={
        "faces": False, "max_duration": 24.0, "reconnect_outage": 30.0, "stall_timeout": 4.0, "open_timeout": 4.0,
    })
    out = folder / "findings.jsonl"
    with FindingAppender(out) as sink:
        room.start()
        try:
            states = watch([room.url], live, Engines(engines.claims, None, held), sink,
                           WatchOptions(reconnect=ReconnectOptions(0.2, 1.0)))
        finally:
            room.stop()
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    return states, records, held, room


def test_a_lost_room_reopens_its_stream_without_waiting_for_its_backlog(backlogged: tuple) -> None:
    states, _, held, _ = backlogged
    assert held.held, "the pre-outage claim was never read"
    # the read was still waiting when the reopened connection fetched a segment published after the outage
    assert held.let_go_by == "the segment after the outage"
    assert states[0].error is None and states[0].reconnects >= 1


def test_findings_before_and_after_the_outage_come_out_complete_and_in_order(backlogged: tuple) -> None:
    _, records, _, _ = backlogged
    categories = [r["category"] for r in records]
    assert "absolute_terms" in categories and "traffic_diversion" in categories
    before = max(i for i, c in enumerate(categories) if c == "absolute_terms")
    after = min(i for i, c in enumerate(categories) if c == "traffic_diversion")
    assert before < after, "a finding of the first connection came out after one of the second"
    screen = [r for r in records if r["source"] == "screen"]
    assert [r["start"] for r in screen] == sorted(r["start"] for r in screen)
    first = next(r for r in records if r["category"] == "absolute_terms")
    last = next(r for r in records if r["category"] == "traffic_diversion")
    assert first["start"] < OUTAGE[0] - 2.0 < last["start"]
