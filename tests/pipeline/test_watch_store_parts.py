"""`watch` into a store writes each room's record a part at a time while the room is watched, and each finding
as it is found: what a room holds in memory does not grow with how long it is watched, and a watch that stops
or crashes has already kept what it found.

The models are stand-ins (every utterance heard as one claim line, every frame read as one caption) so the test
is about what is kept and when, on the demo room's real audio and video.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.speed.watch_heap import HeardClaim, ReadCaption
from monitor.config import ScanOptions
from monitor.demo.truth import StreamTruth
from monitor.findings import Finding
from monitor.pipeline.engines import Engines, build_claim_engine
from monitor.pipeline.watch import WatchOptions, watch
from monitor.store import Store
from monitor.store.parts import RecordView

PART = 3
"""Items in each part of the watched room's record (small, so a 73 s room makes many parts)."""


def _record(store: Store) -> RecordView:
    [(key, _)] = store.stored_sources()
    stages = [store.load_stage(key, stage, stage_key) for stage, stage_key in store.newest_stage_keys(key).items()]
    return RecordView.joined([s.view(store.blobs) for s in stages if s is not None], store.blobs)


def test_a_watched_room_is_kept_in_parts_and_its_findings_as_found(
    store: Store, demo: tuple[Path, StreamTruth], options: ScanOptions,
) -> None:
    video, _ = demo
    engines = Engines(build_claim_engine(classifier="none"), HeardClaim(), ReadCaption())
    seen: list[tuple[str, set[str], set[str]]] = []
    """At each finding the sink got: its id, the ids of the findings in the store, the blobs in the store."""

    def sink(finding: Finding, snapshot: bytes | None) -> None:
        stored = {f["id"] for f in store.all_current_findings()}
        seen.append((finding.id, stored, set(store.blobs)))

    [state] = watch([str(video)], options.model_copy(update={"faces": False, "speaker_turns": False}), engines,
                    sink, WatchOptions(part_items=PART), store=store)
    assert state.error is None and state.utterances > PART and state.frames > PART

    assert seen, "the room gave no finding"
    assert all(found in stored for found, stored, _ in seen), "a finding reached the sink before the store"

    record = _record(store)
    for name in ("transcript", "frame_texts"):
        parts = record.parts.of(name).parts
        assert all(part.items <= PART for part in parts), name
        assert parts[0].blob in seen[-1][2], f"the {name} was not written while the room was watched"
    assert len(record.transcript()) == state.utterances
    assert len(record.frame_texts()) == state.frames
    whole = record.whole()  # what a rescan reads: every line heard and every frame read, once each
    assert whole.speech is not None and whole.screen is not None
    assert sorted(s.text for s in whole.speech.transcript) == sorted({s.text for s in whole.speech.transcript})
    assert len({f.time for f in whole.screen.frame_texts}) == len(whole.screen.frame_texts)

    [(key, _)] = store.stored_sources()
    [status] = [s for s in store.statuses(store.latest_run(key).key)]  # type: ignore[union-attr]
    stored = store.current_findings(key)
    assert status.status == "done" and status.findings == len(stored) == len({f for f, _, _ in seen})
    assert {f["id"] for f, _ in stored} == {f for f, _, _ in seen}
    assert all(blob is not None for f, blob in stored if f["evidence"].get("snapshot")), "a snapshot was lost"
