"""Sandboxes served by `cofre sandbox serve` expose /metrics: request latency by route template."""

from __future__ import annotations

from fastapi.testclient import TestClient

from sandbox.identity import notify_app
from sandbox.metrics import SandboxMetrics
from tests.unit.serving_kit import make_settings


def test_sandbox_requests_are_counted_by_route_template(tmp_path):
    app = SandboxMetrics(notify_app(make_settings(tmp_path)), "notify")
    with TestClient(app) as c:
        c.get("/no/such/route/77")
        text = c.get("/metrics").text
    assert (
        'cofre_sandbox_request_duration_seconds_count{route="unmatched",status_class="4xx",system="notify"} 1.0'
        in text
    )
    assert "/no/such/route" not in text
