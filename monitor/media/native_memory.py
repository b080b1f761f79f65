"""Hand memory the native libraries have freed back to the system.

glibc's allocator keeps freed blocks for reuse; after a large transient (a speech chunk's
features, a batch of decoded frames) a process that runs for hours holds on to them and its
resident size creeps up with the stream's length. ``malloc_trim`` returns them. Elsewhere
(macOS, musl) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache
from typing import Any

__all__ = ["release_freed"]


@cache
def _glibc() -> Any:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


def release_freed() -> bool:
    """Return freed heap memory to the system; True when anything was released."""
    libc = _glibc()
    return bool(libc.malloc_trim(0)) if libc is not None else False
