"""Grafana dashboards as code (grafana-foundation-sdk): deploy/grafana/dashboards/*.json, provisioned by
deploy/grafana/provisioning/ (a Prometheus datasource with uid ``prometheus`` and a file provider).

* ``cofre-overview``: RED per route of the gateway (rate, 5xx ratio, p50/p99 latency) and the sandboxes;
* ``cofre-slo``: per objective the error budget left, burn rates over the alert windows, firing alerts;
* ``cofre-fraud``: fraud score distribution, decision mix, block and review rates, feature drift (PSI);
* ``cofre-lake``: asset freshness, Dagster run outcomes, rows per layer, quarantine per target table.

    python deploy/opsctl/dashboards.py write     # regenerate the JSON files (and the Helm chart's copies
                                                 # of the dashboards and rule files)
    python deploy/opsctl/dashboards.py check     # fail when the committed JSON drifts from this code

Every PromQL expression is checked against a live Prometheus in tests/integration/test_dashboards.py.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DataSourceRef

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "deploy" / "grafana" / "dashboards"
RULES = REPO / "deploy" / "prometheus" / "rules"
CHART_FILES = (
    REPO / "deploy" / "helm" / "cofre" / "files"
)  # the chart packages copies (Helm reads only its own dir)
DS = DataSourceRef(type_val="prometheus", uid="prometheus")
HTTP = "cofre_http_request_duration_seconds"


def q(expr: str, legend: str = "", ref: str = "A") -> prometheus.Dataquery:
    return prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(ref).datasource(DS)


def ts(
    title: str, unit: str, *queries: tuple[str, str], w: int = 12, h: int = 8, desc: str = ""
) -> timeseries.Panel:
    p = timeseries.Panel().title(title).unit(unit).datasource(DS).span(w).height(h).description(desc)
    for i, (expr, legend) in enumerate(queries):
        p = p.with_target(q(expr, legend, chr(ord("A") + i)))
    return p


def st(title: str, unit: str, expr: str, legend: str = "", w: int = 6, h: int = 4) -> stat.Panel:
    return stat.Panel().title(title).unit(unit).datasource(DS).span(w).height(h).with_target(q(expr, legend))


def overview() -> db.Dashboard:
    d = db.Dashboard("cofre: service overview (RED per route)").uid("cofre-overview").tags(["cofre"])
    d = d.time("now-1h", "now").refresh("30s")
    rate = f"sum by (route) (rate({HTTP}_count[5m]))"
    errors = (
        f'sum by (route) (rate({HTTP}_count{{status_class="5xx"}}[5m])) '
        f"/ sum by (route) (rate({HTTP}_count[5m]))"
    )
    d = d.with_row(db.Row("Gateway"))
    d = d.with_panel(st("Requests / s", "reqps", f"sum(rate({HTTP}_count[5m]))"))
    d = d.with_panel(
        st(
            "5xx ratio",
            "percentunit",
            f'sum(rate({HTTP}_count{{status_class="5xx"}}[5m])) / sum(rate({HTTP}_count[5m]))',
        )
    )
    d = d.with_panel(
        st(
            "4xx ratio",
            "percentunit",
            f'sum(rate({HTTP}_count{{status_class="4xx"}}[5m])) / sum(rate({HTTP}_count[5m]))',
        )
    )
    d = d.with_panel(st("Targets up", "short", 'sum(up{job=~"gateway|exporter|sandboxes"})'))
    d = d.with_panel(ts("Rate per route", "reqps", (rate, "{{route}}")))
    d = d.with_panel(ts("Errors (5xx) per route", "percentunit", (errors, "{{route}}")))
    d = d.with_panel(
        ts(
            "Latency per route",
            "s",
            (f"histogram_quantile(0.5, sum by (route, le) (rate({HTTP}_bucket[5m])))", "p50 {{route}}"),
            (f"histogram_quantile(0.99, sum by (route, le) (rate({HTTP}_bucket[5m])))", "p99 {{route}}"),
            w=24,
        )
    )
    d = d.with_panel(
        ts(
            "Answers by status class",
            "reqps",
            (f"sum by (status_class) (rate({HTTP}_count[5m]))", "{{status_class}}"),
        )
    )
    d = d.with_row(db.Row("Sandboxes (external systems)"))
    sb = "cofre_sandbox_request_duration_seconds"
    d = d.with_panel(ts("Sandbox rate", "reqps", (f"sum by (system) (rate({sb}_count[5m]))", "{{system}}")))
    d = d.with_panel(
        ts(
            "Sandbox p99",
            "s",
            (f"histogram_quantile(0.99, sum by (system, le) (rate({sb}_bucket[5m])))", "{{system}}"),
        )
    )
    return d


def slo_dashboard() -> db.Dashboard:
    d = db.Dashboard("cofre: SLOs and error budgets").uid("cofre-slo").tags(["cofre", "slo"])
    d = d.time("now-7d", "now").refresh("1m")
    d = d.with_panel(
        ts(
            "Error budget left (30 d)",
            "percentunit",
            ("slo:error_budget_remaining:ratio", "{{slo_service}} {{slo}}"),
            w=24,
            desc="1 = untouched, 0 = spent; from deploy/slo/slos.yaml",
        )
    )
    burn = "slo:sli_error:ratio_rate{w} / on (slo_service, slo) group_left () (1 - slo:objective:ratio)"
    d = d.with_panel(
        ts("Burn rate 1 h (page at 14.4)", "short", (burn.format(w="1h"), "{{slo_service}} {{slo}}"))
    )
    d = d.with_panel(
        ts("Burn rate 6 h (page at 6)", "short", (burn.format(w="6h"), "{{slo_service}} {{slo}}"))
    )
    d = d.with_panel(
        ts("Burn rate 1 d (ticket at 3)", "short", (burn.format(w="1d"), "{{slo_service}} {{slo}}"))
    )
    d = d.with_panel(
        ts("Burn rate 3 d (ticket at 1)", "short", (burn.format(w="3d"), "{{slo_service}} {{slo}}"))
    )
    d = d.with_panel(
        ts(
            "SLI error ratio (5 min)",
            "percentunit",
            ("slo:sli_error:ratio_rate5m", "{{slo_service}} {{slo}}"),
            w=24,
        )
    )
    d = d.with_panel(
        ts(
            "Burn-rate alerts",
            "short",
            (
                'sum by (alertname, severity) (ALERTS{alertname=~"SLOBurnRate.*"}) or vector(0)',
                "{{alertname}} {{severity}}",
            ),
            w=24,
        )
    )
    return d


def fraud() -> db.Dashboard:
    d = db.Dashboard("cofre: fraud model").uid("cofre-fraud").tags(["cofre", "models"])
    d = d.time("now-24h", "now").refresh("1m")
    dec = 'cofre_decisions_total{service=~"fraud|fraud_score"}'
    d = d.with_panel(
        ts(
            "Fraud score quantiles",
            "percentunit",
            ("histogram_quantile(0.5, sum by (le) (rate(cofre_fraud_score_bucket[15m])))", "p50"),
            ("histogram_quantile(0.9, sum by (le) (rate(cofre_fraud_score_bucket[15m])))", "p90"),
            ("histogram_quantile(0.99, sum by (le) (rate(cofre_fraud_score_bucket[15m])))", "p99"),
        )
    )
    d = d.with_panel(
        ts(
            "Score distribution (share per bucket)",
            "percentunit",
            (
                "sum by (le) (increase(cofre_fraud_score_bucket[1h])) / scalar(sum(increase(cofre_fraud_score_count[1h])))",
                "le {{le}}",
            ),
        )
    )
    d = d.with_panel(ts("Decisions / s", "reqps", (f"sum by (outcome) (rate({dec}[15m]))", "{{outcome}}")))
    block = (
        '(sum(rate(cofre_decisions_total{service=~"fraud|fraud_score",outcome="block"}[1h])) or vector(0))'
    )
    review = (
        '(sum(rate(cofre_decisions_total{service=~"fraud|fraud_score",outcome="review"}[1h])) or vector(0))'
    )
    total = f"sum(rate({dec}[1h]))"
    d = d.with_panel(
        ts(
            "Block and review rates",
            "percentunit",
            (f"{block} / {total}", "block"),
            (f"{review} / {total}", "review"),
        )
    )
    d = d.with_panel(
        ts(
            "Feature drift against training (PSI; alert at 0.2)",
            "short",
            ('max by (feature) (cofre_model_feature_psi{model="fraud"})', "{{feature}}"),
            w=24,
            desc="population stability index of each top feature, daily Dagster asset models/drift",
        )
    )
    d = d.with_panel(
        ts("Model versions serving", "short", (f"count by (model_version) ({dec})", "{{model_version}}"))
    )
    return d


def lake() -> db.Dashboard:
    d = db.Dashboard("cofre: lake and pipelines").uid("cofre-lake").tags(["cofre", "lake"])
    d = d.time("now-7d", "now").refresh("5m")
    age = "time() - cofre_dagster_asset_last_materialization_timestamp_seconds"
    d = d.with_panel(
        ts("Asset age", "s", (age, "{{asset}}"), w=24, desc="freshness SLO: gold assets under 26 h")
    )
    gold_age = 'time() - min(cofre_dagster_asset_last_materialization_timestamp_seconds{asset=~"gold/.*"})'
    d = d.with_panel(st("Oldest gold asset", "s", gold_age))
    d = d.with_panel(st("Pipelines fresh (SLO)", "short", "cofre:pipeline_fresh:bool"))
    d = d.with_panel(
        st(
            "Failed runs (24 h)",
            "short",
            'sum(increase(cofre_dagster_runs_total{status="FAILURE"}[24h])) or vector(0)',
        )
    )
    d = d.with_panel(st("Exporter sources up", "short", "min(cofre_exporter_up)"))
    d = d.with_panel(
        ts("Run outcomes", "short", ("sum by (status) (cofre_dagster_runs_total)", "{{status}}"))
    )
    d = d.with_panel(ts("Rows per layer", "short", ("sum by (layer) (cofre_lake_rows)", "{{layer}}")))
    d = d.with_panel(
        ts("Quarantined rows by target table", "short", ("cofre_lake_quarantine_rows", "{{source_table}}"))
    )
    d = d.with_panel(
        ts("Materialisations per asset", "short", ("cofre_dagster_asset_materializations_total", "{{asset}}"))
    )
    return d


DASHBOARDS = {"overview": overview, "slo": slo_dashboard, "fraud": fraud, "lake": lake}


def render(name: str) -> str:
    return json.dumps(DASHBOARDS[name]().build(), cls=JSONEncoder, indent=2, sort_keys=True) + "\n"


def expressions(doc: dict) -> list[tuple[str, str]]:
    """(panel title, PromQL) of every query in a dashboard JSON (rows' panels included)."""
    out = []

    def walk(panels: list[dict]) -> None:
        for p in panels:
            for t in p.get("targets") or []:
                if t.get("expr"):
                    out.append((p.get("title", "?"), t["expr"]))
            walk(p.get("panels") or [])

    walk(doc.get("panels") or [])
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("command", choices=("write", "check"))
    args = p.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    drift = []
    for name in DASHBOARDS:
        path = OUT / f"cofre-{name}.json"
        text = render(name)
        if args.command == "write":
            path.write_text(text)
            print(f"wrote {path}")
        elif not path.exists() or path.read_text() != text:
            drift.append(str(path))
    for src_dir, pattern, sub in ((OUT, "*.json", "dashboards"), (RULES, "*.yml", "rules")):
        for src in sorted(src_dir.glob(pattern)):
            dst = CHART_FILES / sub / src.name
            if args.command == "write":
                dst.parent.mkdir(parents=True, exist_ok=True)
                dst.write_bytes(src.read_bytes())
            elif not dst.exists() or dst.read_bytes() != src.read_bytes():
                drift.append(str(dst))
    for path in drift:
        print(
            f"{path} differs from deploy/opsctl/dashboards.py: run `python deploy/opsctl/dashboards.py write`"
        )
    return 1 if drift else 0


if __name__ == "__main__":
    sys.exit(main())
