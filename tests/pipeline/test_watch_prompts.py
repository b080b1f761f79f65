"""`watch` reads each room's speech with its vertical's prompt and names it in the room's findings and record."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from monitor.config import ScanOptions
from monitor.demo.bad_inputs import BadInputs
from monitor.detectors.digital_human import RoomMeta
from monitor.pipeline.engines import Engines
from monitor.pipeline.rescan import rescan
from monitor.pipeline.room_feed import RoomOrder
from monitor.pipeline.watch import watch
from monitor.results import RoomState
from monitor.sinks.jsonl import FindingAppender
from monitor.sources.batch import BatchSource
from monitor.store import Store


def test_each_room_is_heard_with_its_verticals_prompt_and_its_record_says_so(
    tmp_path: Path, bad: BadInputs, engines: Engines, options: ScanOptions
) -> None:
    room = str(bad.audio_only)
    out = tmp_path / "findings.jsonl"
    quiet = options.model_copy(update={"faces": False})
    with FindingAppender(out) as sink, Store.open(tmp_path / "store") as store:
        watch([room], quiet, engines, sink, store=store, room_meta={room: RoomMeta(vertical="茶叶")})
        found = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert found and {(f["provenance"]["asr_prompt"], f["provenance"]["vertical"]) for f in found} == {
            ("tea@1", "tea")}
        again: list[dict] = []
        items = [BatchSource(spec, stored_key=key) for key, spec in store.stored_sources()]
        strict = quiet.model_copy(update={"min_confidence": 0.01})
        rescan(items, strict, store, lambda spec, fs: again.extend(r for r, _ in fs), claims=engines.claims)
        assert again and {f["provenance"]["asr_prompt"] for f in again} == {"tea@1"}  # from the stored record


class _OneRoom:
    """A feed that hands the watch one room (as the service leases it), then stops the watch when it is over."""

    def __init__(self, order: RoomOrder, stop: threading.Event) -> None:
        self.order, self.stop, self.started, self.states = order, stop, False, {}

    def update(self, rooms: Mapping[str, RoomState], *,
               stopping: bool = False) -> tuple[Sequence[RoomOrder], Sequence[str]]:
        self.states.update(rooms)
        if any(state.finished for state in rooms.values()):
            self.stop.set()
        if self.started:
            return (), ()
        self.started = True
        return (self.order,), ()


def _fed(tmp_path: Path, room: str, vertical: str, engines: Engines, options: ScanOptions) -> tuple[
    list[dict], RoomState
]:
    out, stop = tmp_path / "findings.jsonl", threading.Event()
    feed = _OneRoom(RoomOrder("7:1", room, {"lease": {"room": 7, "epoch": 1}}, vertical=vertical), stop)
    with FindingAppender(out) as sink:
        watch([], options.model_copy(update={"faces": False}), engines, sink, feed=feed, stop=stop)
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()], feed.states["7:1"]


def test_a_leased_rooms_vertical_chooses_its_prompt_and_its_findings_say_so(
    tmp_path: Path, bad: BadInputs, engines: Engines, options: ScanOptions
) -> None:
    found, state = _fed(tmp_path, str(bad.audio_only), "茶叶", engines, options)
    assert state.error is None and not state.warnings
    assert found and {(f["provenance"]["asr_prompt"], f["provenance"]["vertical"]) for f in found} == {
        ("tea@1", "tea")}
    assert all(f["provenance"]["lease"] == {"room": 7, "epoch": 1} for f in found)


def test_a_leased_room_of_a_vertical_this_worker_does_not_know_is_read_with_the_default_and_says_so(
    tmp_path: Path, bad: BadInputs, engines: Engines, options: ScanOptions
) -> None:
    found, state = _fed(tmp_path, str(bad.audio_only), "火锅底料", engines, options)
    assert state.error is None
    assert any("未知的行业" in w and "默认提示" in w for w in state.warnings), state.warnings
    assert found and {f["provenance"]["vertical"] for f in found} == {"default"}
