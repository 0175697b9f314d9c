"""Simulated world: configured fraud/default rates are met and latent risk orders outcomes."""

from __future__ import annotations

import polars as pl
import pytest
from typer.testing import CliRunner

from sandbox.simulator import SimConfig, generate_world

CFG = SimConfig(customers=3_000, months=4, seed=11, fraud_rate=0.01, default_rate=0.12)


@pytest.fixture(scope="module")
def world() -> dict[str, pl.DataFrame]:
    return generate_world(CFG)


def test_fraud_rate_matches_configuration(world):
    rate = world["transactions"]["is_fraud"].mean()
    assert abs(rate - CFG.fraud_rate) < 0.15 * CFG.fraud_rate
    scen = world["transactions"].filter(pl.col("is_fraud")).group_by("fraud_scenario").len()
    assert scen.height == 4


def test_default_rate_matches_configuration(world):
    assert abs(world["loans"]["defaulted_6m"].mean() - CFG.default_rate) < 0.01


def test_transactions_volume_per_customer_month(world):
    per = world["transactions"].height / (CFG.customers * CFG.months)
    assert 20 < per < 40


def test_risk_orders_scores_and_defaults(world):
    rank = pl.col("latent_risk").rank("ordinal")
    cu = world["customers"].with_columns(((rank - 1) * 10 // pl.len()).alias("decile"))
    score = world["bureau_scores"].group_by("customer_id").agg(pl.col("score").mean())
    by = cu.join(score, on="customer_id").group_by("decile").agg(pl.col("score").mean()).sort("decile")
    assert by["score"][0] > by["score"][-1] + 300
    loans = world["loans"].join(cu.select("customer_id", "latent_risk"), on="customer_id")
    loans = loans.with_columns(((pl.col("latent_risk").rank("ordinal") - 1) * 3 // pl.len()).alias("t"))
    d = loans.group_by("t").agg(pl.col("defaulted_6m").mean()).sort("t")["defaulted_6m"].to_list()
    assert d[0] < d[1] < d[2]
    # riskier customers use the overdraft more and are paid more irregularly
    tx = world["transactions"].join(cu.select("customer_id", "decile"), on="customer_id")
    od = tx.filter(pl.col("type") == "ENCARGOS_JUROS_CHEQUE_ESPECIAL").group_by("decile").len().sort("decile")
    assert od["len"][-1] > 3 * od["len"][0]


def test_cli_simulate_writes_world(tmp_path, monkeypatch):
    from cofre.cli import app

    monkeypatch.setenv("COFRE_HOME", str(tmp_path))
    res = CliRunner().invoke(app, ["simulate", "--customers", "50", "--months", "2", "--seed", "3"])
    assert res.exit_code == 0, res.output
    assert "transactions" in res.output and str(tmp_path / "world" / "3") in res.output.replace("\n", "")
    assert (tmp_path / "world" / "3" / "transactions.parquet").exists()
    bad = CliRunner().invoke(app, ["simulate", "--customers", "50", "--fraud-rate", "0.9"])
    assert bad.exit_code != 0
