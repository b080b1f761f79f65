"""Transcript segments that only repeat Whisper's prompt, dropped.

Whisper reads its prompt as the text said before the audio; on silence, music or noise it can
write that text out again instead of nothing. Two shapes are dropped:

- a segment that contains the prompt's opening clause (``以下是普通话茶叶直播带货的内容``), or
  any :data:`ECHO_RUN` characters of it in a row: no host says it, it only describes the room;
- a segment made of nothing but two or more of the prompt's hotwords (``普洱龙井铁观音``): a list
  of product names with no other word is the hotword string read back, not speech.

The rest of the prompt (``家人们，宝宝们，上链接``) is what hosts say, so it is never a reason to
drop a segment; a spoken sentence that names a hotword among other words is kept.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from monitor.observations.asr_prompt import AsrPrompt
from monitor.observations.types import TranscriptSegment

__all__ = ["ECHO_RUN", "drop_echoes", "is_echo"]

ECHO_RUN = 6
"""Characters of the prompt's opening clause that, in a row, make a segment an echo."""
_IGNORED = re.compile(r"[\W_]")
_CLAUSE = re.compile(r"[，,。；;：:！!？?]")


def _bare(text: str) -> str:
    return _IGNORED.sub("", text)


def _runs(prompt: AsrPrompt) -> set[str]:
    opening = _bare(_CLAUSE.split(prompt.text, maxsplit=1)[0])
    if len(opening) < ECHO_RUN:
        return {opening} if opening else set()
    return {opening[i : i + ECHO_RUN] for i in range(len(opening) - ECHO_RUN + 1)}


def _only_hotwords(text: str, hotwords: Sequence[str]) -> bool:
    words = sorted({_bare(w) for w in hotwords if _bare(w)}, key=len, reverse=True)
    if not text or not words:
        return False
    word = "(?:" + "|".join(map(re.escape, words)) + ")"
    return re.fullmatch(f"{word}{word}+", text) is not None


def is_echo(text: str, prompt: AsrPrompt) -> bool:
    """``text`` repeats the prompt's opening clause or is nothing but its hotwords."""
    bare = _bare(text)
    return any(run in bare for run in _runs(prompt)) or _only_hotwords(bare, prompt.hotwords)


def drop_echoes(segments: Sequence[TranscriptSegment], prompt: AsrPrompt) -> list[TranscriptSegment]:
    """``segments`` without those that only repeat ``prompt``."""
    return [s for s in segments if not is_echo(s.text, prompt)]
