"""Prometheus metrics of the gateway: request latency per route template and decisions by outcome.

``cofre_http_request_duration_seconds`` is labelled by method, route *template* (``/documents/{doc_id}``,
never the raw path; ``unmatched`` for paths no route takes) and status class (``2xx`` .. ``5xx``); its
buckets hold every latency threshold of deploy/slo/slos.yaml (a test checks), so each objective is
an exact bucket count. Each app owns its registry (so several apps can live in one process, as in
tests).

Several workers (``cofre serve`` with ``COFRE_GATEWAY_WORKERS`` > 1) run prometheus_client's
multiprocess mode: ``PROMETHEUS_MULTIPROC_DIR`` (set by ``cofre serve`` before the workers start, so
each worker's values live in memory-mapped files there) and /metrics of any worker renders the sum
over all of them (:func:`multiprocess_dir`, ``MultiProcessCollector``). Scoring routers call :func:`record_decision` (in serving.decisions) which increments
``cofre_decisions_total``; fraud scores are observed in ``cofre_fraud_score``.
"""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, values
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# seconds; the SLO latency thresholds (10 ms fraud score ... 2.5 s identity proofing) are bounds here
LATENCY_BUCKETS = (0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
SCORE_BUCKETS = tuple(round(0.05 * i, 2) for i in range(1, 20)) + (1.0,)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "cofre_http_request_duration_seconds",
            "Request latency by route template",
            ["method", "route", "status_class"],
            registry=self.registry,
            buckets=LATENCY_BUCKETS,
        )
        self.fraud_score = Histogram(
            "cofre_fraud_score",
            "Fraud probability of each scored payment",
            ["model_version"],
            registry=self.registry,
            buckets=SCORE_BUCKETS,
        )
        self.decisions = Counter(
            "cofre_decisions_total",
            "Decisions taken by the scoring services, by outcome",
            ["service", "outcome", "model_version"],
            registry=self.registry,
        )

    def render(self) -> bytes:
        """The exposition text: this registry's, or every worker's summed in multiprocess mode."""
        folder = multiprocess_dir()
        if folder is None:
            return generate_latest(self.registry)
        merged = CollectorRegistry()
        MultiProcessCollector(merged, path=str(folder))
        return generate_latest(merged)


def multiprocess_dir() -> Path | None:
    """The folder of prometheus_client's multiprocess mode when this process runs in it. The mode is
    fixed when prometheus_client is imported (its value class), not by the variable alone: a library
    may set the variable later (Feast's metrics module does, on import) while our values stay in
    process memory."""
    if values.ValueClass is values.MutexValue:
        return None
    folder = os.environ.get(MULTIPROC_ENV)
    return Path(folder) if folder else None


def prepare_multiprocess_dir(folder: Path) -> None:
    """An empty folder for the workers' metric files, named in the environment the workers inherit
    (files of an earlier run would add its counts to this one's)."""
    folder.mkdir(parents=True, exist_ok=True)
    for f in folder.glob("*.db"):
        f.unlink()
    os.environ[MULTIPROC_ENV] = str(folder)
