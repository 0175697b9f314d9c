"""Prometheus metrics of the gateway: request latency per route template and decisions by outcome.

Each app owns its registry (so several apps can live in one process, as in tests). Scoring routers
call :func:`record_decision` (in serving.decisions) which increments ``cofre_decisions_total``.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "cofre_http_request_duration_seconds",
            "Request latency by route template",
            ["method", "route", "status"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.decisions = Counter(
            "cofre_decisions_total",
            "Decisions taken by the scoring services, by outcome",
            ["service", "outcome", "model_version"],
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
