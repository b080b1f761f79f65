"""What every finding records of how it was made."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from monitor import __version__
from monitor.config import ScanOptions
from monitor.detectors.claims import ClaimEngine

__all__ = ["finding_provenance"]


def finding_provenance(options: ScanOptions, claims: ClaimEngine, models: Mapping[str, str | None]) -> dict[str, Any]:
    """livemon's version, the observation models (``asr``, ``ocr``, ``faces``), the rule packs, the
    classifier and its operating points, and the detector thresholds."""
    return {
        "livemon": __version__,
        **models,
        **claims.provenance(),
        "thresholds": {
            "min_confidence": options.min_confidence,
            "dh_gap": options.dh_gap,
            "dh_threshold": options.dh_threshold,
        },
    }
