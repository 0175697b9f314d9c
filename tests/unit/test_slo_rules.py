"""SLOs as code: the generated Prometheus rules are valid and behave (``promtool test rules`` on
synthetic series: a burning service pages, a healthy one does not), the committed rule file and the
README's SLA table match deploy/slo/slos.yaml, and every latency objective is a histogram bound."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "deploy"))

from opsctl import slo  # noqa: E402

from serving.metrics import LATENCY_BUCKETS  # noqa: E402

HTTP = "cofre_http_request_duration_seconds"


def promtool() -> str:
    exe = shutil.which("promtool")
    assert exe, "promtool missing: `bash deploy/tools.sh` installs Debian's prometheus package"
    return exe


@pytest.fixture(scope="module")
def objectives():
    return slo.load()[1]


def _pick(objectives, service: str, kind: str) -> slo.Objective:  # noqa: ANN001
    return next(o for o in objectives if o.service == service and o.slo == kind)


def _expected(rule_file: dict, alertname: str) -> list[dict]:
    return [
        {"exp_labels": dict(r["labels"]), "exp_annotations": dict(r["annotations"])}
        for g in rule_file["groups"]
        for r in g["rules"]
        if r.get("alert") == alertname
    ]


def _run(tmp_path: Path, objectives: list[slo.Objective], series: list[dict], checks: list[dict]) -> None:
    (tmp_path / "rules.yml").write_text(slo.render_rules(objectives))
    test = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": series, "alert_rule_test": checks}],
    }
    (tmp_path / "test.yml").write_text(yaml.safe_dump(test, sort_keys=False))
    r = subprocess.run(
        [promtool(), "test", "rules", "test.yml"], cwd=tmp_path, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_generated_rules_pass_promtool_check(tmp_path, objectives):
    path = tmp_path / "slo.rules.yml"
    path.write_text(slo.render_rules(objectives))
    r = subprocess.run([promtool(), "check", "rules", str(path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    n_alerts = sum(1 for g in slo.rules(objectives)["groups"] for x in g["rules"] if "alert" in x)
    assert n_alerts == 4 * len(objectives)  # two page and two ticket burn-rate pairs per objective


def test_error_burst_pages_and_tickets_fraud_availability(tmp_path, objectives):
    """10 % of fraud scores fail (100x the 0.1 % budget): all four burn-rate pairs fire after 70 min."""
    o = _pick(objectives, "fraud", "availability")
    labels = 'route="/fraud/score",method="POST"'
    series = [
        {"series": f'{HTTP}_count{{{labels},status_class="2xx"}}', "values": "0+90x200"},
        {"series": f'{HTTP}_count{{{labels},status_class="5xx"}}', "values": "0+10x200"},
    ]
    name = "SLOBurnRateFraudAvailability"
    expected = _expected(slo.rules([o]), name)
    assert {e["exp_labels"]["severity"] for e in expected} == {"page", "ticket"}
    _run(tmp_path, [o], series, [{"eval_time": "70m", "alertname": name, "exp_alerts": expected}])


def test_a_healthy_service_raises_nothing(tmp_path, objectives):
    """0.01 % errors (a tenth of the budget) and every answer within 10 ms: no alert of either kind."""
    objs = [_pick(objectives, "fraud", "availability"), _pick(objectives, "fraud", "latency")]
    labels = 'route="/fraud/score",method="POST"'
    series = [
        {"series": f'{HTTP}_count{{{labels},status_class="2xx"}}', "values": "0+9999x200"},
        {"series": f'{HTTP}_bucket{{{labels},status_class="2xx",le="0.01"}}', "values": "0+9999x200"},
        {"series": f'{HTTP}_count{{{labels},status_class="5xx"}}', "values": "0+1x200"},
    ]
    checks = [
        {"eval_time": t, "alertname": n, "exp_alerts": []}
        for t in ("10m", "70m", "180m")
        for n in ("SLOBurnRateFraudAvailability", "SLOBurnRateFraudLatency")
    ]
    _run(tmp_path, objs, series, checks)


def test_slow_answers_burn_the_latency_budget_not_availability(tmp_path, objectives):
    """Half the fraud scores take over 10 ms: the latency objective pages, availability stays quiet."""
    objs = [_pick(objectives, "fraud", "availability"), _pick(objectives, "fraud", "latency")]
    labels = 'route="/fraud/score",method="POST",status_class="2xx"'
    series = [
        {"series": f"{HTTP}_count{{{labels}}}", "values": "0+100x200"},
        {"series": f'{HTTP}_bucket{{{labels},le="0.01"}}', "values": "0+50x200"},
    ]
    name = "SLOBurnRateFraudLatency"
    checks = [
        {"eval_time": "70m", "alertname": name, "exp_alerts": _expected(slo.rules(objs), name)},
        {"eval_time": "70m", "alertname": "SLOBurnRateFraudAvailability", "exp_alerts": []},
    ]
    _run(tmp_path, objs, series, checks)


def test_stale_gold_asset_burns_the_freshness_budget(tmp_path, objectives):
    """A gold asset last materialised at t=0 goes stale after 26 h; at 28 h every pair fires, while an
    asset materialised every minute keeps its objective quiet."""
    o = _pick(objectives, "pipelines_freshness", "freshness")
    metric = "cofre_dagster_asset_last_materialization_timestamp_seconds"
    name = "SLOBurnRatePipelinesFreshnessFreshness"
    stale = [{"series": f'{metric}{{asset="gold/customer_day"}}', "values": "0x1800"}]
    _run(
        tmp_path,
        [o],
        stale,
        [{"eval_time": "28h", "alertname": name, "exp_alerts": _expected(slo.rules([o]), name)}],
    )
    fresh = [{"series": f'{metric}{{asset="gold/customer_day"}}', "values": "0+60x1800"}]
    _run(tmp_path, [o], fresh, [{"eval_time": "28h", "alertname": name, "exp_alerts": []}])


def test_latency_thresholds_are_histogram_bounds(objectives):
    for o in objectives:
        if o.slo == "latency":
            assert o.threshold_s in LATENCY_BUCKETS, f"{o.service}: {o.threshold_s} s is not a bucket bound"


def test_committed_rules_and_readme_table_match_the_slo_file():
    """Edit deploy/slo/slos.yaml, then run `python deploy/opsctl/slo.py rules` and paste
    `python deploy/opsctl/slo.py readme` into README.md."""
    assert slo.main(["check"]) == 0


def test_every_service_of_the_issue_has_objectives(objectives):
    services = {o.service for o in objectives}
    expected = {"auth", "pix", "fraud", "suitability", "recommendations", "documents", "lgpd", "audit"}
    assert expected | {"chat", "kyc", "pipelines_freshness"} <= services
    for s in services - {"pipelines_freshness"}:
        assert {o.slo for o in objectives if o.service == s} == {"availability", "latency"}


def test_every_gateway_route_belongs_to_exactly_one_service(objectives):
    """A new route is measured by some service's objectives (Prometheus anchors ``=~`` regexes)."""
    import re

    from serving.api import health
    from serving.app import default_routers

    patterns = {o.service: re.compile(o.routes) for o in objectives if o.slo == "availability"}
    operational = {r.path for r in health.router.routes}  # /health, /ready, /metrics: probes
    owners = {}
    for router in default_routers():
        for route in router.routes:
            if route.path in operational:
                continue
            owners[route.path] = [s for s, p in patterns.items() if p.fullmatch(route.path)]
    assert len(owners) > 30, owners
    bad = {path: svc for path, svc in owners.items() if len(svc) != 1}
    assert not bad, f"routes measured by no service or by several: {bad}"
