"""The LLM judge on a live watch: findings wait for its opinion off the detection threads, never for long.

A live finding must reach the queue within seconds, and a CPU model takes many seconds per
answer. So each finding the judge takes (``review`` claims; ``block`` too with ``--judge-all``)
is asked on a small pool of its own, while detection and the other findings go on; the finding
is handed on when the answer comes, or as the rules made it when the call fails or times out
(``--judge-timeout``). When more findings wait for the judge than ``backlog``, the next ones
are handed on unjudged at once and counted as ``backlog`` failures, so a slow model delays no
finding by more than its timeout and never makes a queue that grows with the room's length.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from monitor.detectors.claims import ClaimEngine
from monitor.findings import Finding
from monitor.judge import Judge
from monitor.judge.run import eligible

__all__ = ["DEFAULT_BACKLOG", "LiveJudge"]

DEFAULT_BACKLOG = 32
"""Findings waiting for the judge (asked or queued) before the next ones go on unjudged."""

Handoff = Callable[[Finding], None]


class LiveJudge:
    """Asks the judge about each eligible finding on its own threads, then hands it on."""

    def __init__(self, judge: Judge, claims: ClaimEngine, backlog: int = DEFAULT_BACKLOG) -> None:
        self.judge, self._claims, self._backlog = judge, claims, backlog
        self._pool = ThreadPoolExecutor(max_workers=max(1, judge.options.concurrency),
                                        thread_name_prefix="livemon-live-judge")
        self._waiting = 0
        self._lock = threading.Lock()

    def submit(self, finding: Finding, hand_on: Handoff) -> None:
        """Hand ``finding`` on now if the judge does not take it, else once the judge has answered."""
        if not eligible(finding.category, finding.risk, self.judge.options.scope):
            hand_on(finding)
            return
        with self._lock:
            full = self._waiting >= self._backlog
            if not full:
                self._waiting += 1
        if full:
            self.judge.stats.count_asked(1)
            self.judge.stats.count_failure("backlog")
            hand_on(finding)
            return
        self._pool.submit(self._ask, finding, hand_on)

    def _ask(self, finding: Finding, hand_on: Handoff) -> None:
        try:
            descriptions = {finding.rule: self._claims.rule_description(finding.rule)}
            judged = self.judge.findings([finding], descriptions)[0]
        except Exception:  # noqa: BLE001 - the judge's own failures are counted inside; never lose the finding
            self.judge.stats.count_failure("error")
            judged = finding
        finally:
            with self._lock:
                self._waiting -= 1
        hand_on(judged)

    def close(self) -> None:
        """Wait for the findings with the judge (each bounded by the judge's timeout)."""
        self._pool.shutdown(wait=True)
