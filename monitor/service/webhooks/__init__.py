"""Webhooks to the platform: an outbox written with each state change, signed deliveries, retries, dead letters.

``outbox`` (:func:`enqueue`, dead letters, replay), ``endpoints`` (receivers and their keys),
``signing`` (Standard Webhooks headers) and ``delivery`` (the deliverer and its background thread).
"""

from monitor.service.webhooks.delivery import Deliverer, DeliveryOptions, PassResult, delivering
from monitor.service.webhooks.endpoints import add_endpoint, disable_endpoint, list_endpoints, rotate_key
from monitor.service.webhooks.outbox import RETRY_FOR, dead_letters, enqueue, replay

__all__ = [
    "RETRY_FOR",
    "Deliverer",
    "DeliveryOptions",
    "PassResult",
    "add_endpoint",
    "dead_letters",
    "delivering",
    "disable_endpoint",
    "enqueue",
    "list_endpoints",
    "replay",
    "rotate_key",
]
