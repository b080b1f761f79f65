"""Rule-based detection of false-marketing claims in live-room speech and screen text."""

from monitor.detectors.claims.engine import (
    BUILTIN_PACKS,
    TEXT_SOURCES,
    ClaimEngine,
    ExampleFailure,
    TextSource,
)
from monitor.detectors.claims.fusion import ClaimClassifier, FusionConfig, fuse, fuse_confidence
from monitor.detectors.claims.hits import ClaimHit
from monitor.detectors.claims.schema import CLAIM_CATEGORIES

__all__ = [
    "BUILTIN_PACKS",
    "CLAIM_CATEGORIES",
    "TEXT_SOURCES",
    "ClaimClassifier",
    "ClaimEngine",
    "ClaimHit",
    "ExampleFailure",
    "FusionConfig",
    "TextSource",
    "fuse",
    "fuse_confidence",
]
