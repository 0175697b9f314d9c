"""`cofre models train-fraud` on a generated card log against a real local MLflow store (it trains:
a component test; the trainer's pure parts are in tests/unit/test_fraud_generic.py)."""

from __future__ import annotations

import json

import pandas as pd
import pytest


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


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
