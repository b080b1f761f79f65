"""The room-scan benchmark's summary: medians, ranges, CPU per stream second and stage shares."""

from __future__ import annotations

import pytest

pytest.importorskip("skimage")
from benchmarks.speed.room_scan_speed import _summary  # noqa: E402


def _run(wall: float, cpu: float, faces: float) -> dict[str, object]:
    stats = {"stream_seconds": 60.0, "wall_seconds": wall, "decode_seconds": 4.0, "faces_seconds": faces,
             "ocr_seconds": 2.0, "ocr_frames": 10, "sampled_frames": 60}
    return {"stats": stats, "cpu_seconds": cpu, "findings": 7, "dh_judgement": "judged", "face_view": None,
            "load_average": 1.0}


def test_summary_takes_medians_and_the_median_runs_stages() -> None:
    summary = _summary([_run(20.0, 30.0, 9.0), _run(12.0, 21.0, 8.0), _run(15.0, 24.0, 10.0)])
    assert summary["x_realtime_median"] == 4.0 and summary["x_realtime_range"] == [3.0, 5.0]
    assert summary["cpu_seconds_per_stream_second"] == 0.4
    assert summary["stage_seconds"] == {"decode": 4.0, "faces": 10.0, "ocr": 2.0}
    assert summary["stage_share_of_wall"] == {"decode": 0.27, "faces": 0.67, "ocr": 0.13}
    assert summary["findings"] == [7]
