"""Benchmarks of the moderation queue (``livemon serve``)."""
