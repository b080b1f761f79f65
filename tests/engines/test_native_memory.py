"""The C allocator's memory is read and its free pages handed back (glibc, as on every supported Linux)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from monitor.engines.native_memory import limit_arenas, native_heap, trim


def test_memory_held_by_native_code_is_seen_and_let_go() -> None:
    before = native_heap()
    assert before is not None, "glibc ≥ 2.33 is the platform livemon runs on"
    held = np.ones(64 * 2**20 // 8)  # 64 MiB allocated by C code (numpy's allocator is malloc)
    during = native_heap()
    assert during is not None and during.in_use_mib >= before.in_use_mib + 60
    del held
    after = native_heap()
    assert after is not None and after.in_use_mib <= during.in_use_mib - 60


def test_freed_memory_held_by_thread_arenas_is_counted_and_trimming_keeps_it_usable() -> None:
    """Buffers of growing size freed on worker threads stay in the allocator (what a model runtime leaves)."""
    def churn() -> None:
        for size in range(200_000, 2_000_000, 50_000):
            np.ones(size)

    threads = [threading.Thread(target=churn) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    heap = native_heap()
    assert heap is not None and heap.free_mib > 1.0, heap
    assert trim() is True
    assert float(np.ones(1_000_000).sum()) == 1_000_000.0  # memory handed back is reusable


def test_arenas_can_be_bounded_but_not_to_none() -> None:
    assert limit_arenas(64) is True  # generous: no other test's threads are slowed by it
    with pytest.raises(ValueError, match="at least 1"):
        limit_arenas(0)
