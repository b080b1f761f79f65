"""``livemon eval`` outputs: JSON, a Markdown table and a PNG of per-category precision and recall."""

from __future__ import annotations

import json
from pathlib import Path

from monitor.evaluation.score import EvalResult
from monitor.sinks.labels import CATEGORY_ZH

__all__ = ["write_eval"]


def _cell(value: object) -> str:
    return "–" if value is None else str(value)


def markdown(result: EvalResult) -> str:
    rows = [
        f"| {CATEGORY_ZH.get(c, c)} `{c}` | {s['truth']} | {s['found']} | {s['findings']} | {_cell(s['precision'])} | "
        f"{_cell(s['recall'])} | {_cell(s['f1'])} |"
        for c, s in result.by_category.items()
    ]
    sources = [
        f"| {source} | {s['truth']} | {s['found']} | {s['findings']} | {_cell(s['precision'])} | {_cell(s['recall'])} |"
        for source, s in result.by_source.items()
    ]
    m, clean, timing = result.micro, result.clean, result.timing
    return "\n".join([
        f"# livemon eval: {result.streams} labelled stream(s)",
        "",
        f"Micro: precision {_cell(m['precision'])}, recall {_cell(m['recall'])}, F1 {_cell(m['f1'])} "
        f"({m['found']} of {m['truth']} labelled claims found; {m['correct']} of {m['findings']} findings correct).",
        f"Clean segments flagged: {clean['flagged']} of {clean['segments']}. Finding start minus claim start: "
        f"median |offset| {_cell(timing['median_abs_offset_s'])} s, p95 {_cell(timing['p95_abs_offset_s'])} s.",
        "",
        "| 类别 category | labelled | found | findings | precision | recall | F1 |",
        "|---|---|---|---|---|---|---|",
        *rows,
        "",
        "| source | labelled | found | findings | precision | recall |",
        "|---|---|---|---|---|---|",
        *sources,
        "",
    ])


def _plot(result: EvalResult, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    categories = list(result.by_category)
    precision = [result.by_category[c]["precision"] or 0.0 for c in categories]
    recall = [result.by_category[c]["recall"] or 0.0 for c in categories]
    figure, axes = plt.subplots(figsize=(max(6.0, 0.9 * len(categories) + 2), 4))
    x = range(len(categories))
    axes.bar([i - 0.2 for i in x], precision, width=0.4, label="precision")
    axes.bar([i + 0.2 for i in x], recall, width=0.4, label="recall")
    axes.set_xticks(list(x), categories, rotation=30, ha="right")
    axes.set_ylim(0, 1.05)
    axes.set_title(f"livemon eval: {result.streams} stream(s), micro F1 {result.micro['f1']}")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def write_eval(result: EvalResult, folder: Path) -> list[Path]:
    """``eval.json``, ``eval.md`` and ``eval.png`` in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "eval.json", folder / "eval.md", folder / "eval.png"]
    paths[0].write_text(json.dumps(result.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
    paths[1].write_text(markdown(result), encoding="utf-8")
    _plot(result, paths[2])
    return paths
