"""The judge as a post-step of the detectors: findings (and an injected client) in, findings out.

:func:`second_opinions` asks the model about items, through the cache, ``concurrency`` at a
time; any failure is counted in :class:`JudgeStats` and yields ``None``. :func:`judge_findings`
picks the findings to judge, asks, and applies :func:`monitor.judge.policy.decide`: a judged
finding gets the opinion in its evidence and the judge's model and prompt in its provenance; a
finding whose call failed is returned exactly as it was.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from monitor.errors import JUDGE_FAILURES, JudgeError
from monitor.findings import CLAIM_CATEGORIES, Finding, Risk, SecondOpinion
from monitor.judge.cache import CachedVerdict, VerdictCache, cache_key
from monitor.judge.client import ChatClient
from monitor.judge.item import JudgeItem
from monitor.judge.policy import DEFAULT_MIN_CONFIDENCE, decide
from monitor.judge.prompt import JudgePrompt
from monitor.judge.schema import Verdict, parse_verdict

__all__ = ["JudgeOptions", "JudgeStats", "eligible", "judge_findings", "opinion", "second_opinions"]

FAILURE_ZH = {
    "unreachable": "连不上", "timeout": "超时", "http": "HTTP 错误", "malformed": "格式错误",
    "refusal": "拒答", "schema": "不合 schema", "backlog": "积压未送审", "error": "内部错误",
}


@dataclass(frozen=True, slots=True)
class JudgeOptions:
    """How the judge runs; recorded (but for ``concurrency``) in the rescan's run key."""

    scope: Literal["review", "all"] = "review"
    """``review``: judge only ``review`` findings; ``all``: ``block`` ones too (their risk never drops)."""
    min_confidence: float = DEFAULT_MIN_CONFIDENCE
    """Verdicts less sure than this change no risk (their rationale is still shown)."""
    concurrency: int = 4
    """Calls in flight at once."""

    def __post_init__(self) -> None:
        if self.scope not in ("review", "all"):
            raise ValueError(f"scope must be 'review' or 'all', got {self.scope!r}")
        if not 0.0 <= self.min_confidence <= 1.0:
            raise ValueError(f"min_confidence must be within [0, 1], got {self.min_confidence}")
        if self.concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {self.concurrency}")


@dataclass(slots=True)
class JudgeStats:
    """What the judge did over a run (thread-safe); failures by kind, never lost."""

    asked: int = 0
    judged: int = 0
    cached: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)
    moved: Counter[str] = field(default_factory=Counter)
    """``review→block``, ``review→pass``."""
    failures: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def failed(self) -> int:
        return sum(self.failures.values())

    def count_asked(self, n: int) -> None:
        with self._lock:
            self.asked += n

    def count_call(self, entry: CachedVerdict, cached: bool) -> None:
        with self._lock:
            self.judged += 1
            self.verdicts[entry.verdict.verdict] += 1
            if cached:
                self.cached += 1
            else:
                self.seconds += entry.seconds
                self.prompt_tokens += entry.prompt_tokens
                self.completion_tokens += entry.completion_tokens

    def count_failure(self, kind: str) -> None:
        with self._lock:
            self.failures[kind] += 1

    def count_move(self, before: Risk, after: Risk) -> None:
        if before != after:
            with self._lock:
                self.moved[f"{before}→{after}"] += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "asked": self.asked, "judged": self.judged, "cached": self.cached, "failed": self.failed,
            "verdicts": dict(self.verdicts), "moved": dict(self.moved),
            "failures": {kind: self.failures[kind] for kind in JUDGE_FAILURES if self.failures[kind]},
            "seconds": round(self.seconds, 3), "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
        }

    def describe(self) -> str:
        """One line for the terminal, Chinese first."""
        fresh = self.judged - self.cached
        line = (f"二审 judge: 送审 {self.asked} 条, 有结论 {self.judged} 条 (缓存 {self.cached}), "
                f"拦截 {self.moved['review→block']} 条, 放行 {self.moved['review→pass']} 条, 失败 {self.failed} 条")
        if self.failed:
            kinds = ", ".join(f"{FAILURE_ZH[k]} {n}" for k, n in sorted(self.failures.items()))
            line += f" ({kinds}; 这些发现保持原样 left as they were)"
        if fresh:
            line += (f"; {self.seconds / fresh:.1f} s, {(self.prompt_tokens + self.completion_tokens) / fresh:.0f} "
                     "tokens per call")
        return line


def second_opinions(
    items: Sequence[JudgeItem],
    *,
    client: ChatClient,
    prompt: JudgePrompt,
    model: str,
    stats: JudgeStats,
    cache: VerdictCache | None = None,
    concurrency: int = 4,
) -> list[Verdict | None]:
    """The model's verdict on each item (``None`` where the call failed: counted in ``stats``)."""

    def one(item: JudgeItem) -> Verdict | None:
        key = cache_key(item, prompt, model)
        found = cache.get(key) if cache is not None else None
        if found is not None:
            stats.count_call(found, cached=True)
            return found.verdict
        try:
            reply = client.complete(prompt.messages(item), prompt.schema)
            verdict = parse_verdict(reply.content)
        except JudgeError as e:
            stats.count_failure(e.kind)
            return None
        entry = CachedVerdict(verdict, reply.prompt_tokens, reply.completion_tokens, reply.seconds)
        if cache is not None:
            cache.put(key, entry)
        stats.count_call(entry, cached=False)
        return verdict

    stats.count_asked(len(items))
    if concurrency <= 1 or len(items) <= 1:
        return [one(item) for item in items]
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="livemon-judge") as pool:
        return list(pool.map(one, items))


def eligible(category: str, risk: str, scope: str) -> bool:
    """Whether a finding is judged: a claim category at ``review`` (with scope ``all``, at ``block`` too)."""
    return category in CLAIM_CATEGORIES and (risk == "review" or (scope == "all" and risk == "block"))


def opinion(verdict: Verdict, risk_before: Risk, model: str, prompt: JudgePrompt) -> SecondOpinion:
    return SecondOpinion(
        verdict=verdict.verdict, category=verdict.category, rationale=verdict.rationale,
        confidence=verdict.confidence, model=model, prompt_version=prompt.id, risk_before=risk_before,
    )


def judge_findings(
    findings: Sequence[Finding],
    *,
    client: ChatClient,
    prompt: JudgePrompt,
    model: str,
    options: JudgeOptions = JudgeOptions(),
    stats: JudgeStats | None = None,
    cache: VerdictCache | None = None,
    descriptions: Mapping[str, str] | None = None,
) -> list[Finding]:
    """``findings`` in the same order, the judged ones with the judge's opinion and the risk it allows."""
    stats = stats if stats is not None else JudgeStats()
    picked = [i for i, f in enumerate(findings) if eligible(f.category, f.risk, options.scope)]
    items = [JudgeItem.from_finding(findings[i], descriptions or {}) for i in picked]
    verdicts = second_opinions(items, client=client, prompt=prompt, model=model, stats=stats, cache=cache,
                               concurrency=options.concurrency)
    out = list(findings)
    for i, verdict in zip(picked, verdicts, strict=True):
        if verdict is None:
            continue
        finding = findings[i]
        risk = decide(finding.risk, finding.category, verdict, options.min_confidence)
        stats.count_move(finding.risk, risk)
        out[i] = replace(
            finding, risk=risk,
            evidence=replace(finding.evidence, judge=opinion(verdict, finding.risk, model, prompt)),
            provenance={**finding.provenance, "judge": {"model": model, "prompt": prompt.id}},
        )
    return out
