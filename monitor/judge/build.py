"""Build the judge from command-line settings (the composition root's one call)."""

from __future__ import annotations

from pathlib import Path

import httpx

from monitor.errors import ConfigError
from monitor.judge.cache import VerdictCache, default_cache_path
from monitor.judge.client import OpenAIChatClient, ResponseFormat
from monitor.judge.judge import Judge
from monitor.judge.prompt import PROMPTS, JudgePrompt
from monitor.judge.run import JudgeOptions

__all__ = ["build_judge"]

FORMATS: tuple[ResponseFormat, ...] = ("json_schema", "json_object", "none")


def build_judge(
    url: str | None,
    model: str | None,
    *,
    key: str | None = None,
    judge_all: bool = False,
    concurrency: int = 4,
    timeout: float = 60.0,
    response_format: str = "json_schema",
    prompts: Path = PROMPTS,
    cache: Path | None = None,
) -> Judge | None:
    """The judge for ``--judge URL --judge-model NAME`` (``None`` without ``--judge``)."""
    if url is None:
        if model is not None:
            raise ConfigError("--judge-model needs --judge URL (an OpenAI-compatible endpoint)")
        return None
    if not model:
        raise ConfigError("--judge needs --judge-model NAME: the model the endpoint serves")
    if response_format not in FORMATS:
        raise ConfigError(f"--judge-format must be one of {', '.join(FORMATS)}, got {response_format!r}")
    if concurrency < 1:
        raise ConfigError(f"--judge-concurrency must be at least 1, got {concurrency}")
    if timeout <= 0:
        raise ConfigError(f"--judge-timeout must be more than 0 seconds, got {timeout}")
    prompt = JudgePrompt.load(prompts)
    client = OpenAIChatClient(url, model, key=key, response_format=response_format,  # type: ignore[arg-type]
                              timeout=httpx.Timeout(timeout, connect=5.0))
    options = JudgeOptions(scope="all" if judge_all else "review", concurrency=concurrency)
    return Judge(client, model, prompt, options, VerdictCache(cache or default_cache_path()))
