"""The rule-based claims engine: normalised text in, claim hits with original spans out."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml

from monitor.detectors.claims.fusion import ClaimClassifier, FusionConfig, fuse
from monitor.detectors.claims.hits import ClaimHit
from monitor.detectors.claims.rules import CompiledPack, CompiledRule, load_pack
from monitor.detectors.claims.schema import CLAIM_CATEGORIES
from monitor.detectors.claims.soundalike import SoundalikeIndex
from monitor.errors import ConfigError
from monitor.findings import RISK_ORDER
from monitor.text import NormalisedText, normalise, pinyin_sequence

__all__ = ["BUILTIN_PACKS", "TEXT_SOURCES", "ClaimEngine", "ClaimHit", "ExampleFailure", "TextSource"]

BUILTIN_PACKS = Path(__file__).with_name("packs")
PLATFORM_PACKS = Path(__file__).with_name("platforms")
"""Platforms' public banned-word lists as rule packs, one folder each, chosen as ``platform:<name>``."""
PLATFORM_PREFIX = "platform:"
PINYIN_CONFIDENCE = 0.7
"""A sound-only hit keeps this fraction of its rule's confidence, and at most ``review`` risk."""
WINDOW_CHARS = 1_000
WINDOW_OVERLAP = 64
MAX_CHARS = 200_000
"""Text beyond this many characters is not checked (a transcript line is far shorter)."""
_CACHE_SIZE = 4_096
CLASSIFIER_BATCH = 256
"""Texts the classifier sees at once."""
TextSource = Literal["text", "speech"]
"""Where a text came from: written (captions, ``check-text``) or an ASR transcript."""
TEXT_SOURCES: tuple[TextSource, ...] = ("text", "speech")


def platform_names() -> list[str]:
    """The platforms whose word lists ship as rule packs."""
    return sorted(p.name for p in PLATFORM_PACKS.iterdir() if p.is_dir() and any(p.glob("*.yaml")))


def pack_folder(entry: Path | str) -> Path:
    """A rule-pack folder, or a shipped platform's folder for ``platform:<name>``."""
    text = str(entry)
    if not text.startswith(PLATFORM_PREFIX):
        return Path(entry)
    name = text.removeprefix(PLATFORM_PREFIX)
    if name not in platform_names():
        raise ConfigError(f"unknown platform rule pack {text!r}; known: {', '.join(platform_names())}")
    return PLATFORM_PACKS / name


@dataclass(frozen=True, slots=True)
class ExampleFailure:
    """A pack example that does not behave as the pack says."""

    pack: Path
    rule: str
    example: str
    expected: str
    """``match`` or ``no_match``."""
    got: tuple[str, ...]
    """Rule ids that fired (for no_match: of the rule's category)."""


@dataclass(frozen=True, slots=True)
class _Raw:
    rule: CompiledRule
    start: int
    end: int
    risk: str
    confidence: float
    details: dict[str, Any]


class ClaimEngine:
    """Checks text against the built-in and user rule packs.

    Build with :meth:`load`. ``check`` is safe on any string: empty, binary junk,
    emoji, or very long (work is done in overlapping windows and capped at
    ``MAX_CHARS``).
    """

    def __init__(
        self,
        packs: Sequence[CompiledPack],
        allow: Sequence[str] = (),
        allow_digest: str = "",
        classifier: ClaimClassifier | None = None,
        fusion: FusionConfig = FusionConfig(),
        speech_fusion: FusionConfig | None = None,
    ) -> None:
        self.packs = tuple(packs)
        self.classifier = classifier
        self.fusion = fusion
        self.speech_fusion = speech_fusion or fusion
        self._allow = (
            re.compile("|".join(re.escape(a) for a in sorted(set(allow), key=len, reverse=True))) if allow else None
        )
        self._soundalikes = SoundalikeIndex(r for p in self.packs for r in p.rules)
        self._pack_of = {r.id: p for p in self.packs for r in p.rules}
        self._basis = {p.category: p.basis for p in reversed(self.packs)}
        self.version = ";".join(f"{p.name}@{p.version}" for p in self.packs) + (
            f";allow@{allow_digest}" if allow_digest else ""
        )
        self._check_window = lru_cache(maxsize=_CACHE_SIZE)(self._check_window_uncached)

    @classmethod
    def load(
        cls,
        pack_dirs: Sequence[Path] = (),
        allow_list: Path | None = None,
        *,
        classifier: ClaimClassifier | None = None,
        fusion: FusionConfig = FusionConfig(),
        speech_fusion: FusionConfig | None = None,
        builtin: bool = True,
    ) -> ClaimEngine:
        """Built-in packs plus every ``*.yaml``/``*.yml`` in ``pack_dirs``, and an optional allow-list.

        A ``pack_dirs`` entry ``platform:<name>`` (``platform:douyin``) adds that platform's
        banned-word packs (:data:`PLATFORM_PACKS`).

        The allow-list is a text file with one phrase per line (``#`` starts a
        comment) or a YAML list; hits overlapping an allowed phrase are dropped.
        ``fusion`` is the classifier's operating point for written text (captions,
        ``check-text``); ``speech_fusion`` the one for transcripts (default: ``fusion``).
        """
        dirs = ([BUILTIN_PACKS] if builtin else []) + [pack_folder(d) for d in pack_dirs]
        packs: list[CompiledPack] = []
        seen: dict[str, Path] = {}
        for d in dirs:
            if not d.is_dir():
                raise ConfigError(f"rule pack folder {d} does not exist")
            for path in sorted([*d.glob("*.yaml"), *d.glob("*.yml")]):
                pack = load_pack(path)
                for rule in pack.rules:
                    if rule.id in seen:
                        raise ConfigError(f"rule pack {path}: key rules({rule.id}): id already used in {seen[rule.id]}")
                    seen[rule.id] = path
                packs.append(pack)
        allow, digest = _read_allow_list(allow_list) if allow_list else ((), "")
        return cls(packs, allow, digest, classifier, fusion, speech_fusion)

    def provenance(self) -> dict[str, Any]:
        """Rule-pack versions, the classifier and its operating points, for every finding's provenance."""
        points = {"text": self.fusion, "speech": self.speech_fusion}
        return {
            "rules": self.version,
            "classifier": self.classifier.name if self.classifier is not None else None,
            "fusion": {
                source: {"alone": f.alone_threshold, "agree": f.agree_threshold, **dict(f.category_thresholds)}
                for source, f in points.items()
            } if self.classifier is not None else None,
        }

    def rule_description(self, rule_id: str) -> str:
        """The pack's description of a rule (``""`` for the classifier's or an unknown id)."""
        pack = self._pack_of.get(rule_id)
        return next((r.spec.description for r in pack.rules if r.id == rule_id), "") if pack else ""

    def check(self, text: str, source: TextSource = "text") -> list[ClaimHit]:
        """Claim hits in ``text``, one per category and overlapping span, sorted by span."""
        return self.check_many([text], source)[0]

    def check_many(self, texts: Sequence[str], source: TextSource = "text") -> list[list[ClaimHit]]:
        """:meth:`check` for many texts; the classifier runs once over all of them.

        ``source`` picks the fusion operating point: ``speech`` for ASR transcripts,
        whose recognition errors hide words from the rules, ``text`` for anything written.
        """
        if source not in TEXT_SOURCES:
            raise ValueError(f"source must be one of {TEXT_SOURCES}, got {source!r}")
        results = [self._rule_hits(t) for t in texts]
        if self.classifier is not None and texts:
            probs = _probabilities(self.classifier, texts)
            fusion = self.speech_fusion if source == "speech" else self.fusion
            results = [fuse(t, hits, probs[t], self._basis, fusion) for t, hits in zip(texts, results, strict=True)]
        # A pass hit (permitted wording) has done its work by quieting the classifier; it is no finding.
        return [[h for h in hits if h.risk != "pass"] for hits in results]

    def warm_up(self) -> None:
        """Load what the first check would (the classifier's encoder loads lazily), so that a caller can do it
        beside other work."""
        if self.classifier is not None:
            self.classifier.predict_proba(["直播间"])

    def self_test(self) -> list[ExampleFailure]:
        """Run every rule's examples: ``match`` must fire the rule, ``no_match`` flag no rule of its category."""
        failures = []
        for pack in self.packs:
            for rule in pack.rules:
                for example in rule.spec.examples.match:
                    fired = {r.rule.id for r in self._raw_hits(normalise(example), only=rule)}
                    if rule.id not in fired:
                        failures.append(ExampleFailure(pack.path, rule.id, example, "match", ()))
                for example in rule.spec.examples.no_match:
                    got = tuple(h.rule for h in self.check(example) if h.category == rule.category)
                    if got:
                        failures.append(ExampleFailure(pack.path, rule.id, example, "no_match", got))
        return failures

    def _rule_hits(self, text: str) -> list[ClaimHit]:
        if not isinstance(text, str) or not text:
            return []
        text = text[:MAX_CHARS]
        if len(text) <= WINDOW_CHARS:
            return list(self._check_window(text))
        hits: list[ClaimHit] = []
        step = WINDOW_CHARS - WINDOW_OVERLAP
        for offset in range(0, len(text) - WINDOW_OVERLAP, step):
            for h in self._check_window(text[offset : offset + WINDOW_CHARS]):
                span = (h.span[0] + offset, h.span[1] + offset)
                hits.append(replace(h, span=span, matched=text[span[0] : span[1]]))
        return _dedupe(hits, text)

    def _check_window_uncached(self, text: str) -> tuple[ClaimHit, ...]:
        nt = normalise(text)
        if not nt.text:
            return ()
        raws = self._raw_hits(nt)
        if self._allow is not None:
            allowed = [m.span() for m in self._allow.finditer(nt.text)]
            raws = [r for r in raws if not any(a < r.end and r.start < b for a, b in allowed)]
        hits = []
        for r in raws:
            span = nt.original_span(r.start, r.end)
            hits.append(
                ClaimHit(
                    category=r.rule.category,
                    risk=r.risk,
                    span=span,
                    confidence=r.confidence,
                    basis=r.rule.basis,
                    rule=r.rule.id,
                    matched=text[span[0] : span[1]],
                    details=r.details,
                )
            )
        return tuple(_dedupe(hits, text))

    def _raw_hits(self, nt: NormalisedText, only: CompiledRule | None = None) -> list[_Raw]:
        text = nt.text
        raws: list[_Raw] = []
        for pack in self.packs:
            if (only is not None and only.category != pack.category) or not pack.prefilter.search(text):
                continue
            for rule in pack.rules:
                if only is not None and rule is not only:
                    continue
                for start, end, details in rule.matches(text):
                    if self._accept(pack, rule, text, start, end, needs_context=False):
                        raws.append(_Raw(rule, start, end, rule.risk, rule.confidence, details))
        if self._soundalikes:
            for start, end, rule, keyword, short in self._soundalikes.find(text, pinyin_sequence(text)):
                if only is not None and rule is not only:
                    continue
                if self._accept(self._pack_of[rule.id], rule, text, start, end, needs_context=short):
                    risk = rule.risk if RISK_ORDER[rule.risk] <= RISK_ORDER["review"] else "review"
                    confidence = round(rule.confidence * PINYIN_CONFIDENCE, 4)
                    raws.append(_Raw(rule, start, end, risk, confidence, {"via": "pinyin", "keyword": keyword}))
        return raws

    @staticmethod
    def _accept(
        pack: CompiledPack, rule: CompiledRule, text: str, start: int, end: int, *, needs_context: bool
    ) -> bool:
        if rule.risk != "pass" and pack.exclude is not None and pack.exclude.found(text, start, end):
            return False  # a pack's exclude (a disclaimer nearby) drops claims, not permitted wording
        if rule.exclude is not None and rule.exclude.found(text, start, end):
            return False
        if rule.context is not None and not rule.context.found(text, start, end):
            return False
        if needs_context and rule.pinyin_context is not None and not rule.pinyin_context.found(text, start, end):
            return False
        return not (rule.negatable and pack.negated(text, start, end))


def _probabilities(classifier: ClaimClassifier, texts: Sequence[str]) -> dict[str, np.ndarray]:
    """The classifier's probabilities of each distinct text, in batches of :data:`CLASSIFIER_BATCH`
    (a three-hour recording has some 10,000 captions, most of them repeats: memory stays flat)."""
    distinct = list(dict.fromkeys(texts))
    probs: dict[str, np.ndarray] = {}
    for i in range(0, len(distinct), CLASSIFIER_BATCH):
        batch = distinct[i : i + CLASSIFIER_BATCH]
        rows = np.asarray(classifier.predict_proba(batch), dtype=float)
        if rows.shape != (len(batch), len(CLAIM_CATEGORIES)):
            raise ValueError(
                f"classifier returned shape {rows.shape}, expected ({len(batch)}, {len(CLAIM_CATEGORIES)})"
            )
        probs.update(zip(batch, rows, strict=True))
    return probs


def _dedupe(hits: Sequence[ClaimHit], text: str) -> list[ClaimHit]:
    """One hit per category and run of overlapping spans: the strongest, widened to the run; sorted."""
    kept: list[ClaimHit] = []
    for category in dict.fromkeys(h.category for h in hits):
        group = sorted((h for h in hits if h.category == category), key=lambda h: h.span)
        cluster: list[ClaimHit] = []
        for h in group:
            if cluster and h.span[0] >= max(c.span[1] for c in cluster):
                kept.append(_merge(cluster, text))
                cluster = []
            cluster.append(h)
        if cluster:
            kept.append(_merge(cluster, text))
    return sorted(kept, key=lambda h: (h.span, h.category))


def _merge(cluster: list[ClaimHit], text: str) -> ClaimHit:
    best = max(cluster, key=_strength)
    span = (min(h.span[0] for h in cluster), max(h.span[1] for h in cluster))
    return best if span == best.span else replace(best, span=span, matched=text[span[0] : span[1]])


def _strength(hit: ClaimHit) -> tuple[int, float, int]:
    return (RISK_ORDER[hit.risk], hit.confidence, hit.span[1] - hit.span[0])


def _read_allow_list(path: Path) -> tuple[tuple[str, ...], str]:
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"cannot read allow-list {path}: {e}") from e
    if path.suffix in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(raw)
        except yaml.YAMLError as e:
            raise ConfigError(f"allow-list {path} is not valid YAML: {e}") from e
        if not isinstance(data, list) or not all(isinstance(x, str) for x in data):
            raise ConfigError(f"allow-list {path} must be a YAML list of phrases")
        phrases = data
    else:
        phrases = [line.split("#", 1)[0].strip() for line in raw.splitlines()]
    normalised = tuple(p for p in (normalise(x).text.strip(",") for x in phrases) if p)
    return normalised, hashlib.sha256(raw.encode("utf-8")).hexdigest()[:8]
