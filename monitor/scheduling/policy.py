"""Which queued items form the next batch: oldest rooms first, one item per room per round."""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable
from typing import Protocol, TypeVar

__all__ = ["Queued", "take_fair_batch"]


class Queued(Protocol):
    enqueued_at: float


Q = TypeVar("Q", bound=Queued)


def take_fair_batch(queues: dict[Hashable, deque[Q]], max_batch: int) -> list[Q]:
    """Pop up to ``max_batch`` items, round-robin over rooms ordered by their oldest item.

    A busy room cannot crowd a quiet one out of a batch, and the room that has waited
    longest is always served first. Emptied rooms are removed from ``queues``.
    """
    batch: list[Q] = []
    while len(batch) < max_batch and queues:
        for room in sorted(queues, key=lambda r: queues[r][0].enqueued_at):
            batch.append(queues[room].popleft())
            if not queues[room]:
                del queues[room]
            if len(batch) == max_batch:
                break
    return batch
