"""A finding's wall-clock time is added without changing what older outputs hold."""

from __future__ import annotations

from dataclasses import replace

from monitor.findings import Finding
from monitor.service.models import FindingIn


def test_wall_time_is_written_only_when_known_and_leaves_the_id_alone() -> None:
    scanned = Finding("absolute_terms", "block", 12.0, 15.0, "screen", "全网最低价", 0.9, "广告法", stream="room.mp4")
    watched = replace(scanned, wall_time="2026-12-01T07:48:13.155+00:00")
    assert "wall_time" not in scanned.to_dict()
    record = watched.to_dict()
    assert record["wall_time"] == "2026-12-01T07:48:13.155+00:00" and record["start"] == 12.0
    assert watched.id == scanned.id
    assert FindingIn.model_validate(record).model_dump()["wall_time"] == record["wall_time"]
