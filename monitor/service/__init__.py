"""The moderation-queue service (``livemon serve``): findings become cases, reviewers lease and decide them.

It sits on the store (:mod:`monitor.store`, tables in ``queue_schema``); every state change
appends an audit event in the same transaction. One job per module: ``auth`` (users, tokens,
roles), ``ingest`` (findings in, grouped into cases), ``cases`` (listing, one case in full),
``leases`` (claim, heartbeat, skip, hold), ``decisions``, ``audit`` (the hash chain and its
check), ``metrics``, ``app`` (the HTTP API), ``console`` (the reviewers' pages) and ``webhooks``
(the outbox of events to the platform, its signed deliveries and dead letters).
"""

from monitor.service.app import ServiceOptions, create_app

__all__ = ["ServiceOptions", "create_app"]
