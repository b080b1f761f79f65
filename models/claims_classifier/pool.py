"""Training and scoring texts for the claims classifier, from both corpora, with their fold groups.

Each :class:`Item` is one text the head sees: a hand-written sentence (``benchmarks/claims``)
or a real line quoted in a public source (``benchmarks/claims/real``), in one *view*:
``clean`` (as written), ``noised`` (sound-alike characters swapped in, :func:`asr_noise`) or
``asr`` (the TTS → Whisper transcript, where the cache holds one). Items carry the group
that cross-validation folds by: the record id for hand-written sentences (so the views of a
sentence stay together), and for real lines the site, with sites that quote the same line
joined into one group (content sites copy each other's lists), so no fold is scored on a line
or a site it was trained on.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from benchmarks.claims.asr_noisy import load_transcripts
from benchmarks.claims.corpus import Record, load_corpus, normalise_for_dedup
from benchmarks.claims.real.corpus import Line, load_real, unique
from models.claims_classifier.augment import asr_noise
from monitor.detectors.claims.classifier import canonical

__all__ = ["SEED", "Item", "hand_items", "hand_pool", "real_items", "site_groups"]

SEED = 20260201
"""Same seed as ``train.py``: the hand-written noised view is the same text there and here."""


@dataclass(frozen=True, slots=True)
class Item:
    """One text in one view, with its labels and cross-validation group."""

    text: str
    """Canonical form (:func:`canonical`)."""
    labels: tuple[str, ...]
    source: str
    """``hand`` or ``real``."""
    view: str
    """``clean``, ``noised`` or ``asr``."""
    group: str


def hand_items(records: Sequence[Record], views: Iterable[str], noise_rate: float = 0.15) -> list[Item]:
    """Items of hand-written records in each of ``views``; ``asr`` only where a transcript is cached."""
    out: list[Item] = []
    transcripts: dict[str, str] = {}
    for view in views:
        if view == "asr" and not transcripts:
            transcripts = load_transcripts(records)
        rng = random.Random(SEED)
        for r in records:
            text = {"clean": r.text, "asr": transcripts.get(r.id)}.get(view) if view != "noised" else (
                asr_noise(r.text, rng, noise_rate)
            )
            if text is not None:
                out.append(Item(canonical(text), r.labels, "hand", view, r.id))
    return out


def site_groups(lines: Sequence[Line]) -> dict[str, str]:
    """Site → group: sites quoting the same line (after :func:`normalise_for_dedup`) share a group."""
    parent: dict[str, str] = {}

    def find(site: str) -> str:
        parent.setdefault(site, site)
        while parent[site] != site:
            parent[site] = parent[parent[site]]
            site = parent[site]
        return site

    first_site: dict[str, str] = {}
    for line in lines:
        key = normalise_for_dedup(line.text)
        other = first_site.setdefault(key, line.site)
        a, b = find(line.site), find(other)
        if a != b:
            parent[max(a, b)] = min(a, b)
    return {site: "site:" + find(site) for site in parent}


def real_items(split: str, views: Iterable[str], noise_rate: float = 0.15) -> list[Item]:
    """Items of the real corpus's distinct lines of ``split`` in ``clean`` and/or ``noised`` view."""
    quoted = load_real(split)
    groups = site_groups(quoted)
    out: list[Item] = []
    for view in views:
        rng = random.Random(SEED + 1)
        for line in unique(quoted):
            text = asr_noise(line.text, rng, noise_rate) if view == "noised" else line.text
            out.append(Item(canonical(text), line.categories, "real", view, groups[line.site]))
    return out


def hand_pool() -> list[Record]:
    """Hand-written TRAIN+DEV records (what the shipped head is trained on)."""
    return [r for r in load_corpus() if r.split != "test"]
