"""Datasets, their generators and the runners that measure livemon's accuracy, speed and cost."""

from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"
"""Where benchmark runs write the figures the README quotes (JSON and Markdown)."""


def write_results(stem: Path, result: object, markdown: str) -> None:
    """Write a run's figures as ``stem.json`` and its table as ``stem.md``."""
    import json

    stem.parent.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(".json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    stem.with_suffix(".md").write_text(markdown, encoding="utf-8")
