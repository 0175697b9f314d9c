"""Gateway metrics fit the SLO rules: one histogram labelled by route template (never a raw path),
method and status class, with bucket bounds at every latency objective."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from serving.app import create_app
from serving.metrics import LATENCY_BUCKETS
from tests.unit.serving_kit import auth, make_settings, register


def _samples(text: str, name: str) -> list:
    return [s for f in text_string_to_metric_families(text) for s in f.samples if s.name == name]


def test_labels_are_templates_methods_and_status_classes(tmp_path):
    with TestClient(create_app(make_settings(tmp_path))) as c:
        u = register(c)
        doc = "ab" * 16
        assert c.get(f"/documents/{doc}", headers=auth(u["access"])).status_code == 404
        assert c.get("/no/such/path/4242").status_code == 404
        assert c.get("/accounts/me", headers=auth(u["access"])).status_code == 200
        text = c.get("/metrics").text
    counts = _samples(text, "cofre_http_request_duration_seconds_count")
    labels = {(s.labels["method"], s.labels["route"], s.labels["status_class"]) for s in counts}
    assert ("GET", "/documents/{doc_id}", "4xx") in labels
    assert ("GET", "/accounts/me", "2xx") in labels
    assert ("POST", "/auth/login", "2xx") in labels
    assert ("GET", "unmatched", "4xx") in labels
    assert all(set(s.labels) == {"method", "route", "status_class"} for s in counts)
    assert all(re.fullmatch(r"[1-5]xx", s.labels["status_class"]) for s in counts)
    assert doc not in text and "/no/such/path" not in text and "4242" not in text
    bounds = {float(s.labels["le"]) for s in _samples(text, "cofre_http_request_duration_seconds_bucket")}
    assert set(LATENCY_BUCKETS) <= bounds
