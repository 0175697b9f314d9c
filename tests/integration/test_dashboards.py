"""Every PromQL expression of the Grafana dashboards, against a live Prometheus (Debian package) that
scrapes the gateway, a sandbox and the platform exporter with the SLO and model rules loaded: after
a short load each one parses and returns series."""

from __future__ import annotations

import json
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client import start_http_server

from cofre.embedded import gateway
from lake import delta
from pipelines.exporter import registry
from sandbox.identity import notify_app
from sandbox.metrics import SandboxMetrics
from tests.lgpd_kit import _fill
from tests.ops_kit import Served, free_port
from tests.unit.serving_kit import add_key, auth, deposit, make_settings, register, step_up

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "deploy"))

from opsctl import dashboards, slo  # noqa: E402
from stackctl.monitoring import RULES_DIR, Alertmanager, AlertWebhook, Prometheus, Targets, Timing  # noqa: E402

pytestmark = pytest.mark.integration


@dg.asset(key_prefix=["gold"])
def customer_day() -> int:
    return 1


@dg.asset
def failing() -> int:
    raise RuntimeError("source down")


@dg.asset(key=dg.AssetKey(["models", "drift"]))
def drift() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"psi/fraud/amount_cents": 0.31, "psi/fraud/hour_of_day": 0.02})


def _load(c: TestClient, users: dict) -> None:
    """One round of the app's traffic: statement, transfers (rules fraud screen), scores, misses."""
    alice, bob_key = users["alice"], users["bob_key"]
    for _ in range(3):
        assert c.get("/accounts/me", headers=auth(alice["access"])).status_code == 200
        r = c.post(
            "/pix/transfers",
            json={"amount_cents": 150, "key": bob_key},
            headers=auth(alice["access"], **{"Idempotency-Key": uuid.uuid4().hex}),
        )
        assert r.status_code in (200, 201, 202), r.text
        assert (
            c.post(
                "/fraud/score",
                json={"amount_cents": 100, "counterparty_key": bob_key},
                headers=auth(alice["access"]),
            ).status_code
            == 503
        )
        assert c.get("/documents/" + "ab" * 16, headers=auth(alice["access"])).status_code == 404


def test_every_dashboard_expression_returns_series(tmp_path):
    s = make_settings(tmp_path / "home", stepup_amount_cents=10**12)
    app = gateway(s)
    # the exporter's sources: a Dagster instance with runs and assets, a lake with quarantine
    now = datetime.now(UTC)
    delta.append(
        "quarantine.rows",
        _fill(
            "quarantine.rows",
            [{"source_table": "silver.transactions", "run_id": "r", "reason": "bad", "quarantined_at": now}],
        ),
        s,
    )
    inst = dg.DagsterInstance.ephemeral()
    assert dg.materialize([customer_day], instance=inst).success
    assert dg.materialize([drift], instance=inst).success
    assert not dg.materialize([failing], instance=inst, raise_on_error=False).success
    exporter_port = free_port()
    exporter, _ = start_http_server(
        exporter_port, addr="127.0.0.1", registry=registry(s, instance=inst, cache_s=0)
    )

    rules = tmp_path / "slo.rules.yml"  # the production windows, evaluated every second
    rules.write_text(slo.render_rules(slo.load()[1], slo.Windows(interval="1s")))
    models_rules = tmp_path / "models.rules.yml"
    models_rules.write_text(
        (RULES_DIR / "models.rules.yml").read_text().replace("interval: 1m", "interval: 1s")
    )
    stack = tmp_path / "stack"
    fast = Timing.fast()
    hook = AlertWebhook(stack, free_port())
    am = Alertmanager(stack, free_port(), hook.url() + "/alerts", timing=fast)
    gw_port, sb_port = free_port(), free_port()
    targets = Targets((f"127.0.0.1:{gw_port}",), (f"127.0.0.1:{exporter_port}",), (f"127.0.0.1:{sb_port}",))
    prom = Prometheus(stack, free_port(), f"127.0.0.1:{am.port}", targets, (rules, models_rules), fast)
    started = []
    try:
        for srv in (hook, am, prom):
            srv.start(60)
            started.append(srv)
        sandbox = SandboxMetrics(notify_app(s), "notify")
        with Served(app, gw_port), Served(sandbox, sb_port) as sb_url:
            c = TestClient(app)
            admin, alice, bob = register(c, role="admin"), register(c), register(c)
            deposit(c, admin, alice["account_id"], 1_000_000)
            users = {"alice": alice, "bob_key": add_key(c, bob, step_up(c, bob))}
            httpx.get(sb_url + "/no/such/route")
            _load(c, users)
            exprs = [
                (f"{name}: {title}", e)
                for name in dashboards.DASHBOARDS
                for title, e in dashboards.expressions(
                    json.loads((dashboards.OUT / f"cofre-{name}.json").read_text())
                )
            ]
            assert len(exprs) >= 30
            empty: dict[str, str] = {}
            deadline = time.monotonic() + 90
            while True:
                _load(c, users)  # keep the counters moving so rate() has two samples
                httpx.get(sb_url + "/no/such/route")
                empty = {}
                for where, e in exprs:
                    result = prom.query(e)  # raises on a parse error
                    if not result:
                        empty[where] = e
                if not empty or time.monotonic() > deadline:
                    break
                time.sleep(2)
            assert not empty, f"expressions without series after the load: {json.dumps(empty, indent=1)}"
            drift_alerts = prom.query('ALERTS{alertname="ModelFeatureDrift"}')
            assert any(a["metric"]["feature"] == "amount_cents" for a in drift_alerts), drift_alerts
    finally:
        for srv in reversed(started):
            srv.stop(20)
        exporter.shutdown()
