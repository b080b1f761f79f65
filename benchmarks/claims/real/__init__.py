"""Live-room lines quoted in public sources, with their addresses: the claims engine's real-language test."""

from benchmarks.claims.real.corpus import Line, build, load_real

__all__ = ["Line", "build", "load_real"]
