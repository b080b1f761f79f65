"""The ``--judge`` options that ``scan``, ``rescan`` and ``check-text`` share, and the judge's summary line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from monitor.cli_support import console

if TYPE_CHECKING:
    from monitor.judge import Judge

__all__ = ["JudgeAllOpt", "JudgeConcurrencyOpt", "JudgeFormatOpt", "JudgeKeyOpt", "JudgeModelOpt", "JudgeOpt",
           "JudgeTimeoutOpt", "make_judge", "report_judge"]

JudgeOpt = Annotated[
    str | None,
    typer.Option("--judge", help="OpenAI-compatible chat endpoint (http://host:8000/v1) for an LLM second opinion "
                 "on review findings (docs/judge.md)"),
]
JudgeModelOpt = Annotated[str | None, typer.Option("--judge-model", help="the model the --judge endpoint serves")]
JudgeKeyOpt = Annotated[
    str | None,
    typer.Option("--judge-key", envvar="LIVEMON_JUDGE_KEY", help="the endpoint's API key (better: the "
                 "LIVEMON_JUDGE_KEY variable, which stays out of the shell history)"),
]
JudgeAllOpt = Annotated[
    bool, typer.Option("--judge-all", help="judge block findings too (their risk is never lowered)")
]
JudgeFormatOpt = Annotated[
    str, typer.Option("--judge-format", help="response_format sent: json_schema, json_object (llama-cpp-python) "
                      "or none")
]
JudgeConcurrencyOpt = Annotated[int, typer.Option("--judge-concurrency", help="judge calls in flight at once")]
JudgeTimeoutOpt = Annotated[
    float, typer.Option("--judge-timeout", help="seconds to wait for one answer (a slow local model needs more)")
]


def make_judge(
    url: str | None, model: str | None, key: str | None, judge_all: bool, response_format: str, concurrency: int,
    timeout: float,
) -> Judge | None:
    """The judge the options ask for (``None`` without ``--judge``); bad options raise ConfigError."""
    if url is None and model is None:
        return None
    from monitor.judge import build_judge

    return build_judge(url, model, key=key, judge_all=judge_all, concurrency=concurrency, timeout=timeout,
                       response_format=response_format)


def report_judge(judge: Judge | None) -> None:
    """Print the judge's counts (failures by kind included) on the terminal."""
    if judge is not None:
        style = "yellow" if judge.stats.failed else "green"
        console.print(Text(judge.stats.describe(), style=style), soft_wrap=True)
