"""Prometheus metrics of one service instance, in a registry of its own (tests make many apps)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from monitor.service.cases import STATUSES, waiting_status
from monitor.service.db import Clock
from monitor.service.webhooks.delivery import OUTCOMES
from monitor.store import Store

__all__ = ["ServiceMetrics"]


class _CaseGauge(Collector):
    """Cases per status, counted when scraped."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store, self.clock = store, clock

    def collect(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily("livemon_cases", "Cases per status", labels=["status"])
        status = waiting_status(self.clock())
        with self.store.reading() as s:
            counts = {name: n for name, n in s.execute(select(status, func.count()).group_by(status))}
        for name in STATUSES:
            gauge.add_metric([name], int(counts.get(name, 0)))
        yield gauge


class ServiceMetrics:
    """Request latency, findings ingested, claims, decisions, webhook deliveries, and the queue's size."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.registry = CollectorRegistry()
        self.requests = Histogram("livemon_http_request_duration_seconds", "API request latency",
                                  ["method", "route", "status"], registry=self.registry)
        self.findings = Counter("livemon_findings_ingested", "Findings stored (new ids only)", registry=self.registry)
        self.claims = Counter("livemon_cases_claimed", "Cases leased to a reviewer", registry=self.registry)
        self.decisions = Counter("livemon_decisions", "Decisions recorded", ["action"], registry=self.registry)
        self.webhooks = Counter("livemon_webhook_deliveries", "Webhook delivery attempts by outcome "
                                "(delivered; failed, to be retried or dead; dead, given up)", ["outcome"],
                                registry=self.registry)
        for outcome in OUTCOMES:
            self.webhooks.labels(outcome)
        self.registry.register(_CaseGauge(store, clock))

    def render(self) -> bytes:
        return generate_latest(self.registry)
