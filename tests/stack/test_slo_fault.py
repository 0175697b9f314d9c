"""SLO fault test against real Prometheus and Alertmanager (Debian packages): the gateway served by
uvicorn on loopback, scraped every second with the generated SLO rules at short windows
(``Windows.scaled``); the fraud model is made unavailable and the fraud availability burn-rate
alert reaches the webhook receiver, while the healthy services raise nothing.

Loops are bounded by request counts and deadlines; the timings measured are printed (not asserted).
"""

from __future__ import annotations

import time

import httpx
import pytest
from ops_kit import Served, free_port
from opsctl import slo
from serving_kit import PASSWORD, make_settings, new_cpf
from stackctl.monitoring import Alertmanager, AlertWebhook, Prometheus, Targets, Timing

from cofre.embedded import gateway

ALERT = "SLOBurnRateFraudAvailability"
HEALTHY = ("auth", "accounts")


@pytest.fixture
def monitoring(tmp_path):
    stack = tmp_path / "stack"
    objectives = [o for o in slo.load()[1] if o.service in ("fraud", *HEALTHY)]
    rules = tmp_path / "slo-test.rules.yml"
    rules.write_text(slo.render_rules(objectives, slo.Windows.scaled()))
    fast = Timing.fast()
    webhook = AlertWebhook(stack, free_port())
    am = Alertmanager(stack, free_port(), webhook.url() + "/alerts", timing=fast)
    gw_port = free_port()
    prom = Prometheus(
        stack, free_port(), f"127.0.0.1:{am.port}", Targets((f"127.0.0.1:{gw_port}",), (), ()), (rules,), fast
    )
    started = []
    try:
        for srv in (webhook, am, prom):
            srv.start(60)
            started.append(srv)
        yield {"webhook": webhook, "prometheus": prom, "gateway_port": gw_port}
    finally:
        for srv in reversed(started):
            srv.stop(20)


def _firing(webhook: AlertWebhook, name: str) -> list[dict]:
    return [
        a
        for note in webhook.alerts()
        for a in note["payload"]["alerts"]
        if a["labels"].get("alertname") == name and a["status"] == "firing"
    ]


def test_fraud_model_unavailable_fires_the_burn_rate_alert(tmp_path, monitoring):
    app = gateway(make_settings(tmp_path / "home"))
    scoring = app.state.services.scoring
    webhook, prom = monitoring["webhook"], monitoring["prometheus"]
    with Served(app, monitoring["gateway_port"]) as base, httpx.Client(base_url=base, timeout=10) as c:
        email = f"slo{new_cpf()}@example.com"
        r = c.post(
            "/auth/register", json={"cpf": new_cpf(), "name": "Carga", "email": email, "password": PASSWORD}
        )
        assert r.status_code == 201, r.text
        token = c.post("/auth/login", json={"email": email, "password": PASSWORD}).json()["access_token"]
        h = {"Authorization": f"Bearer {token}"}
        # healthy traffic until Prometheus has scraped it (bounded: 60 s)
        deadline = time.monotonic() + 60
        while not prom.query('cofre_http_request_duration_seconds_count{route="/accounts/me"}'):
            assert time.monotonic() < deadline, "Prometheus never scraped the gateway"
            assert c.get("/accounts/me", headers=h).status_code == 200
            time.sleep(0.2)  # noqa: TID251 - paces the load: Prometheus scrapes and evaluates on its own clock
        # the fault: the fraud model becomes unavailable (its registry is gone)
        scoring.models.pop("fraud", None)
        scoring.unavailable["fraud"] = "registry unreachable (fault injected)"
        t_fault = time.monotonic()
        fired_after = None
        for _ in range(900):  # at most ~90 s of traffic
            r = c.post(
                "/fraud/score", json={"amount_cents": 1000, "counterparty_key": "+5511999990000"}, headers=h
            )
            assert r.status_code == 503 and r.json()["code"] == "model_unavailable", r.text
            assert c.get("/accounts/me", headers=h).status_code == 200
            if _firing(webhook, ALERT):
                fired_after = time.monotonic() - t_fault
                break
            time.sleep(0.1)  # noqa: TID251 - paces the load: Prometheus scrapes and evaluates on its own clock
        assert fired_after is not None, f"{ALERT} never reached the webhook; alerts: {webhook.alerts()}"
        alerts = _firing(webhook, ALERT)
        assert {a["labels"]["severity"] for a in alerts} >= {"page"}
        assert all(a["labels"]["slo_service"] == "fraud" for a in alerts)
        print(f"\n{ALERT} (page) reached the webhook {fired_after:.1f} s after the fault")
        # the healthy services raised nothing
        others = [
            a
            for note in webhook.alerts()
            for a in note["payload"]["alerts"]
            if a["labels"].get("slo_service") in HEALTHY
        ]
        assert not others, others
        ratio = prom.query('slo:sli_error:ratio_rate10s{slo_service="fraud", slo="availability"}')
        assert ratio and float(ratio[0]["value"][1]) > 0.5, ratio
