"""The closing summary of ``cofre demo``: what the named Dagster runs materialised (assets and rows per layer),
the asset checks passed and failed, the models with their metrics and MLflow links, the audit day exported
and anchored, and where to look next as commands that can be pasted as they are (``.venv/bin/...`` from the
repository root; ``uv run cofre ...`` works too)."""

from __future__ import annotations

from typing import Any

from pipelines.run import RunReport

LAYER_ORDER = ("bronze", "silver", "gold", "features", "models", "monitoring", "audit")
# the metrics shown per model (the first ones present)
MODEL_METRICS = ("auprc", "roc_auc", "auc", "ks", "ndcg_at_3", "precision_at_3", "baseline_ndcg_at_3")


def _n(v: int) -> str:
    return f"{v:,}".replace(",", " ")


def _metrics(meta: dict[str, Any], limit: int = 3) -> str:
    metrics = {k.split("/", 1)[1]: v for k, v in meta.items() if k.startswith("metric/")}
    chosen = [k for k in MODEL_METRICS if k in metrics] or sorted(metrics)
    return " ".join(f"{k}={float(metrics[k]):.3f}" for k in chosen[:limit])


def summary_lines(report: RunReport, *, log_file: str, audit: dict[str, Any] | None = None) -> list[str]:
    """The summary table and the next steps, one string per line."""
    out = ["", "summary", f"  {'layer':<11}{'assets':>7}{'rows':>14}"]
    for layer in LAYER_ORDER:
        assets = [a for a in report.assets.values() if a.layer == layer]
        if not assets:
            continue
        rows = sum(a.rows for a in assets if isinstance(a.rows, int))
        out.append(f"  {layer:<11}{len(assets):>7}{_n(rows):>14}")
    passed = sum(c.passed for c in report.checks)
    failed = sum(not c.passed and c.severity == "ERROR" for c in report.checks)
    warned = sum(not c.passed and c.severity != "ERROR" for c in report.checks)
    out.append(f"  checks: {passed} passed, {failed} failed, {warned} warnings (of {len(report.checks)})")
    sampled = [c for c in report.checks if c.description and "sample" in c.description]
    for c in sampled:
        out.append(f"    {c.key}: {c.description}")
    models = report.models()
    if models:
        out.append("  models (MLflow registry):")
        for key, meta in models.items():
            state = "champion" if meta.get("promoted") else "challenger"
            out.append(
                f"    {key.split('/', 1)[1]:<10} v{meta.get('registry_version', '?')} {state:<10} "
                f"{_n(int(meta.get('dagster/row_count', 0)))} rows  {_metrics(meta)}"
            )
            if meta.get("mlflow_run"):
                out.append(f"               {meta['mlflow_run']}  (with `make mlflow`)")
    drift = report.assets.get("models/drift")
    if drift:
        drifted = drift.metadata.get("drifted_over_0_2") or []
        checked = drift.metadata.get("features_checked", 0)
        out.append(f"  drift: {checked} model features, PSI above 0.2: {', '.join(drifted) or 'none'}")
    out.append(
        "  Dagster runs: "
        + ", ".join(f"{name} {run_id[:8]}{'' if ok else ' FAILED'}" for name, run_id, ok in report.runs)
    )
    if audit:
        out.append(
            f"  audit trail: day {audit['day']}: {audit.get('events', 0)} events exported, anchor {audit.get('anchor', '-')}"
        )
    out.append(f"  full log: {log_file}")
    out += ["", "where to look next (from the repository root; `uv run cofre ...` works as well):"]
    out += [
        '  .venv/bin/cofre lake sql "SELECT day, sum(fraud_tx_count) FROM gold.customer_day GROUP BY 1 ORDER BY 1"',
        "  .venv/bin/cofre lake history silver.transactions      # write mode, run id, watermark of each commit",
        "  make dagster PORT=3000      # Dagster UI: lake_job, models_job, drift_job, audit_daily with their runs",
        "  make mlflow                 # MLflow UI on http://127.0.0.1:5000 (one worker)",
    ]
    if audit and audit.get("event_id"):
        out.append(f"  .venv/bin/cofre audit prove {audit['event_id']}   # inclusion proof of one event")
    out += [
        "  .venv/bin/cofre audit verify --require-events   # chain, proofs, anchor signatures",
        "  .venv/bin/cofre serve       # the API on http://127.0.0.1:8000 (/docs, /redoc work offline)",
        "  notebooks/lake_tour.ipynb   # .venv/bin/jupyter lab notebooks/lake_tour.ipynb",
    ]
    return out
