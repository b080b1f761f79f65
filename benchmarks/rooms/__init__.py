"""Rooms kept in real time on one machine with the production engines (shared ASR, OCR, claims)."""

from benchmarks.rooms.asr_batch import AsrModeComparison, compare_asr_modes
from benchmarks.rooms.capacity import RoomsCapacity, find_max_rooms
from benchmarks.rooms.live import RoomsOptions, RoomsRun, run_rooms
from benchmarks.rooms.recording import Recording, room_arrivals
from benchmarks.rooms.verdict import KeepRule, LatencySummary, keeps_up, summarise

__all__ = [
    "AsrModeComparison",
    "KeepRule",
    "LatencySummary",
    "Recording",
    "RoomsCapacity",
    "RoomsOptions",
    "RoomsRun",
    "compare_asr_modes",
    "find_max_rooms",
    "keeps_up",
    "room_arrivals",
    "run_rooms",
    "summarise",
]
