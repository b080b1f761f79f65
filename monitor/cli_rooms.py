"""``livemon watch --from URL``: the options that make a watch a worker of a livemon service's rooms."""

from __future__ import annotations

import re
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from monitor.errors import ConfigError

if TYPE_CHECKING:
    from monitor.config import ScanOptions
    from monitor.sinks.queue_service import QueueTarget
    from monitor.sources.service_rooms import ServiceRooms

__all__ = ["CapacityOpt", "FromOpt", "WorkerOpt", "room_worker", "stop_on_sigterm"]

_WORKER = re.compile(r"[\w.@:-]{1,128}")
"""A worker's name, as the service takes it (:data:`monitor.service.room_models.WORKER_NAME`)."""

FromOpt = Annotated[str | None, typer.Option(
    "--from", help="take rooms from this livemon service (leased, with a heartbeat); findings go back to it")]
WorkerOpt = Annotated[str | None, typer.Option(
    "--worker", help="this worker's name on the service [host:pid]")]
CapacityOpt = Annotated[int, typer.Option(
    "--capacity", min=1, max=1000, help="the most rooms this worker takes from --from at once")]


def room_worker(from_url: str | None, to: str | None, token: str | None, worker: str | None, capacity: int,
                options: ScanOptions, store: Path | None) -> tuple[QueueTarget | None, ServiceRooms | None]:
    """Where findings go (``--to``, or ``--from``'s service) and, with ``--from``, the service's room feed."""
    from monitor.sinks.queue_service import queue_target
    from monitor.sources.policy import SourcePolicy
    from monitor.sources.service_rooms import ServiceRooms, default_worker_name

    if from_url is None:
        return queue_target(to, token), None
    source = queue_target(from_url, token)
    assert source is not None
    target = queue_target(to, token) if to is not None else source
    if target is None or target.url != source.url:
        raise ConfigError("--to must be the --from service (or left out): its rooms' findings go back to it")
    if store is not None:
        raise ConfigError("--store does not go with --from: a worker runs for days as rooms come and go, and "
                          "the service keeps their findings")
    name = worker or default_worker_name()
    if not _WORKER.fullmatch(name):
        raise ConfigError("--worker is 1-128 letters, digits or . _ @ : -")
    return target, ServiceRooms(source, name, capacity, SourcePolicy.from_options(options))


def stop_on_sigterm() -> threading.Event:
    """An event set by SIGTERM (and SIGINT), so a worker stopped by its supervisor gives its rooms back."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop
