"""Line-oriented text in, one JSON object per line out (``livemon check-text``)."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

from monitor.detectors.claims import ClaimHit
from monitor.errors import InputError
from monitor.findings import SecondOpinion

__all__ = ["hits_record", "iter_lines"]

BATCH = 512


def _file_lines(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8", errors="replace") as stream:
        for line in stream:
            yield line.rstrip("\r\n")


def _stream_lines(stream: TextIO) -> Iterator[str]:
    if isinstance(stream, io.TextIOWrapper):
        stream.reconfigure(errors="replace")
    for line in stream:
        yield line.rstrip("\r\n")


def iter_lines(files: Sequence[Path], stdin: TextIO, batch: int = BATCH) -> Iterator[list[str]]:
    """Batches of lines from ``files`` in order, or from ``stdin`` when no file is given.

    Undecodable bytes are replaced, never fatal: junk input still gets an answer.
    """
    for path in files:
        if not path.is_file():
            raise InputError(f"no such text file: {path}")
    sources = [_file_lines(path) for path in files] if files else [_stream_lines(stdin)]
    pending: list[str] = []
    for source in sources:
        for line in source:
            pending.append(line)
            if len(pending) >= batch:
                yield pending
                pending = []
    if pending:
        yield pending


def hits_record(
    text: str, hits: Sequence[ClaimHit], judged: Sequence[tuple[str, SecondOpinion | None]] | None = None
) -> dict[str, Any]:
    """``{"text": ..., "findings": [{category, risk, span, confidence, basis, rule}, ...]}``.

    ``judged`` holds, per hit, its risk after the LLM judge and the judge's opinion (added as ``judge``).
    """
    after = judged if judged is not None else [(h.risk, None) for h in hits]
    return {
        "text": text,
        "findings": [
            {
                "category": h.category,
                "risk": risk,
                "span": list(h.span),
                "confidence": round(h.confidence, 3),
                "basis": h.basis,
                "rule": h.rule,
                **({"details": h.details} if h.details else {}),
                **({"judge": asdict(opinion)} if opinion is not None else {}),
            }
            for h, (risk, opinion) in zip(hits, after, strict=True)
        ],
    }
