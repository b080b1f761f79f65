"""Text that remembers, for every character, where it came from in the original."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["MappedText"]


@dataclass(frozen=True, slots=True)
class MappedText:
    """A string plus, per character, its ``[start, end)`` span in the original text."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    @classmethod
    def identity(cls, text: str) -> MappedText:
        return cls(text, tuple(range(len(text))), tuple(range(1, len(text) + 1)))

    def map_chars(self, fn: Callable[[str], str]) -> MappedText:
        """Replace each character by ``fn(char)`` (zero or more characters)."""
        chars: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        for ch, s, e in zip(self.text, self.starts, self.ends, strict=True):
            out = fn(ch)
            if out == ch:
                chars.append(ch)
                starts.append(s)
                ends.append(e)
                continue
            for o in out:
                chars.append(o)
                starts.append(s)
                ends.append(e)
        return MappedText("".join(chars), tuple(starts), tuple(ends))

    def sub(self, pattern: re.Pattern[str], repl: Callable[[re.Match[str]], str]) -> MappedText:
        """Like ``pattern.sub(repl, text)``, keeping the map.

        A replacement of the same length maps one to one; otherwise every new
        character maps to the whole span of the text it replaced.
        """
        pieces: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        pos = 0
        changed = False
        for m in pattern.finditer(self.text):
            a, b = m.span()
            new = repl(m)
            if new == m.group(0):
                continue
            changed = True
            pieces.append(self.text[pos:a])
            starts.extend(self.starts[pos:a])
            ends.extend(self.ends[pos:a])
            if len(new) == b - a:
                starts.extend(self.starts[a:b])
                ends.extend(self.ends[a:b])
            elif a < b:
                starts.extend([self.starts[a]] * len(new))
                ends.extend([self.ends[b - 1]] * len(new))
            else:  # insertion at an empty match: anchor to the next character
                anchor = self.starts[a] if a < len(self.starts) else (self.ends[-1] if self.ends else 0)
                starts.extend([anchor] * len(new))
                ends.extend([anchor] * len(new))
            pieces.append(new)
            pos = b
        if not changed:
            return self
        pieces.append(self.text[pos:])
        starts.extend(self.starts[pos:])
        ends.extend(self.ends[pos:])
        return MappedText("".join(pieces), tuple(starts), tuple(ends))

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The span in the original text covered by ``text[start:end]``."""
        if not self.text or start >= end:
            return (0, 0)
        start = max(0, min(start, len(self.text) - 1))
        end = max(start + 1, min(end, len(self.text)))
        return (self.starts[start], self.ends[end - 1])
