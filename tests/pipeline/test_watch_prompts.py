"""`watch` reads each room's speech with its vertical's prompt and names it in the room's findings and record."""

from __future__ import annotations

import json
from pathlib import Path

from monitor.config import ScanOptions
from monitor.demo.bad_inputs import BadInputs
from monitor.detectors.digital_human import RoomMeta
from monitor.pipeline.engines import Engines
from monitor.pipeline.rescan import rescan
from monitor.pipeline.watch import watch
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
