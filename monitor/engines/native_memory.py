"""Native memory held by the C allocator: measured (glibc ``mallinfo2``) and handed back (``malloc_trim``).

The model runtimes (CTranslate2, onnxruntime, OpenCV, FFmpeg) allocate and free large buffers on many
threads. glibc keeps what they free in its arenas (one per thread that met contention, up to eight per
core) and returns it to the system only from an arena's top, so a long-running process's RSS climbs to
the high-water mark of every arena and stays there, although nothing is leaking. A watch bounds the
arenas to one per core (:func:`limit_arenas`, before its room threads start) and calls :func:`trim`
(``malloc_trim``: the free pages of every arena back to the system) once a minute, so its RSS follows
what is in use. Off glibc (musl, macOS) these do nothing and say so.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from dataclasses import dataclass
from functools import cache

__all__ = ["NativeHeap", "limit_arenas", "native_heap", "trim"]

_MIB = 2**20
_M_ARENA_MAX = -8
"""``mallopt`` parameter: the most arenas glibc makes."""


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost",
    )]


@dataclass(frozen=True, slots=True)
class NativeHeap:
    """What glibc's allocator holds, in MiB."""

    in_use_mib: float
    """Allocated and not yet freed (arenas and large mmapped blocks)."""
    free_mib: float
    """Freed but kept in the arenas: part of the RSS until it is trimmed or reused."""


@cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    libc = ctypes.CDLL(name)
    if not hasattr(libc, "mallinfo2") or not hasattr(libc, "malloc_trim"):
        return None
    libc.mallinfo2.restype = _MallInfo2
    libc.malloc_trim.argtypes = [ctypes.c_size_t]
    libc.malloc_trim.restype = ctypes.c_int
    libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    libc.mallopt.restype = ctypes.c_int
    return libc


def native_heap() -> NativeHeap | None:
    """The allocator's figures now (a few microseconds); ``None`` where the C library is not glibc ≥ 2.33."""
    libc = _libc()
    if libc is None:
        return None
    info = libc.mallinfo2()
    return NativeHeap(round((info.uordblks + info.hblkhd) / _MIB, 2), round(info.fordblks / _MIB, 2))


def trim() -> bool:
    """Hand the arenas' free pages back to the system; ``False`` where that cannot be done (not glibc)."""
    libc = _libc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True


def limit_arenas(arenas: int) -> bool:
    """Let glibc make at most ``arenas`` arenas from now on (threads started later share them); ``False``
    where that cannot be set."""
    if arenas < 1:
        raise ValueError(f"arenas must be at least 1, got {arenas}")
    libc = _libc()
    return libc is not None and libc.mallopt(_M_ARENA_MAX, arenas) == 1
