"""Scoring stored findings against a platform's own labelled recordings (``livemon eval``)."""

from monitor.evaluation.score import EvalResult, TruthSegment, read_truth, score_findings

__all__ = ["EvalResult", "TruthSegment", "read_truth", "score_findings"]
