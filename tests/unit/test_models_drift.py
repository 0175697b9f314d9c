"""Model monitoring: PSI against a plain reference implementation (hypothesis), the daily asset over
real Delta tables, the exporter publishing it, and the ModelFeatureDrift rule firing above 0.2."""

from __future__ import annotations

import math
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import numpy as np
import polars as pl
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import generate_latest

from lake import delta
from models.drift import EPS, psi
from pipelines.drift_assets import compute
from pipelines.exporter import registry
from tests.lgpd_kit import _fill
from tests.unit.serving_kit import make_settings

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


def reference_psi(ref: list[float], live: list[float], bins: int = 10) -> float:
    """Textbook PSI, one bin at a time (the reference's decile cut points, open ends)."""
    srt = sorted(ref)
    cuts = sorted({float(np.quantile(srt, i / bins)) for i in range(1, bins)})
    total = 0.0
    for i in range(len(cuts) + 1):
        lo = cuts[i - 1] if i > 0 else -math.inf
        hi = cuts[i] if i < len(cuts) else math.inf
        e = max(sum(1 for x in ref if lo <= x < hi) / len(ref), EPS)
        a = max(sum(1 for x in live if lo <= x < hi) / len(live), EPS)
        total += (a - e) * math.log(a / e)
    return total


values = st.lists(st.integers(-1000, 1000).map(float), min_size=1, max_size=200)


@settings(max_examples=200, deadline=None)
@given(values, values)
def test_psi_matches_the_reference(ref, live):
    assert psi(np.array(ref), np.array(live)) == pytest_approx(reference_psi(ref, live))


def pytest_approx(x: float):  # noqa: ANN201
    import pytest

    return pytest.approx(x, rel=1e-9, abs=1e-12)


def test_psi_reads_stable_and_shifted_populations():
    rng = np.random.default_rng(7)
    base = rng.normal(0, 1, 20_000)
    assert psi(base, rng.normal(0, 1, 5_000)) < 0.02
    assert psi(base, rng.normal(1, 1, 5_000)) > 0.2


def _transactions(n_ref: int, n_live: int, live_amount: float, rng) -> pl.DataFrame:  # noqa: ANN001
    rows = []
    for i in range(n_ref + n_live):
        live = i >= n_ref
        at = NOW - (
            timedelta(hours=int(rng.integers(1, 23))) if live else timedelta(days=int(rng.integers(2, 60)))
        )
        amount = int(rng.lognormal(live_amount if live else 8.0, 0.5))
        rows.append(
            {
                "transaction_id": f"t{i}",
                "customer_pk": "c" * 64,
                "booked_at": at,
                "booked_month": at.strftime("%Y-%m"),
                "amount_cents": amount,
                "credit_debit_type": "DEBITO",
                "type": "PIX",
                "hour_of_day": int(rng.integers(0, 24)),
                "day_of_week": 1,
                "tx_count_24h": int(rng.integers(0, 5)),
            }
        )
    return _fill("gold.transaction_features", rows)


def test_daily_drift_asset_exports_psi_and_the_rule_alerts(tmp_path):
    s = make_settings(tmp_path)
    rng = np.random.default_rng(3)
    delta.append(
        "gold.transaction_features", _transactions(3000, 600, 9.5, rng), s
    )  # amounts ~4.5x in the last day
    result = compute(s, NOW)
    meta = {k: v.value for k, v in result.metadata.items()}
    assert meta["psi/fraud/amount_cents"] > 0.2
    assert meta["psi/fraud/hour_of_day"] < 0.1
    assert (
        "fraud/amount_cents" in meta["drifted_over_0_2"]
        and "fraud/hour_of_day" not in meta["drifted_over_0_2"]
    )

    @dg.asset(key=dg.AssetKey(["models", "drift"]))
    def drift_now() -> dg.MaterializeResult:
        return result

    inst = dg.DagsterInstance.ephemeral()
    assert dg.materialize([drift_now], instance=inst).success
    text = generate_latest(registry(s, instance=inst)).decode()
    line = next(
        x
        for x in text.splitlines()
        if x.startswith('cofre_model_feature_psi{feature="amount_cents",model="fraud"}')
    )
    exported = float(line.split()[-1])
    assert exported == round(meta["psi/fraud/amount_cents"], 6)

    # the alert rule, on the exported values
    promtool = shutil.which("promtool")
    assert promtool, "promtool missing (Debian package prometheus)"
    shutil.copy(REPO / "deploy" / "prometheus" / "rules" / "models.rules.yml", tmp_path / "models.rules.yml")
    test = {
        "rule_files": ["models.rules.yml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {
                        "series": 'cofre_model_feature_psi{model="fraud",feature="amount_cents"}',
                        "values": f"{exported}x10",
                    },
                    {
                        "series": 'cofre_model_feature_psi{model="fraud",feature="hour_of_day"}',
                        "values": f"{meta['psi/fraud/hour_of_day']}x10",
                    },
                ],
                "alert_rule_test": [
                    {
                        "eval_time": "2m",
                        "alertname": "ModelFeatureDrift",
                        "exp_alerts": [
                            {
                                "exp_labels": {
                                    "severity": "ticket",
                                    "model": "fraud",
                                    "feature": "amount_cents",
                                },
                                "exp_annotations": {
                                    "summary": f"fraud: feature amount_cents drifted (PSI {exported:.2f})",
                                    "description": "Population stability index above 0.2 between the last day and the training data; check the feature pipeline, then retrain or re-calibrate the model.",
                                },
                            }
                        ],
                    }
                ],
            }
        ],
    }
    (tmp_path / "t.yml").write_text(yaml.safe_dump(test, sort_keys=False))
    r = subprocess.run([promtool, "test", "rules", "t.yml"], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
