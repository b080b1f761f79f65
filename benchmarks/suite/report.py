"""Section results and their rendering: ``results.json`` and ``results.md``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = ["Section", "Status", "Table", "markdown", "ratio", "write_json", "write_markdown"]

Status = Literal["ok", "not available", "failed"]


@dataclass(frozen=True, slots=True)
class Table:
    """One Markdown table; cells are already formatted."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"table {self.title!r}: row {row} has {len(row)} cells, expected {len(self.columns)}")


@dataclass(frozen=True, slots=True)
class Section:
    """What one section measured: JSON data, tables and notes for the Markdown."""

    name: str
    status: Status
    data: dict[str, Any] = field(default_factory=dict)
    tables: tuple[Table, ...] = ()
    notes: tuple[str, ...] = ()
    seconds: float = 0.0
    """Wall time the section took."""
    load_average: tuple[float, float, float] = (0.0, 0.0, 0.0)
    """1/5/15-minute load average when the section started."""


def ratio(numerator: float, denominator: float) -> float | None:
    """``numerator / denominator`` rounded to 2 places; None when the denominator is 0."""
    return round(numerator / denominator, 2) if denominator else None


def _table(t: Table) -> list[str]:
    return [
        f"**{t.title}**",
        "",
        "| " + " | ".join(t.columns) + " |",
        "|" + "---|" * len(t.columns),
        *("| " + " | ".join(row) + " |" for row in t.rows),
        "",
    ]


def markdown(sections: Sequence[Section], machine: dict[str, Any], command: str, plots: Sequence[str] = ()) -> str:
    """The whole report: machine and device, a heading, tables and notes per section, then the plots."""
    load = machine.get("load_average", {})
    lines = [
        "# livemon benchmark suite",
        "",
        f"- machine: {machine.get('cpu', '?')}, {machine.get('cores', '?')} cores, "
        f"{machine.get('memory_gib', '?')} GiB",
        f"- device: {machine.get('device', '?')}",
        f"- load average (1/5/15 min) at start {load.get('start')}, at end {load.get('end')}: the machine is shared, "
        "so figures are slower than on an idle one",
        f"- reproduce: `{command}`",
        "",
    ]
    for s in sections:
        head = f"status: {s.status} · {s.seconds:.0f} s · load average at start {s.load_average}"
        lines += [f"## {s.name}", "", head, ""]
        for t in s.tables:
            lines += _table(t)
        lines += [f"- {n}" for n in s.notes]
        if s.notes:
            lines.append("")
    if plots:
        lines += ["## plots", "", *(f"![{Path(p).stem}]({p})" for p in plots), ""]
    return "\n".join(lines)


def write_json(path: Path, payload: dict[str, Any]) -> Path:
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def write_markdown(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
