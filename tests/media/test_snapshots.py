"""Frame snapshots for evidence: small JPEGs, and a live room keeps only the newest."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from monitor.media.snapshots import SNAPSHOT_WIDTH, SnapshotStore
from monitor.media.types import SampledFrame


def _frame(i: int) -> SampledFrame:
    return SampledFrame(float(i), i, np.full((720, 1280, 3), i % 255, np.uint8))


def test_snapshots_are_small_jpegs_named_by_frame(tmp_path: Path) -> None:
    store = SnapshotStore(prefix="room3_")
    name = store.add(_frame(7))
    assert name == "room3_frame_000007_000007.00s.jpg" and store.index == [(7.0, name)]
    path = store.write(tmp_path)[name]
    assert cv2.imread(str(path)).shape[1] == SNAPSHOT_WIDTH


def test_a_limited_store_keeps_only_the_newest() -> None:
    store = SnapshotStore(limit=3)
    names = [store.add(_frame(i)) for i in range(10)]
    assert [n for _, n in store.index] == names[-3:]
    assert set(store.images) == set(names[-3:])


def test_a_spilled_store_keeps_pictures_on_disk_until_the_findings_pick_theirs(tmp_path: Path) -> None:
    spill = tmp_path / "spill"
    store = SnapshotStore(spill=spill)
    names = [store.add(_frame(i)) for i in range(5)]
    assert sorted(p.name for p in spill.iterdir()) == sorted(names)
    in_memory = SnapshotStore()
    for i in range(5):
        in_memory.add(_frame(i))
    assert dict(store.images) == dict(in_memory.images)  # the same JPEGs, read back from disk
    store.keep_only({names[1], names[3]})
    assert sorted(p.name for p in spill.iterdir()) == sorted([names[1], names[3]])  # kept on disk, not in memory
    assert set(store.images) == {names[1], names[3]}
    assert store.images[names[3]] == in_memory.images[names[3]]
    written = store.write(tmp_path / "evidence")
    assert written[names[1]].read_bytes() == in_memory.images[names[1]]
    del store
    assert not spill.exists()  # the folder goes with the store
