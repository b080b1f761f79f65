"""`watch --judge`: live findings carry the judge's opinion, and a slow or swamped judge loses none of them (nor
the record of a room kept while the watch goes on)."""

from __future__ import annotations

import gc
import json
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from fake_openai import fake_openai, verdict
from typer.testing import CliRunner

from monitor.cli import app
from monitor.config import ScanOptions
from monitor.demo.bad_inputs import BadInputs
from monitor.findings import Finding
from monitor.judge import build_judge
from monitor.judge.run import JudgeStats
from monitor.pipeline import watch as watch_module
from monitor.pipeline.engines import Engines
from monitor.pipeline.room_feed import RoomOrder
from monitor.pipeline.watch import WatchOptions, watch
from monitor.results import RoomState
from monitor.store import Store

runner = CliRunner()


def _watch(bad: BadInputs, options: ScanOptions, engines: Engines, url: str, tmp_path: Path, *,
           timeout: float = 30.0, backlog: int = 32) -> tuple[list[Finding], JudgeStats]:
    judge = build_judge(url, "test-model", judge_all=True, timeout=timeout, cache=tmp_path / "verdicts.sqlite")
    assert judge is not None
    written: list[Finding] = []
    try:
        watch([str(bad.video_only)], options, engines, lambda f, s: written.append(f),
              WatchOptions(judge_backlog=backlog), judge=judge)
    finally:
        judge.close()
    return written, judge.stats


def test_live_findings_carry_the_judges_opinion(
    bad: BadInputs, options: ScanOptions, engines: Engines, tmp_path: Path
) -> None:
    with fake_openai(verdict("violation", "price_fraud", 0.9, "虚构原价，违反《价格法》第十四条。")) as server:
        written, stats = _watch(bad, options, engines, server.url, tmp_path)
    assert written, "the sample's planted price claim is found"
    assert all(f.evidence.judge is not None and f.evidence.judge.verdict == "violation" for f in written)
    assert all(f.provenance["judge"]["model"] == "test-model" for f in written)
    assert len(server.requests) == stats.asked == len(written)


def test_a_judge_slower_than_its_timeout_holds_no_finding_back_and_loses_none(
    bad: BadInputs, options: ScanOptions, engines: Engines, tmp_path: Path
) -> None:
    with fake_openai(verdict(), delay=3.0) as server:
        written, stats = _watch(bad, options, engines, server.url, tmp_path, timeout=0.5)
    with fake_openai(verdict()) as server:
        plain, _ = _watch(bad, options, engines, server.url, tmp_path / "again")
    assert len(written) == len(plain) > 0
    assert all(f.evidence.judge is None for f in written), "as the rules made them"
    assert stats.failures["timeout"] == len(written)


def test_a_full_backlog_hands_findings_on_unjudged_and_counts_them(
    bad: BadInputs, options: ScanOptions, engines: Engines, tmp_path: Path
) -> None:
    with fake_openai(verdict()) as server:
        written, stats = _watch(bad, options, engines, server.url, tmp_path, backlog=0)
    assert written and not server.requests
    assert stats.failures["backlog"] == len(written)
    assert "积压未送审" in stats.describe()


def test_watch_command_takes_the_judge_and_prints_its_counts(bad: BadInputs, tmp_path: Path) -> None:
    out = tmp_path / "w.jsonl"
    with fake_openai(verdict("not_violation", "none", 0.9, "说的是天气，不是商品。")) as server:
        result = runner.invoke(app, ["watch", str(bad.video_only), "--out", str(out), "--no-speech",
                                     "--judge", server.url, "--judge-model", "test-model", "--judge-all"],
                               env={"LIVEMON_CACHE": str(tmp_path)})
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert records and all(r["evidence"]["judge"]["verdict"] == "not_violation" for r in records)
    assert "二审 judge" in result.output


class _OneRoomThenWait:
    """A feed that hands the watch one room, and once the room is over keeps the watch going until the room's
    record is kept and the watch holds the room no more (or a minute passes); notes what it saw of the store."""

    def __init__(self, spec: str, store: Store, stop: threading.Event) -> None:
        self.spec, self.store, self.stop = spec, store, stop
        self.started = False
        self.over_at: float | None = None
        self.kept: tuple[str, int] | None = None
        """(status, findings) of the room's run when its record was seen kept, the watch still running."""

    def update(self, rooms: Mapping[str, RoomState], *,
               stopping: bool = False) -> tuple[Sequence[RoomOrder], Sequence[str]]:
        if any(state.finished for state in rooms.values()) and self.over_at is None:
            self.over_at = time.monotonic()
        if self.over_at is not None and not stopping and self.kept is None:
            statuses = [s for key, _ in self.store.stored_sources() if (run := self.store.latest_run(key))
                        for s in self.store.statuses(run.key)]
            gc.collect()
            held = [o for o in gc.get_objects() if type(o) is watch_module._Room]
            if statuses and statuses[0].status == "done" and not held:
                self.kept = (statuses[0].status, statuses[0].findings)
            if self.kept is not None or time.monotonic() - self.over_at > 60:
                self.stop.set()
        if self.started:
            return (), ()
        self.started = True
        return (RoomOrder("1:1", self.spec),), ()


def test_a_fed_room_that_is_over_is_kept_once_its_judged_findings_are_written_and_then_let_go(
    bad: BadInputs, options: ScanOptions, engines: Engines, store: Store, tmp_path: Path
) -> None:
    written: list[Finding] = []
    stop = threading.Event()
    feed = _OneRoomThenWait(str(bad.video_only), store, stop)
    with fake_openai(verdict(), delay=0.5) as server:
        judge = build_judge(server.url, "test-model", judge_all=True, cache=tmp_path / "verdicts.sqlite")
        assert judge is not None
        try:
            watch([], options, engines, lambda f, s: written.append(f), feed=feed, stop=stop, store=store,
                  judge=judge)
        finally:
            judge.close()
    assert written and all(f.evidence.judge is not None for f in written), "every finding was judged"
    assert feed.kept is not None, "the watch went on, but the room's record was not kept or the room not let go"
    assert feed.kept == ("done", len({f.id for f in written})), "kept before its judged findings were all written"
