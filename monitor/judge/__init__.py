"""An opt-in LLM second opinion on findings, behind any OpenAI-compatible chat endpoint (``docs/judge.md``)."""

from monitor.judge.build import build_judge
from monitor.judge.cache import VerdictCache
from monitor.judge.client import ChatClient, ChatReply, OpenAIChatClient
from monitor.judge.item import JudgeItem
from monitor.judge.judge import Judge
from monitor.judge.policy import decide
from monitor.judge.prompt import JudgePrompt
from monitor.judge.run import JudgeOptions, JudgeStats, judge_findings, second_opinions
from monitor.judge.schema import Verdict, parse_verdict

__all__ = [
    "ChatClient",
    "ChatReply",
    "Judge",
    "JudgeItem",
    "JudgeOptions",
    "JudgePrompt",
    "JudgeStats",
    "OpenAIChatClient",
    "Verdict",
    "VerdictCache",
    "build_judge",
    "decide",
    "judge_findings",
    "parse_verdict",
    "second_opinions",
]
