"""The ``--judge`` options that ``scan``, ``watch``, ``rescan`` and ``check-text`` share, and the judge's summary line.

A command decorated with :func:`judge_options` takes one ``judge: JudgeChoice`` parameter; the
decorator gives the command line the seven ``--judge*`` options in its place.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.text import Text

from monitor.cli_support import console

if TYPE_CHECKING:
    from monitor.judge import Judge

__all__ = ["NO_JUDGE", "JudgeChoice", "judge_options", "report_judge"]

Command = TypeVar("Command", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class JudgeChoice:
    """What the ``--judge*`` options asked for."""

    url: str | None = None
    model: str | None = None
    key: str | None = None
    judge_all: bool = False
    response_format: str = "json_schema"
    concurrency: int = 4
    timeout: float = 60.0

    def build(self) -> Judge | None:
        """The judge asked for (``None`` without ``--judge`` or ``--judge-model``); bad options raise ConfigError."""
        if self.url is None and self.model is None:
            return None
        from monitor.judge import build_judge

        return build_judge(self.url, self.model, key=self.key, judge_all=self.judge_all,
                           concurrency=self.concurrency, timeout=self.timeout, response_format=self.response_format)


NO_JUDGE = JudgeChoice()
"""The default of a decorated command's ``judge`` parameter (the decorator always passes the real one)."""


def _option(name: str, annotation: Any, default: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


_OPTIONS = (
    _option("judge_url", Annotated[str | None, typer.Option(
        "--judge", help="OpenAI-compatible chat endpoint (http://host:8000/v1) for an LLM second opinion "
        "on review findings (docs/judge.md)")], None),
    _option("judge_model", Annotated[str | None, typer.Option(
        "--judge-model", help="the model the --judge endpoint serves")], None),
    _option("judge_key", Annotated[str | None, typer.Option(
        "--judge-key", envvar="LIVEMON_JUDGE_KEY", help="the endpoint's API key (better: the "
        "LIVEMON_JUDGE_KEY variable, which stays out of the shell history)")], None),
    _option("judge_all", Annotated[bool, typer.Option(
        "--judge-all", help="judge block findings too (their risk is never lowered)")], False),
    _option("judge_format", Annotated[str, typer.Option(
        "--judge-format", help="response_format sent: json_schema, json_object (llama-cpp-python) or none")],
        "json_schema"),
    _option("judge_concurrency", Annotated[int, typer.Option(
        "--judge-concurrency", help="judge calls in flight at once")], 4),
    _option("judge_timeout", Annotated[float, typer.Option(
        "--judge-timeout", help="seconds to wait for one answer (a slow local model needs more)")], 60.0),
)


def judge_options(command: Command) -> Command:
    """Give ``command`` the ``--judge*`` options; it receives them as one ``judge: JudgeChoice`` argument."""
    signature = inspect.signature(command, eval_str=True)
    kept = [p for name, p in signature.parameters.items() if name != "judge"]

    @functools.wraps(command)
    def wrapper(*args: Any, judge_url: str | None = None, judge_model: str | None = None,
                judge_key: str | None = None, judge_all: bool = False, judge_format: str = "json_schema",
                judge_concurrency: int = 4, judge_timeout: float = 60.0, **kwargs: Any) -> Any:
        choice = JudgeChoice(judge_url, judge_model, judge_key, judge_all, judge_format, judge_concurrency,
                             judge_timeout)
        return command(*args, judge=choice, **kwargs)

    wrapper.__signature__ = signature.replace(parameters=[*kept, *_OPTIONS])  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in (*kept, *_OPTIONS)} | {"return": None}
    return wrapper  # type: ignore[return-value]


def report_judge(judge: Judge | None) -> None:
    """Print the judge's counts (failures by kind included) on the terminal."""
    if judge is not None:
        style = "yellow" if judge.stats.failed else "green"
        console.print(Text(judge.stats.describe(), style=style), soft_wrap=True)
