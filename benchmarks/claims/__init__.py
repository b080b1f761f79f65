"""Labelled Mandarin live-room utterances for benchmarking the claims engine."""

from benchmarks.claims.corpus import CATEGORIES, CorpusError, Record, check_corpus, load_corpus

__all__ = ["CATEGORIES", "CorpusError", "Record", "check_corpus", "load_corpus"]
