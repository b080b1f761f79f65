"""The judge as the composition root builds it once: client, prompt, cache and options, with stats over the run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from monitor.detectors.claims import ClaimHit
from monitor.findings import Finding, SecondOpinion
from monitor.judge.cache import VerdictCache
from monitor.judge.client import ChatClient
from monitor.judge.item import ItemSource, JudgeItem
from monitor.judge.policy import as_risk, decide
from monitor.judge.prompt import JudgePrompt
from monitor.judge.run import JudgeOptions, JudgeStats, eligible, judge_findings, opinion, second_opinions

__all__ = ["Judge"]


@dataclass(slots=True)
class Judge:
    """An LLM second opinion on findings (``livemon scan|rescan|check-text --judge URL --judge-model NAME``)."""

    client: ChatClient
    model: str
    prompt: JudgePrompt
    options: JudgeOptions = field(default_factory=JudgeOptions)
    cache: VerdictCache | None = None
    stats: JudgeStats = field(default_factory=JudgeStats)

    def close(self) -> None:
        """Close the client's connections and the cache."""
        close = getattr(self.client, "close", None)
        if close is not None:
            close()
        if self.cache is not None:
            self.cache.close()

    def key(self) -> dict[str, Any]:
        """What changes the judge's output (for a rescan's run key): model, prompt, scope, threshold."""
        return {"model": self.model, "prompt": self.prompt.id, "scope": self.options.scope,
                "min_confidence": self.options.min_confidence}

    def findings(self, findings: Sequence[Finding], descriptions: Mapping[str, str] | None = None) -> list[Finding]:
        """:func:`monitor.judge.run.judge_findings` with this judge's settings; stats add up over calls."""
        return judge_findings(findings, client=self.client, prompt=self.prompt, model=self.model,
                              options=self.options, stats=self.stats, cache=self.cache, descriptions=descriptions)

    def pending(self, records: Sequence[Mapping[str, Any]]) -> bool:
        """Whether stored findings (JSON objects) include one to judge that has no opinion yet (its call failed)."""
        return any(
            not (r.get("evidence") or {}).get("judge") and eligible(r.get("category", ""), r.get("risk", ""),
                                                                    self.options.scope)
            for r in records
        )

    def lines(
        self, lines: Sequence[str], hits: Sequence[Sequence[ClaimHit]], descriptions: Mapping[str, str],
        source: ItemSource,
    ) -> list[list[tuple[str, SecondOpinion | None]]]:
        """For ``check-text``: each hit's risk after the judge and the opinion (``None``: not judged or failed);
        a line's context is the line before and the line after it."""
        picked = [(i, j) for i, line_hits in enumerate(hits) for j, h in enumerate(line_hits)
                  if eligible(h.category, h.risk, self.options.scope)]
        items = []
        for i, j in picked:
            context = " / ".join(lines[max(0, i - 1) : i + 2]) if len(lines) > 1 else ""
            items.append(JudgeItem.from_hit(lines[i], hits[i][j], context, descriptions.get(hits[i][j].rule, ""),
                                            source))
        verdicts = second_opinions(items, client=self.client, prompt=self.prompt, model=self.model,
                                   stats=self.stats, cache=self.cache, concurrency=self.options.concurrency)
        out: list[list[tuple[str, SecondOpinion | None]]] = [[(h.risk, None) for h in line_hits] for line_hits in hits]
        for (i, j), verdict in zip(picked, verdicts, strict=True):
            if verdict is None:
                continue
            hit = hits[i][j]
            before = as_risk(hit.risk)
            after = decide(before, hit.category, verdict, self.options.min_confidence)
            self.stats.count_move(before, after)
            out[i][j] = (after, opinion(verdict, before, self.model, self.prompt))
        return out
