"""`watch` on a slow, flaky or dead finding sink: a slow or flaky one gets every finding, once;
a dead one loses nothing silently (the finding is logged whole and its room says so)."""

from __future__ import annotations

import logging
import time

import pytest

from monitor.config import ScanOptions
from monitor.demo.bad_inputs import BadInputs
from monitor.findings import Finding
from monitor.pipeline import watch as watch_module
from monitor.pipeline.engines import Engines
from monitor.pipeline.watch import watch


def test_a_slow_and_flaky_sink_gets_every_finding_once(
    bad: BadInputs, engines: Engines, options: ScanOptions, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(watch_module, "SINK_RETRY_WAITS", (0.01, 0.01, 0.01))
    calls: dict[str, int] = {}
    written: list[str] = []

    def flaky(finding: Finding, snapshot: bytes | None) -> None:
        time.sleep(0.3)  # slower than the claims worker
        calls[finding.id] = calls.get(finding.id, 0) + 1
        if calls[finding.id] <= 2:
            raise OSError("disk busy")
        written.append(finding.id)

    rooms = watch([str(bad.video_only)], options, engines, flaky)
    assert written and len(written) == len(set(written)) == len(calls)
    assert rooms[0].findings == len(written)
    assert not [w for w in rooms[0].warnings if "could not be written" in w]


def test_a_dead_sink_logs_each_finding_whole_and_the_room_says_so(
    bad: BadInputs, engines: Engines, options: ScanOptions, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(watch_module, "SINK_RETRY_WAITS", (0.01,))

    def dead(finding: Finding, snapshot: bytes | None) -> None:
        raise OSError("no space left on device")

    with caplog.at_level(logging.ERROR, logger="monitor.pipeline.watch"):
        rooms = watch([str(bad.video_only)], options, engines, dead)
    assert rooms[0].findings >= 1
    assert sum("could not be written (no space left on device)" in w for w in rooms[0].warnings) == rooms[0].findings
    logged = [r.getMessage() for r in caplog.records if "finding not written" in r.getMessage()]
    assert len(logged) == rooms[0].findings and all('"category": "price_fraud"' in m for m in logged)
