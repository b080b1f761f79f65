"""Undisclosed digital-human (AI-generated) hosts: disclosure channels, AI-likelihood signals, findings."""

from monitor.detectors.digital_human.detect import (
    DigitalHumanOptions,
    DigitalHumanResult,
    HostJudgement,
    detect_digital_human,
    judge_host,
)
from monitor.detectors.digital_human.disclosure import (
    MetadataLabel,
    SpokenDisclosure,
    is_label_text,
    metadata_label,
    spoken_disclosures,
)
from monitor.detectors.digital_human.forgery import ForgeryModel, OnnxForgeryModel, forgery_signal, score_crops
from monitor.detectors.digital_human.fusion import DEFAULT_WEIGHTS, Fusion, fuse
from monitor.detectors.digital_human.label_track import LabelCoverage, LabelGap, LabelTracker, screen_label
from monitor.detectors.digital_human.live import LiveDigitalHuman
from monitor.detectors.digital_human.quality import Judgement, QualityOptions, judge_track
from monitor.detectors.digital_human.room import RoomMeta, load_room_meta
from monitor.detectors.digital_human.signal import Signal

__all__ = [
    "DEFAULT_WEIGHTS",
    "DigitalHumanOptions",
    "DigitalHumanResult",
    "ForgeryModel",
    "Fusion",
    "HostJudgement",
    "Judgement",
    "LabelCoverage",
    "LabelGap",
    "LabelTracker",
    "LiveDigitalHuman",
    "MetadataLabel",
    "OnnxForgeryModel",
    "QualityOptions",
    "RoomMeta",
    "Signal",
    "SpokenDisclosure",
    "detect_digital_human",
    "forgery_signal",
    "fuse",
    "is_label_text",
    "judge_host",
    "judge_track",
    "load_room_meta",
    "metadata_label",
    "score_crops",
    "screen_label",
    "spoken_disclosures",
]
