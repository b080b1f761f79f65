"""The LLM judge on the claims test split: what a second opinion adds, and what it costs.

``python -m benchmarks.judge.evaluate --judge URL --judge-model NAME`` measures a platform's own
model (any OpenAI-compatible endpoint; the key from ``LIVEMON_JUDGE_KEY``);
``python -m benchmarks.judge.evaluate --local`` starts the small local model
(``./setup-judge.sh``: Qwen2.5-Coder-1.5B-Instruct on llama.cpp) for the run.

The claims engine (rules + the embedded classifier) checks every sentence; each ``review`` hit
is judged and the risk rules of :mod:`monitor.judge.policy` applied. Scored with the claims
benchmark's scoring (:mod:`benchmarks.claims.evaluate`; flagged = ``block`` or ``review``), with
and without the judge: micro F1, clean sentences flagged, and reviewer load (the share of
flagged findings left at ``review``). ``--sample N`` scores a seeded random sample of N records
(a small CPU model needs about a minute a finding on two busy cores); ``--misjudged`` also
judges every review hit of the split that is wrong (on a clean sentence, or of a category the
sentence is not labelled with), the cases a judge is for, reported apart from the scores.
Verdicts are cached (``monitor.judge.cache``): a rerun costs nothing and reports the cost the
calls had when they were made. Writes ``judge.json`` and ``judge.md`` to ``--out`` (``judge_asr.*`` for
``--condition asr``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

from benchmarks import RESULTS_DIR
from benchmarks.claims.asr_noisy import load_transcripts
from benchmarks.claims.corpus import SPLITS, Record, load_corpus
from benchmarks.claims.evaluate import companion_pairs, score
from monitor.detectors.claims import ClaimEngine, ClaimHit
from monitor.judge import JudgeItem, JudgePrompt, JudgeStats, OpenAIChatClient, VerdictCache, decide, second_opinions
from monitor.judge.cache import cache_key, default_cache_path
from monitor.judge.item import ItemSource
from monitor.judge.policy import DEFAULT_MIN_CONFIDENCE, as_risk
from monitor.judge.schema import Verdict

__all__ = ["main"]


def _texts(records: Sequence[Record], condition: str) -> tuple[list[Record], list[str]]:
    if condition == "clean":
        return list(records), [r.text for r in records]
    transcripts = load_transcripts(records)
    if not transcripts:
        raise SystemExit("no TTS → Whisper transcripts are cached: run `python -m benchmarks.claims.asr_noisy` first")
    kept = [r for r in records if r.id in transcripts]
    return kept, [transcripts[r.id] for r in kept]


def _correct(hit: ClaimHit, record: Record, companions: frozenset[frozenset[str]]) -> bool:
    """Whether the hit's category is right for the sentence (a label, or a companion of one)."""
    return hit.category in record.labels or any(frozenset((hit.category, lab)) in companions for lab in record.labels)


def _load(hits: Sequence[Sequence[ClaimHit]], risks: Sequence[Sequence[str]]) -> dict[str, Any]:
    flagged = [r for line in risks for r in line if r != "pass"]
    review = sum(1 for r in flagged if r == "review")
    return {"flagged": len(flagged), "review": review, "block": len(flagged) - review,
            "reviewer_load": round(review / len(flagged), 4) if flagged else 0.0}


def _scores(records: Sequence[Record], hits: Sequence[Sequence[ClaimHit]], risks: Sequence[Sequence[str]],
            companions: frozenset[frozenset[str]]) -> dict[str, Any]:
    predicted = [{h.category for h, r in zip(line, rs, strict=True) if r != "pass"} for line, rs in zip(hits, risks,
                                                                                                         strict=True)]
    s = score([r.labels for r in records], predicted, companions)
    return {"micro": s.micro.as_dict(), "clean_flagged": s.clean_flagged, "clean_total": s.clean_total,
            "clean_flag_rate": round(s.clean_flag_rate, 4), **_load(hits, risks)}


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--judge", help="OpenAI-compatible endpoint, e.g. http://host:8000/v1")
    target.add_argument("--local", action="store_true", help="start the local llama.cpp model (./setup-judge.sh)")
    parser.add_argument("--judge-model", help="the model the endpoint serves")
    parser.add_argument("--judge-format", default="json_schema", choices=("json_schema", "json_object", "none"))
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for one answer")
    parser.add_argument("--split", default="test", choices=SPLITS)
    parser.add_argument("--condition", default="clean", choices=("clean", "asr"))
    parser.add_argument("--sample", type=int, help="score a seeded random sample of this many records")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--misjudged", action="store_true", help="also judge every wrong review hit of the split")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)

    from monitor.pipeline.engines import build_claim_engine

    every, texts = _texts(load_corpus(args.split), args.condition)
    source: ItemSource = "speech" if args.condition == "asr" else "text"
    engine: ClaimEngine = build_claim_engine()
    all_hits = engine.check_many(texts, "speech" if source == "speech" else "text")
    rows = list(range(len(every)))
    if args.sample:
        rows = sorted(random.Random(args.seed).sample(rows, min(args.sample, len(rows))))
    companions = companion_pairs([*load_corpus("train"), *load_corpus("dev")])
    records, hits = [every[i] for i in rows], [all_hits[i] for i in rows]
    picked = [(i, j) for i, line in enumerate(hits) for j, h in enumerate(line) if h.risk == "review"]
    wrong = [(every[i], h) for i in range(len(every)) if i not in set(rows) for h in all_hits[i]
             if h.risk == "review" and not _correct(h, every[i], companions)] if args.misjudged else []

    prompt = JudgePrompt.load()
    items = [JudgeItem.from_hit(texts[rows[i]], hits[i][j], "", engine.rule_description(hits[i][j].rule), source)
             for i, j in picked]
    items += [JudgeItem.from_hit(texts[every.index(r)], h, "", engine.rule_description(h.rule), source)
              for r, h in wrong]
    stats, cache = JudgeStats(), VerdictCache(default_cache_path())
    with ExitStack() as stack:
        url, model, fmt, threads = args.judge, args.judge_model, args.judge_format, None
        if args.local:
            from benchmarks.judge.llama_server import MODEL_NAME, LlamaServer

            server = stack.enter_context(LlamaServer())
            url, model, fmt, threads = server.url, MODEL_NAME, "json_object", server.threads
        if not model:
            parser.error("--judge needs --judge-model")
        client = stack.enter_context(OpenAIChatClient(
            url, model, key=os.environ.get("LIVEMON_JUDGE_KEY"), response_format=fmt,
            timeout=httpx.Timeout(args.timeout, connect=5.0),
        ))
        started = time.perf_counter()
        verdicts = second_opinions(items, client=client, prompt=prompt, model=model, stats=stats, cache=cache,
                                   concurrency=1 if args.local else args.concurrency)
        wall = time.perf_counter() - started
    costs = [cache.get(cache_key(it, prompt, model)) for it in items]
    cache.close()

    risks = [[h.risk for h in line] for line in hits]
    judged: list[dict[str, Any]] = []
    for n, (item, verdict) in enumerate(zip(items, verdicts, strict=True)):
        if n < len(picked):
            i, j = picked[n]
            record, hit = records[i], hits[i][j]
            if verdict is not None:
                risks[i][j] = decide(as_risk(hit.risk), hit.category, verdict)
        else:
            record, hit = wrong[n - len(picked)]
        judged.append(_row(record, hit, item, verdict, companions, costs[n], part="sample" if n < len(picked)
                           else "misjudged"))
    result = {
        "command": "python -m benchmarks.judge.evaluate " + " ".join(argv if argv is not None else sys.argv[1:]),
        "model": model, "endpoint": "local llama.cpp (./setup-judge.sh)" if args.local else "given",
        "server_threads": threads, "prompt": prompt.id, "split": args.split, "condition": args.condition,
        "records": len(records), "split_records": len(every), "sample_seed": args.seed if args.sample else None,
        "min_confidence": DEFAULT_MIN_CONFIDENCE,
        "without_judge": _scores(records, hits, [[h.risk for h in line] for line in hits], companions),
        "with_judge": _scores(records, hits, risks, companions),
        "stats": stats.as_dict(), "wall_seconds": round(wall, 1), "load_average": os.getloadavg(),
        "cost": _cost(costs), "findings": judged,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    stem = "judge" if args.condition == "clean" else f"judge_{args.condition}"  # the clean figures are kept
    (args.out / f"{stem}.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (args.out / f"{stem}.md").write_text(_markdown(result), encoding="utf-8")
    print(_markdown(result))
    return result


def _row(record: Record, hit: ClaimHit, item: JudgeItem, verdict: Verdict | None,
         companions: frozenset[frozenset[str]], cost: Any, part: str) -> dict[str, Any]:
    return {
        "part": part, "id": record.id, "text": item.text, "labels": list(record.labels), "category": hit.category,
        "rule": hit.rule, "truth": "violation" if _correct(hit, record, companions) else "not_violation",
        "verdict": verdict.model_dump() if verdict is not None else None,
        "risk_after": decide(as_risk(hit.risk), hit.category, verdict) if verdict is not None else hit.risk,
        "seconds": cost.seconds if cost is not None else None,
        "tokens": cost.prompt_tokens + cost.completion_tokens if cost is not None else None,
        "completion_tokens": cost.completion_tokens if cost is not None else None,
    }


def _cost(costs: Sequence[Any]) -> dict[str, float]:
    known = [c for c in costs if c is not None]
    if not known:
        return {}
    n = len(known)
    return {"calls": n, "seconds_per_finding": round(sum(c.seconds for c in known) / n, 2),
            "prompt_tokens_per_finding": round(sum(c.prompt_tokens for c in known) / n, 1),
            "completion_tokens_per_finding": round(sum(c.completion_tokens for c in known) / n, 1)}


def _markdown(r: dict[str, Any]) -> str:
    lines = [
        f"# The LLM judge on the claims {r['split']} split ({r['condition']})", "",
        f"`{r['command']}`", "",
        f"Model `{r['model']}` ({r['endpoint']}), prompt `{r['prompt']}`, "
        f"{r['records']} of {r['split_records']} records"
        + (f" (random sample, seed {r['sample_seed']})" if r["sample_seed"] is not None else "")
        + f"; verdicts under confidence {r['min_confidence']} move nothing.", "",
        "| | micro P | micro R | micro F1 | clean flagged | flagged | left at review (reviewer load) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in ("without_judge", "with_judge"):
        s = r[name]
        m = s["micro"]
        lines.append(f"| {name.replace('_', ' ')} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | "
                     f"{s['clean_flag_rate']:.1%} ({s['clean_flagged']}/{s['clean_total']}) | {s['flagged']} | "
                     f"{s['review']} ({s['reviewer_load']:.1%}) |")
    st, cost = r["stats"], r["cost"]
    lines += ["", f"Judge calls: {st['asked']} asked, {st['judged']} answered, {st['failed']} failed "
              f"{st['failures'] or ''}; verdicts {st['verdicts']}.",
              f"Cost per judged finding: {cost.get('seconds_per_finding', 'n/a')} s, "
              f"{cost.get('prompt_tokens_per_finding', 'n/a')} prompt + "
              f"{cost.get('completion_tokens_per_finding', 'n/a')} completion tokens "
              f"(llama.cpp threads: {r['server_threads']}; load average at the end {r['load_average'][0]:.1f}).", ""]
    for part, title in (("sample", "Judged findings of the sample"),
                        ("misjudged", "Review hits the engine got wrong (rest of the split)")):
        rows = [f for f in r["findings"] if f["part"] == part]
        if not rows:
            continue
        agree = Counter((f["truth"], (f["verdict"] or {}).get("verdict", "failed")) for f in rows)
        cited = sum(1 for f in rows if f["verdict"] and "《" in f["verdict"]["rationale"])
        lines += [f"## {title}", "", "| truth \\ verdict | violation | not_violation | unsure | failed |",
                  "|---|---:|---:|---:|---:|"]
        for truth in ("violation", "not_violation"):
            lines.append(f"| {truth} | " + " | ".join(str(agree[(truth, v)]) for v in
                                                       ("violation", "not_violation", "unsure", "failed")) + " |")
        lines += ["", f"Rationales citing a law (《…》): {cited} of {len(rows)}.", "",
                  "| id | category | truth | verdict | conf. | risk after | s | rationale |",
                  "|---|---|---|---|---:|---|---:|---|"]
        for f in rows:
            v = f["verdict"] or {}
            lines.append(f"| {f['id']} | {f['category']} | {f['truth']} | {v.get('verdict', 'failed')} | "
                         f"{v.get('confidence', '')} | {f['risk_after']} | {f['seconds']} | "
                         f"{v.get('rationale', '').replace('|', '/')} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
