"""The one exception tree of livemon.

::

    LivemonError                 every error livemon raises on purpose
    ├── InputError               the user's input cannot be used
    │   ├── SourceNotFound       a path that does not exist
    │   ├── EmptySource          a 0-byte file
    │   ├── UnreadableMedia      corrupt, truncated or not media at all
    │   ├── NoUsableTrack        neither a usable audio nor video track
    │   ├── UnreachableSource    a URL that cannot be opened
    │   └── ForbiddenSource      an address the operator's protocols and hosts do not allow
    ├── ConfigError              a bad option, config file or config key
    ├── ModelError               a model that cannot be found, joined or loaded
    └── JudgeError               an LLM judge's answer that cannot be used (``kind`` says why); counted
                                 by the judge and never raised to the user: the finding stays as it was

Backend errors (PyAV, CTranslate2, onnxruntime) are translated into this tree at
the boundary where they happen, so the CLI prints one clear line per error and
never a traceback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError

__all__ = [
    "JUDGE_FAILURES",
    "ConfigError",
    "EmptySource",
    "ForbiddenSource",
    "InputError",
    "JudgeError",
    "LivemonError",
    "ModelError",
    "NoUsableTrack",
    "SourceNotFound",
    "UnreachableSource",
    "UnreadableMedia",
    "describe_validation_error",
]


class LivemonError(Exception):
    """Base of every error livemon raises on purpose."""

    def __init__(self, message: str, *, source: str | None = None, at: float | None = None) -> None:
        self.source = source
        self.at = at
        super().__init__(message)

    def __str__(self) -> str:
        message = super().__str__()
        where = []
        if self.source:
            where.append(self.source)
        if self.at is not None:
            where.append(f"at {self.at:.2f}s")
        return f"{message} ({', '.join(where)})" if where else message


class InputError(LivemonError):
    """The input given by the user cannot be used."""


class SourceNotFound(InputError):
    """A local path that does not exist."""


class EmptySource(InputError):
    """A file of zero bytes."""


class UnreadableMedia(InputError):
    """A file or stream that is corrupt, truncated or not media."""


class NoUsableTrack(InputError):
    """A source with neither a decodable audio nor video track."""


class UnreachableSource(InputError):
    """A URL that cannot be opened (DNS, refused connection, HTTP error, timeout)."""


class ForbiddenSource(InputError):
    """An address whose protocol or host the operator does not allow (or a playlist that names one)."""


class ConfigError(LivemonError):
    """An invalid option value, config file or unknown config key."""


class ModelError(LivemonError):
    """A model that cannot be found, assembled or loaded."""


class JudgeError(LivemonError):
    """A second-opinion call that failed; ``kind`` is one of :data:`JUDGE_FAILURES`."""

    def __init__(self, kind: str, message: str) -> None:
        if kind not in JUDGE_FAILURES:
            raise ValueError(f"unknown judge failure kind {kind!r}; expected one of {JUDGE_FAILURES}")
        self.kind = kind
        super().__init__(message)


JUDGE_FAILURES: tuple[str, ...] = ("unreachable", "timeout", "http", "malformed", "refusal", "schema")
"""Why a judge call gave no usable verdict: endpoint down, too slow, an HTTP error status, an answer that is
not JSON, a refusal (no JSON, or the model declined), JSON outside the verdict schema."""


def describe_validation_error(error: ValidationError) -> str:
    """A pydantic error as ``key a.b: message; key c: message``, for one-line ConfigErrors."""
    return "; ".join(
        f"key {'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}" for err in error.errors()
    )
