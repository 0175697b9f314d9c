"""The generic fraud trainer: counterparty risk windows with label delay, the time split, card precision@k,
and `cofre models train-fraud` on a generated card log against a real local MLflow store."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.fraud.generic import DAY_US, card_precision_at_k, time_split
from pipelines.gold.transaction_log import counterparty_risk


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 40 * 24), st.integers(0, 1)), min_size=1, max_size=60
    ),
    delay=st.integers(0, 8),
)
def test_counterparty_risk_uses_only_labels_known_before_the_delay(rows, delay):
    cp = np.array([r[0] for r in rows], dtype=np.int64)
    t = np.array([r[1] for r in rows], dtype=np.int64) * 3_600_000_000  # hours
    y = np.array([r[2] for r in rows], dtype=np.int64)
    got = counterparty_risk(cp, t, y, delay, days=(1, 7))
    for i in range(len(rows)):
        for w in (1, 7):
            lo, hi = t[i] - (delay + w) * DAY_US, t[i] - delay * DAY_US
            m = (cp == cp[i]) & (t >= lo) & (t < hi)
            assert got[f"cp_tx_count_{w}d"][i] == m.sum()
            rate = y[m].sum() / m.sum() if m.sum() else 0.0
            assert got[f"cp_fraud_rate_{w}d"][i] == pytest.approx(rate)


def test_time_split_leaves_the_delay_gap_and_the_test_days():
    t = np.arange(60) * DAY_US + 5
    sp = time_split(t, train_days=100, delay_days=7, test_days=14)
    assert sp.test_days == (46, 59) and sp.gap_days == (39, 45) and sp.train_days == (0, 38)
    assert len(sp.test) == 14 and len(sp.train) == 39
    sp = time_split(t, train_days=10, delay_days=7, test_days=14)
    assert sp.train_days == (29, 38)
    with pytest.raises(ValueError, match="too few"):
        time_split(t, train_days=10, delay_days=40, test_days=20)


def test_card_precision_at_k_counts_customers_per_day():
    # day 0: customers a (fraud, score .9), b (.8), c (.1); day 1: a (.2), b (fraud .7)
    cust = np.array(["a", "a", "b", "c", "a", "b"])
    day = np.array([0, 0, 0, 0, 1, 1])
    y = np.array([0, 1, 0, 0, 0, 1])
    s = np.array([0.9, 0.3, 0.8, 0.1, 0.2, 0.7])
    assert card_precision_at_k(cust, day, y, s, 1) == pytest.approx((1 / 1 + 1 / 1) / 2)
    assert card_precision_at_k(cust, day, y, s, 2) == pytest.approx((1 / 2 + 1 / 2) / 2)
    assert card_precision_at_k(cust, day, y, s, 4) == pytest.approx((1 / 4 + 1 / 4) / 2)


def test_train_fraud_cli_on_a_card_log_registers_under_the_files_name(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from cofre.cli import app
    from lake.settings import get_settings
    from models import registry
    from sandbox.card_fraud import make_card_log

    log = make_card_log(300, 600, 60, seed=2)
    assert 0.002 < log["is_fraud"].mean() < 0.02 and set(log["scenario"]) >= {0, 1, 2}
    path = tmp_path / "cards.parquet"
    log.to_parquet(path)
    monkeypatch.setenv("COFRE_HOME", str(tmp_path))
    monkeypatch.setenv("COFRE_PROFILE", "embedded")
    args = ["models", "train-fraud", "--transactions", str(path), "--customer", "customer_id"]
    args += ["--counterparty", "terminal_id", "--amount", "amount_cents", "--time", "tx_time"]
    args += ["--label", "is_fraud", "--k", "10", "--json"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["model_name"] == "fraud-cards" and out["version"] == "1"
    assert out["split_days"]["test"] == [46, 59] and out["split_days"]["gap"] == [39, 45]
    for who in ("model", "baseline_logit"):
        m = out["metrics"][who]
        assert 0.5 < m["roc_auc"] <= 1 and 0 < m["auprc"] <= 1 and 0 <= m["card_precision_at_10"] <= 1
    assert out["metrics"]["model"]["auprc"] > 0.2  # terminals/cards compromised are learnable
    get_settings.cache_clear()
    registry.clear_cache()
    client = registry.configure(get_settings())
    assert {m.name for m in client.search_registered_models()} == {"fraud-cards"}
    model = registry.load_champion("fraud-cards")
    assert model.metadata["delay_days"] == 7

    bad = CliRunner().invoke(app, [*args[:-1], "--no-mlflow", "--label", "nope"])
    assert bad.exit_code == 2 and "nope" in bad.stderr
    pd.testing.assert_frame_equal(make_card_log(50, 100, 10, seed=3), make_card_log(50, 100, 10, seed=3))
