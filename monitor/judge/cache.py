"""Verdicts kept on disk (SQLite, standard library) so that a rerun costs nothing.

Keyed by the sha256 of what the model was shown (the finding's fields: text, context, rule,
basis), the prompt's version and content digest, and the model's name. Only verdicts are kept:
a failed call is tried again next time.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from monitor.engines.cache import cache_dir
from monitor.errors import ConfigError
from monitor.judge.item import JudgeItem
from monitor.judge.prompt import JudgePrompt
from monitor.judge.schema import Verdict

__all__ = ["CachedVerdict", "VerdictCache", "cache_key", "default_cache_path"]


def default_cache_path() -> Path:
    """``<$LIVEMON_CACHE or ~/.cache/livemon>/judge/verdicts.sqlite``."""
    return cache_dir("judge") / "verdicts.sqlite"


def cache_key(item: JudgeItem, prompt: JudgePrompt, model: str) -> str:
    data = {"item": item.fields(), "prompt": [prompt.version, prompt.digest], "model": model}
    return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class CachedVerdict:
    """A verdict and what the call that made it cost."""

    verdict: Verdict
    prompt_tokens: int
    completion_tokens: int
    seconds: float


class VerdictCache:
    """A thread-safe verdict cache in one SQLite file."""

    def __init__(self, path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS verdicts (key TEXT PRIMARY KEY, verdict TEXT NOT NULL, "
                "prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL, seconds REAL NOT NULL)"
            )
        except (OSError, sqlite3.Error) as e:
            raise ConfigError(f"cannot open the judge's cache {path}: {e}") from e
        self._lock = threading.Lock()

    def get(self, key: str) -> CachedVerdict | None:
        with self._lock:
            row = self._db.execute(
                "SELECT verdict, prompt_tokens, completion_tokens, seconds FROM verdicts WHERE key = ?", (key,)
            ).fetchone()
        if row is None:
            return None
        return CachedVerdict(Verdict.model_validate_json(row[0]), row[1], row[2], row[3])

    def put(self, key: str, entry: CachedVerdict) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO verdicts VALUES (?, ?, ?, ?, ?)",
                (key, entry.verdict.model_dump_json(), entry.prompt_tokens, entry.completion_tokens, entry.seconds),
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()
