"""Fraud labels are learnable from window aggregates (AUPRC well above chance) but no single signal
gives them away: a gradient-boosting model on past-only features is trained on early months and
scored on the last one."""

from __future__ import annotations

import polars as pl
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import average_precision_score

from sandbox.simulator import SimConfig, generate_world

FEATURES = [
    "amt",
    "hour",
    "is_credit",
    "first_cp",
    "ratio",
    "s1h",
    "n1h",
    "n10m",
    "cr24h",
    "nd24h",
    "is_new_device",
    "mcc",
    "type_c",
    "ch_c",
]


def window_features(tx: pl.DataFrame) -> pl.DataFrame:
    tx = tx.sort("customer_id", "booked_at")
    roll = {"1h": "n1h", "10m": "n10m"}
    return (
        tx.with_columns(
            pl.coalesce("counterparty_key", "counterparty_name", pl.lit("none")).alias("cp"),
            pl.col("amount_cents").cast(pl.Float64).alias("amt"),
            pl.lit(1).alias("one"),
            ((pl.col("booked_at").dt.hour().cast(pl.Int32) - 3) % 24).alias("hour"),
            (pl.col("credit_debit_type") == "CREDITO").cast(pl.Int32).alias("is_credit"),
            pl.col("type").cast(pl.Categorical).to_physical().alias("type_c"),
            pl.col("channel").cast(pl.Categorical).to_physical().alias("ch_c"),
        )
        .with_columns(
            (pl.int_range(pl.len()).over("customer_id", "cp") == 0).alias("first_cp"),
            pl.col("amt")
            .rolling_mean_by("booked_at", "30d")
            .over("customer_id", "credit_debit_type")
            .alias("m30"),
            pl.col("amt").rolling_sum_by("booked_at", "1h").over("customer_id").alias("s1h"),
            *[
                pl.col("one").rolling_sum_by("booked_at", w).over("customer_id").alias(a)
                for w, a in roll.items()
            ],
            pl.col("is_credit").rolling_sum_by("booked_at", "24h").over("customer_id").alias("cr24h"),
            pl.col("is_new_device")
            .cast(pl.Int32)
            .rolling_sum_by("booked_at", "24h")
            .over("customer_id")
            .alias("nd24h"),
        )
        .with_columns((pl.col("amt") / pl.col("m30")).alias("ratio"))
    )


def test_fraud_learnable_but_not_trivial():
    cfg = SimConfig(customers=3_000, months=4, seed=3)
    f = window_features(generate_world(cfg)["transactions"])
    X = f.select([pl.col(c).cast(pl.Float64) for c in FEATURES]).to_numpy()
    y = f["is_fraud"].to_numpy()
    test = (f["booked_at"].dt.month() == cfg.end_date.month).to_numpy()
    model = HistGradientBoostingClassifier(max_iter=200, random_state=0).fit(X[~test], y[~test])
    auprc = average_precision_score(y[test], model.predict_proba(X[test])[:, 1])
    assert auprc > 0.75, auprc
    for c in ("is_new_device", "first_cp", "n10m", "ratio", "amt"):
        single = average_precision_score(y[test], f[c].cast(pl.Float64).fill_null(0).to_numpy()[test])
        assert single < 0.5, (c, single)
