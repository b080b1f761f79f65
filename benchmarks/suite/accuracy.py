"""Accuracy: the claims corpus (through ``benchmarks.claims.evaluate`` when present) and digital-human clips."""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
from pathlib import Path
from typing import Any

from benchmarks.suite.context import SuiteContext
from benchmarks.suite.report import Section, Table

__all__ = ["accuracy_section", "claims_accuracy", "digital_human_accuracy"]

_CLAIMS_MODULE = "benchmarks.claims.evaluate"
_CONDITIONS = ("clean", "asr")
_KEEP = ("condition", "split", "records", "split_records", "engine_version")
_SYSTEM_KEEP = ("micro", "strict_micro", "clean_flag_rate", "clean_flagged", "clean_total", "per_category")


def _summary(result: dict[str, Any]) -> dict[str, Any]:
    """The evaluation's figures without its error examples (those stay in its own files)."""
    systems = {name: {k: s[k] for k in _SYSTEM_KEEP if k in s} for name, s in result["systems"].items()}
    return {"status": "ok", **{k: result[k] for k in _KEEP if k in result}, "systems": systems}


def claims_accuracy(out: Path) -> dict[str, Any]:
    """``benchmarks.claims.evaluate`` on the test split, clean text and through ASR: rules alone, rules +
    classifier (what the scan runs by default) and the classifier alone.

    Its own JSON and Markdown go to ``out``. A condition it cannot score (no ASR
    transcripts yet) or a missing module is reported as not available, with the reason.
    """
    if importlib.util.find_spec(_CLAIMS_MODULE) is None:
        return {"status": "not available", "reason": "benchmarks/claims/evaluate.py does not exist"}
    evaluate = importlib.import_module(_CLAIMS_MODULE).main
    out.mkdir(parents=True, exist_ok=True)
    conditions: dict[str, Any] = {}
    for condition in _CONDITIONS:
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # it prints its table; the suite has its own
                args = ["--condition", condition, "--with-classifier", "--out", str(out)]
                conditions[condition] = _summary(evaluate(args))
        except SystemExit as e:  # its CLI exits when a condition has no texts
            conditions[condition] = {"status": "not available", "reason": str(e)}
    return {"status": "ok", "conditions": conditions}


def digital_human_accuracy(ctx: SuiteContext) -> dict[str, Any]:
    """``benchmarks.digital_human`` on the planned seeds and conditions, with the suite's OCR engine."""
    from benchmarks.digital_human.run import evaluate, summarise
    from benchmarks.digital_human.scenario import all_scenarios
    from monitor.detectors.digital_human import DigitalHumanOptions

    options = DigitalHumanOptions()
    wanted = ctx.plan.dh_conditions
    scenarios = [s for s in all_scenarios(ctx.plan.dh_seeds) if wanted is None or s.condition in wanted]
    outcomes = []
    for i, scenario in enumerate(scenarios):
        ctx.hook("accuracy", i, len(scenarios))
        outcomes.append(evaluate(scenario, ctx.engines.ocr, options))  # type: ignore[arg-type]
    summary = summarise(outcomes, options.threshold)
    summary["per_condition"] = {c: v for c, v in summary["per_condition"].items() if v["total"]}
    return {"status": "ok", "seeds": list(ctx.plan.dh_seeds), **summary}


def _claims_table(claims: dict[str, Any]) -> Table:
    rows = []
    for condition, c in claims["conditions"].items():
        if c["status"] != "ok":
            rows.append((condition, "-", "-", "-", "-", "-", "-", f"not available: {c['reason']}"))
            continue
        for name, s in c["systems"].items():
            m = s["micro"]
            rows.append((
                condition, name, f"{c['records']}/{c['split_records']}", f"{m['precision']:.3f}", f"{m['recall']:.3f}",
                f"{m['f1']:.3f}", f"{s['strict_micro']['f1']:.3f}", f"{s['clean_flag_rate']:.1%}",
            ))
    columns = ("condition", "system", "records", "micro P", "micro R", "micro F1", "strict F1", "clean flagged")
    return Table("Claims corpus, test split (benchmarks.claims.evaluate)", columns, tuple(rows))


def _tables(claims: dict[str, Any], dh: dict[str, Any]) -> tuple[Table, ...]:
    tables = [_claims_table(claims)] if claims["status"] == "ok" else []
    rows = [(c, f"{v['correct']}/{v['total']}") for c, v in dh["per_condition"].items()]
    rows.append(("all", f"{dh['accuracy']:.0%}"))
    tables.append(Table("Digital-human findings correct, per label condition", ("condition", "correct"), tuple(rows)))
    signals = tuple(
        (name, "n/a" if v is None else f"{v:.2f}") for name, v in dh["per_signal_balanced_accuracy"].items()
    )
    tables.append(Table("Digital-human signals: balanced accuracy, avatar vs human", ("signal", "value"), signals))
    return tuple(tables)


def accuracy_section(ctx: SuiteContext) -> Section:
    claims = claims_accuracy(ctx.out / "claims")
    dh = digital_human_accuracy(ctx)
    notes = [f"digital human: {len(dh['clips'])} synthetic clips (seeds {dh['seeds']}), threshold {dh['threshold']}"]
    if claims["status"] != "ok":
        notes.append(f"claims accuracy: not available: {claims['reason']}")
    else:
        notes.append(f"claims: the evaluation's own reports (with error examples) are in {ctx.out / 'claims'}")
    return Section("accuracy", "ok", {"claims": claims, "digital_human": dh}, _tables(claims, dh), tuple(notes))
