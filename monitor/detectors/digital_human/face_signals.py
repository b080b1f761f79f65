"""AI-likelihood signals from a face track: blinks, head-pose jitter and looped motion."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from monitor.detectors.digital_human.signal import Signal, clip01
from monitor.observations.faces import FaceTrack

__all__ = ["blink_events", "blink_signal", "loop_signal", "pose_jitter_signal"]

HUMAN_BLINKS_PER_MIN = 12.0
"""A low resting human blink rate (typical adults blink 15-20 times a minute)."""
REGULAR_CV = 0.45
"""Coefficient of variation of blink intervals at which the regularity score reaches 0."""
JITTER_MID = 1.1
"""Head-pose jitter (deg, std of the second difference) scored 0.5; smoother is more AI-like.
MediaPipe's own pose noise is ~0.6 deg on a smoothly moving 150 px face at 320x240."""
JITTER_SCALE = 0.2
HASH_BITS = 10
"""Largest Hamming distance between two face-crop hashes that still counts as the same frame."""
POSE_TOL = 0.04
"""Largest face-centre distance (in face heights) between two frames that still counts as the same."""
LOOP_MIN_RUN = 1.0
"""Seconds a repeated stretch must last."""
LOOP_MAX_PERIOD = 30.0
"""Longest loop period searched, in seconds."""


def _face_seconds(track: FaceTrack) -> float:
    return sum(f.face is not None for f in track.frames) / track.fps if track.fps > 0 else 0.0


def blink_events(times: np.ndarray, closure: np.ndarray, threshold: float = 0.35) -> list[float]:
    """Start times of blinks: closure rising above ``max(threshold, baseline + 0.2)``."""
    valid = ~np.isnan(closure)
    if not valid.any():
        return []
    level = max(threshold, float(np.median(closure[valid])) + 0.2)
    closed = np.where(valid, closure > level, False)
    starts = np.flatnonzero(closed[1:] & ~closed[:-1]) + 1
    events = [float(times[0])] if closed[0] else []
    return events + [float(times[i]) for i in starts]


def blink_signal(track: FaceTrack) -> Signal:
    """Missing blinks, or blinks at clockwork intervals, are AI-like; irregular blinking is human-like."""
    closure = (track.series("blink_left") + track.series("blink_right")) / 2
    seconds = _face_seconds(track)
    events = blink_events(track.times, closure)
    rate = 60.0 * len(events) / seconds if seconds > 0 else 0.0
    evidence = {"blinks": len(events), "blink_times": [round(t, 2) for t in events], "per_minute": round(rate, 1)}
    if not events:
        p_human = math.exp(-HUMAN_BLINKS_PER_MIN * seconds / 60.0)
        return Signal("blink", clip01(1.0 - p_human), f"no blink in {seconds:.0f} s of face", evidence)
    intervals = np.diff(events)
    if len(intervals) < 3:
        return Signal.not_judged("blink", f"{len(events)} blinks: too few to judge their rhythm", **evidence)
    cv = float(intervals.std() / intervals.mean())
    evidence["interval_cv"] = round(cv, 3)
    score = clip01(1.0 - cv / REGULAR_CV)
    rhythm = "clockwork" if score > 0.5 else "irregular"
    return Signal("blink", score, f"{rhythm} blinks (interval CV {cv:.2f})", evidence)


def _centres(track: FaceTrack) -> np.ndarray:
    """Face centre and size per frame, in face heights relative to the median face (NaN without face)."""
    x0, y0, x1, y1 = track.boxes().reshape(-1, 4).T
    size = float(np.nanmedian(y1 - y0))
    return np.stack([(x0 + x1) / 2 / size, (y0 + y1) / 2 / size, (y1 - y0) / size], axis=1)


def pose_jitter_signal(track: FaceTrack) -> Signal:
    """Rendered heads move smoothly; a human head (and camera) shows small frame-to-frame jitter."""
    angles = np.stack([track.series(k) for k in ("yaw", "pitch", "roll")], axis=1)
    second = np.diff(angles, n=2, axis=0)
    second = second[~np.isnan(second).any(axis=1)]
    if len(second) < 10:
        return Signal.not_judged("pose_jitter", "too few consecutive face frames for head-pose jitter")
    jitter = float(np.median(second.std(axis=0)))
    score = 1.0 / (1.0 + math.exp((jitter - JITTER_MID) / JITTER_SCALE))
    smooth = "unnaturally smooth" if score > 0.5 else "natural"
    reason = f"{smooth} head motion (jitter {jitter:.2f} deg)"
    return Signal("pose_jitter", clip01(score), reason, {"jitter_deg": round(jitter, 3)})


def _hash_bits(track: FaceTrack) -> np.ndarray:
    """(n, 64) bits of the face-crop hashes."""
    hashes = np.array([f.phash for f in track.frames], dtype=np.uint64).reshape(-1, 1)
    return np.unpackbits(hashes.view(np.uint8), axis=1).astype(bool)


def _longest_runs(match: np.ndarray, min_run: int) -> tuple[int, int, int]:
    """Frames in runs of at least ``min_run`` True values, and (start, length) of the longest run."""
    total = best_start = best_len = 0
    run = 0
    for i, m in enumerate([*match.tolist(), False]):
        if m:
            run += 1
            continue
        if run >= min_run:
            total += run
        if run > best_len:
            best_start, best_len = i - run, run
        run = 0
    return total, best_start, best_len


def loop_signal(track: FaceTrack) -> Signal:
    """A motion clip played over and over: the face crop and its position repeat at one lag."""
    fps = track.fps
    bits = _hash_bits(track)
    present = np.array([f.face is not None for f in track.frames])
    if fps <= 0 or present.sum() < 4 * fps:
        return Signal.not_judged("loop", "too little face time to look for repeated motion")
    pos = _centres(track)
    spread = np.nanmax(pos[:, :2], axis=0) - np.nanmin(pos[:, :2], axis=0)
    if float(spread.max()) < POSE_TOL * 2:
        return Signal.not_judged("loop", "the head barely moves; looping cannot be told from stillness")
    min_run = max(2, int(round(LOOP_MIN_RUN * fps)))
    n = len(bits)
    best = (0.0, 0, 0, 0)
    for lag in range(min_run, min(n // 2, int(LOOP_MAX_PERIOD * fps)) + 1):
        ok = present[:-lag] & present[lag:]
        same_face = (bits[:-lag] != bits[lag:]).sum(axis=1) <= HASH_BITS
        same_pose = np.nan_to_num(np.abs(pos[:-lag] - pos[lag:]).max(axis=1), nan=1.0) <= POSE_TOL
        match = ok & same_face & same_pose
        total, start, length = _longest_runs(match, min_run)
        share = total / max(1, int(ok.sum()))
        if share > best[0]:
            best = (share, lag, start, length)
    share, lag, start, length = best
    evidence: dict[str, Any] = {"repeat_share": round(share, 3)}
    if lag:
        times = track.times
        first_repeat = [round(float(times[start]), 2), round(float(times[start + lag]), 2)]
        evidence |= {"period_s": round(lag / fps, 2), "first_repeat": first_repeat}
    score = clip01(share / 0.6)
    what = f"{share:.0%} of face frames repeat an earlier stretch" + (f" {lag / fps:.1f} s before" if lag else "")
    return Signal("loop", score, what, evidence)
