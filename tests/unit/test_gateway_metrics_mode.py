"""Prometheus mode of the gateway's metrics: fixed when prometheus_client was imported. Feast's metrics
module sets PROMETHEUS_MULTIPROC_DIR on import; that must not turn /metrics of a single process into
the (empty) sum of a multiprocess folder."""

from __future__ import annotations

from serving.metrics import MULTIPROC_ENV, Metrics, multiprocess_dir


def test_a_variable_set_after_import_keeps_in_process_metrics(tmp_path, monkeypatch):
    monkeypatch.setenv(MULTIPROC_ENV, str(tmp_path))  # what importing feast.metrics does
    m = Metrics()
    m.decisions.labels("fraud_score", "review", "v1").inc()
    assert multiprocess_dir() is None
    assert (
        'cofre_decisions_total{model_version="v1",outcome="review",service="fraud_score"} 1.0'
        in m.render().decode()
    )
