"""The labelled utterance corpus for the claims engine.

Hand-written Mandarin live-room utterances (see ``README.md`` in this folder),
stored as JSONL under ``corpus/``:

- ``positive_<category>.jsonl``: utterances whose *first* label is that category;
  some carry a second or third label (e.g. ``absolute_terms`` + ``price_fraud``).
- ``hard_negatives.jsonl``: no violation, but close to one (near-miss words,
  disclaimers, negations, real facts, legal return/price talk). Ids are
  ``hneg-<tag>-NNNN``; ``<tag>`` names the category the sentence is near
  (``abs``, ``med`` ... see :data:`TAGS`) or ``misc``.
- ``negatives.jsonl``: ordinary room talk (greetings, logistics, product facts).

The split (``train``/``dev``/``test``, 60/20/20) is fixed by :func:`assign_splits`:
inside each stratum (the id without its number: ``abs``, ``hneg-med``,
``neg-chat`` ...) and writing batch, records are ordered by SHA-1 of the id (multi-label and
evasion-spelling records grouped so they spread evenly) and dealt out
train, train, dev, train, test. The split is stored in every record and
re-checked by :func:`check_corpus`, so the test split stays held out: tune on
``train``/``dev``, report on ``test``.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from monitor.detectors.claims.schema import CLAIM_CATEGORIES

__all__ = [
    "CATEGORIES",
    "CORPUS_DIR",
    "KINDS",
    "MIN_NEGATIVES",
    "MIN_PER_CATEGORY",
    "MIN_POSITIVES",
    "SPLITS",
    "TAGS",
    "CorpusError",
    "Record",
    "assign_splits",
    "check_corpus",
    "count_table",
    "load_corpus",
    "normalise_for_dedup",
    "stratum",
]

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"

CATEGORIES: tuple[str, ...] = CLAIM_CATEGORIES
"""The ten text categories (the ``dh_*`` ones of ``monitor.findings.CATEGORIES`` are video-only)."""

TAGS: dict[str, str] = {
    "abs": "absolute_terms",
    "med": "medical_claims",
    "eff": "false_efficacy",
    "price": "price_fraud",
    "scar": "fake_scarcity",
    "data": "fake_data",
    "div": "traffic_diversion",
    "endo": "false_endorsement",
    "fake": "counterfeit",
    "disp": "disparagement",
}
"""Id prefix of positives, and near-miss tag of hard negatives, per category."""

Kind = Literal["positive", "hard_negative", "negative"]
Split = Literal["train", "dev", "test"]
KINDS: tuple[str, ...] = ("positive", "hard_negative", "negative")
SPLITS: tuple[str, ...] = ("train", "dev", "test")

MIN_POSITIVES = 1600
MIN_NEGATIVES = 1700
MIN_PER_CATEGORY = 130

_ID_RE = re.compile(r"^(?:(?:hneg|neg)-[a-z]+|[a-z]+)-\d{4}$")


class CorpusError(ValueError):
    """The corpus files break one of the rules in :func:`check_corpus`."""


@dataclass(frozen=True, slots=True)
class Record:
    """One labelled utterance."""

    id: str
    text: str
    labels: tuple[str, ...]
    """Categories from :data:`CATEGORIES`; empty for negatives. First label = main one."""
    kind: Kind
    split: Split
    note: str | None = None
    """Free text: why a borderline label was chosen, ``evasion spelling``, ``near-miss: <category>``."""
    batch: int = 1
    """Writing batch: sentences added later form their own batch, dealt into splits on their own,
    so adding sentences never moves an existing record to another split."""

    @property
    def is_positive(self) -> bool:
        return bool(self.labels)

    @property
    def evasion(self) -> bool:
        """Written with a filter-dodging spelling (V信, pinyin, spaced, Traditional, homophone...)."""
        return self.note is not None and "evasion spelling" in self.note

    @property
    def stratum(self) -> str:
        return stratum(self.id)

    @classmethod
    def from_json(cls, obj: dict[str, object], *, where: str = "") -> Record:
        try:
            labels = obj["labels"]
            if not isinstance(labels, list):
                raise CorpusError(f"{where}: labels must be a list, got {type(labels).__name__}")
            note = obj.get("note")
            batch = obj.get("batch", 1)
            if not isinstance(batch, int) or batch < 1:
                raise CorpusError(f"{where}: batch must be a positive integer, got {batch!r}")
            return cls(
                id=str(obj["id"]),
                text=str(obj["text"]),
                labels=tuple(str(x) for x in labels),
                kind=obj["kind"],  # type: ignore[arg-type]
                split=obj["split"],  # type: ignore[arg-type]
                note=None if note is None else str(note),
                batch=batch,
            )
        except KeyError as e:
            raise CorpusError(f"{where}: missing field {e.args[0]!r}") from e


def stratum(record_id: str) -> str:
    """The id without its running number: ``abs``, ``hneg-med``, ``neg-chat``."""
    return record_id.rsplit("-", 1)[0]


_SPLIT_CYCLE: tuple[str, ...] = ("train", "train", "dev", "train", "test")
"""Every fifth position of a stratum: three train, one dev, one test (60/20/20)."""


def assign_splits(records: Iterable[Record]) -> dict[str, str]:
    """Deterministic 60/20/20 split, stratified by :func:`stratum` (category or near-miss tag) and batch.

    Inside a stratum the records are ordered by (multi-label?, evasion
    spelling?, SHA-1 of the id) and dealt out in the fixed cycle
    train, train, dev, train, test. So each stratum, and the multi-label and
    evasion records inside it, spread 60/20/20 to within one record, and the
    split of a record depends only on the corpus content, never on chance.
    """
    groups: dict[tuple[str, int], list[Record]] = {}
    for r in records:
        groups.setdefault((stratum(r.id), r.batch), []).append(r)
    out: dict[str, str] = {}
    for members in groups.values():
        order = sorted(
            members,
            key=lambda r: (len(r.labels) > 1, r.evasion, hashlib.sha1(r.id.encode("utf-8")).hexdigest()),
        )
        for k, r in enumerate(order):
            out[r.id] = _SPLIT_CYCLE[k % len(_SPLIT_CYCLE)]
    return out


_DEDUP_DROP = re.compile(r"[\s\W_]+", re.UNICODE)


def normalise_for_dedup(text: str) -> str:
    """NFKC, lower case, without whitespace and punctuation: the key for duplicate checks."""
    return _DEDUP_DROP.sub("", unicodedata.normalize("NFKC", text).lower())


def _read_dir(directory: Path) -> list[Record]:
    files = sorted(directory.glob("*.jsonl"))
    if not files:
        raise CorpusError(f"no *.jsonl files in {directory}")
    records: list[Record] = []
    for path in files:
        with path.open(encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                where = f"{path.name}:{lineno}"
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as e:
                    raise CorpusError(f"{where}: invalid JSON ({e.msg})") from e
                records.append(Record.from_json(obj, where=where))
    return records


def _expected_file(r: Record) -> str:
    if r.kind == "positive" and r.labels:
        return f"positive_{r.labels[0]}.jsonl"
    return "hard_negatives.jsonl" if r.kind == "hard_negative" else "negatives.jsonl"


def check_corpus(records: Sequence[Record], *, check_counts: bool = True) -> None:
    """Raise :class:`CorpusError` listing every broken rule.

    Rules: ids well-formed and unique; texts non-empty and unique after
    :func:`normalise_for_dedup`; labels known, not repeated, non-empty exactly
    for positives; the id prefix agrees with the first label (positives) or
    with the near-miss tag (hard negatives); kind and split valid; each split
    equals :func:`assign_splits`; with ``check_counts``, at least
    :data:`MIN_POSITIVES` positives, :data:`MIN_NEGATIVES` negatives and
    :data:`MIN_PER_CATEGORY` records per category.
    """
    problems: list[str] = []
    ids = Counter(r.id for r in records)
    problems += [f"duplicate id {i!r} ({n}x)" for i, n in ids.items() if n > 1]
    seen: dict[str, str] = {}
    for r in records:
        if not _ID_RE.match(r.id):
            problems.append(f"{r.id}: malformed id")
        if not r.text.strip():
            problems.append(f"{r.id}: empty text")
        key = normalise_for_dedup(r.text)
        if key in seen:
            problems.append(f"{r.id}: duplicate text of {seen[key]}: {r.text!r}")
        else:
            seen[key] = r.id
        if r.kind not in KINDS:
            problems.append(f"{r.id}: unknown kind {r.kind!r}")
        if r.split not in SPLITS:
            problems.append(f"{r.id}: unknown split {r.split!r}")
        bad = [x for x in r.labels if x not in CATEGORIES]
        if bad:
            problems.append(f"{r.id}: unknown labels {bad}")
        if len(set(r.labels)) != len(r.labels):
            problems.append(f"{r.id}: repeated label")
        if (r.kind == "positive") != bool(r.labels):
            problems.append(f"{r.id}: kind {r.kind} with labels {list(r.labels)}")
        prefix = r.id.split("-", 1)[0]
        if r.kind == "positive" and r.labels and TAGS.get(prefix) != r.labels[0]:
            problems.append(f"{r.id}: id prefix {prefix!r} does not match first label {r.labels[0]}")
        if r.kind == "hard_negative":
            tag = stratum(r.id).split("-", 1)[-1]
            if not r.id.startswith("hneg-") or (tag not in TAGS and tag != "misc"):
                problems.append(f"{r.id}: hard negative id must be hneg-<tag>-NNNN")
        if r.kind == "negative" and not r.id.startswith("neg-"):
            problems.append(f"{r.id}: negative id must start with neg-")
    expected = assign_splits(records)
    for r in records:
        if expected.get(r.id) != r.split:
            problems.append(f"{r.id}: split {r.split} but assign_splits says {expected.get(r.id)}")
    if check_counts:
        n_pos = sum(r.kind == "positive" for r in records)
        n_neg = len(records) - n_pos
        if n_pos < MIN_POSITIVES:
            problems.append(f"{n_pos} positives, expected at least {MIN_POSITIVES}")
        if n_neg < MIN_NEGATIVES:
            problems.append(f"{n_neg} negatives, expected at least {MIN_NEGATIVES}")
        per_cat = Counter(x for r in records for x in r.labels)
        for c in CATEGORIES:
            if per_cat[c] < MIN_PER_CATEGORY:
                problems.append(f"{c}: {per_cat[c]} records, expected at least {MIN_PER_CATEGORY}")
    if problems:
        shown = "\n  ".join(problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        raise CorpusError(f"{len(problems)} corpus problem(s):\n  {shown}{more}")


def load_corpus(
    split: str | None = None,
    *,
    directory: Path | None = None,
    validate: bool = True,
) -> list[Record]:
    """All records, or those of one split (``"train"``, ``"dev"``, ``"test"``).

    Files are read in name order and records keep file order. With
    ``validate`` (the default) the whole corpus is checked by
    :func:`check_corpus` before filtering; the minimum counts are checked only
    for the shipped corpus, not for a custom ``directory``.
    """
    if split is not None and split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS} or None, got {split!r}")
    records = _read_dir(directory or CORPUS_DIR)
    if validate:
        check_corpus(records, check_counts=directory is None)
        if directory is None:
            misplaced = [r.id for r in records if not (CORPUS_DIR / _expected_file(r)).exists()]
            if misplaced:
                raise CorpusError(f"records without their expected file: {misplaced[:10]}")
    if split is None:
        return records
    return [r for r in records if r.split == split]


def count_table(records: Sequence[Record]) -> dict[str, dict[str, int]]:
    """Counts by row (each category, each kind, evasion, all) and column (each split, total).

    A record with two labels counts once in each of its categories.
    """
    rows: dict[str, dict[str, int]] = {}

    def bump(row: str, r: Record) -> None:
        cell = rows.setdefault(row, {s: 0 for s in (*SPLITS, "total")})
        cell[r.split] += 1
        cell["total"] += 1

    for r in records:
        for c in r.labels:
            bump(c, r)
        if len(r.labels) > 1:
            bump("(multi-label)", r)
        bump(f"kind:{r.kind}", r)
        if r.evasion:
            bump("(evasion spelling)", r)
        bump("all", r)
    order = [*CATEGORIES, "(multi-label)", "(evasion spelling)", *(f"kind:{k}" for k in KINDS), "all"]
    return {k: rows[k] for k in order if k in rows}
