"""Whisper segments re-cut into sentences at the pauses the speaker made.

In a short window Whisper often returns one segment for several sentences, joined by commas
as often as by full stops. A finding is timed by its line and the claims engine reads one line
at a time, so a segment is cut where the speaker paused for a sentence (a silence the VAD
measured of at least ``sentence_pause`` seconds, inside the segment) and Whisper wrote a
punctuation mark there: the mark nearest to where the pause falls at an even speech rate,
within ``snap_s`` seconds of it. A full stop with no pause near it (Whisper writes some
mid-sentence) cuts nothing, and a pause with no mark near it cuts nothing either.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["BROKEN_MARK", "MARK", "SENTENCE_PAUSE_S", "spoken_length", "split_at_pauses"]

SENTENCE_PAUSE_S = 0.5
"""A silence this long between two stretches of speech can end a sentence."""
_FULLWIDTH_ALNUM = "\uff10-\uff19\uff21-\uff3a\uff41-\uff5a"
BROKEN_MARK = re.compile(f"\ufffd|(?<=[\u3400-\u9fff0-9])[{_FULLWIDTH_ALNUM}](?![{_FULLWIDTH_ALNUM}])")
"""A punctuation mark a small Whisper model wrote with its last byte wrong: a lone full-width letter or
digit after a Chinese character or a digit, or U+FFFD (see :func:`monitor.observations.asr.transcript_text`)."""
MARK = re.compile(f"[，,。！？!?；;、]|{BROKEN_MARK.pattern}")
"""A punctuation mark a sentence or clause can end at."""
_SPOKEN = re.compile(r"[\W_]")


def spoken_length(text: str) -> int:
    """Characters of ``text`` that are spoken (punctuation and spaces left out)."""
    return len(_SPOKEN.sub("", text))


def split_at_pauses(
    start: float, end: float, text: str, pauses: Sequence[float], snap_s: float = 1.0
) -> list[tuple[float, float, str]]:
    """``text`` (said from ``start`` to ``end``) cut after marks at ``pauses`` (sorted, same clock), with times."""
    text = text.strip()
    if not text:
        return []
    total = spoken_length(text)
    marks = [m.end() for m in MARK.finditer(text) if m.end() < len(text)]
    if not total or end <= start or not marks:
        return [(start, end, text)]
    rate = (end - start) / total
    cuts: list[tuple[float, int]] = []
    for pause in (p for p in pauses if start < p < end):
        at = min(marks, key=lambda m: abs(start + spoken_length(text[:m]) * rate - pause))
        if abs(start + spoken_length(text[:at]) * rate - pause) <= snap_s and (not cuts or at > cuts[-1][1]):
            cuts.append((pause, at))
    out, begin, index = [], start, 0
    for pause, at in cuts:
        out.append((begin, pause, text[index:at].strip()))
        begin, index = pause, at
    out.append((begin, end, text[index:].strip()))
    return [piece for piece in out if piece[2]]
