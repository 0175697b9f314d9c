"""Synthetic scoring rows with fraud scenarios (deterministic per seed) for fast unit tests.

Rows carry ``booked_at``, every column of :data:`models.fraud.features.FEATURES` (the fraud_v1 names,
on-demand features included), ``is_fraud`` and ``fraud_scenario`` (the world's FRAUD_SCENARIOS):
account_takeover (device changed minutes before, night, large amount to a new counterparty),
pix_scam (large PIX to a new key from the usual device), card_testing (bursts of small card
payments), mule_account (many credits from many payers in the last day, then outgoing PIX).
The real training data comes from the lake through Feast (:mod:`models.fraud.lake`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SCENARIOS = ("account_takeover", "pix_scam", "card_testing", "mule_account")
CHANNELS = ("PIX", "CARD", "BOLETO", "TED")
TYPES = {"PIX": "PIX", "CARD": "CARTAO", "BOLETO": "BOLETO", "TED": "TED"}


def make_fraud_frame(
    n: int = 40_000, fraud_rate: float = 0.005, months: int = 6, seed: int = 0
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2026-01-01", tz="UTC")
    secs = rng.integers(0, months * 30 * 86400, n)
    booked = start + pd.to_timedelta(np.sort(secs), unit="s")
    avg = np.rint(np.exp(rng.normal(9.5, 0.8, n))).astype(np.int64)
    amount = np.maximum(100, np.rint(avg * np.exp(rng.normal(0, 0.6, n)))).astype(np.int64)
    channel = np.array(CHANNELS)[rng.choice(4, n, p=[0.55, 0.3, 0.1, 0.05])]
    c24 = rng.poisson(4, n)
    n_cp = 5000
    df = pd.DataFrame(
        {
            "booked_at": booked,
            "amount_cents": amount,
            "is_new_device": rng.random(n) < 0.03,
            "tx_count_1h": rng.poisson(0.6, n),
            "tx_count_24h": c24,
            "tx_count_7d": c24 * 5 + rng.poisson(3, n),
            "tx_count_30d": c24 * 20 + rng.poisson(10, n),
            "tx_sum_cents_1h": (avg * rng.poisson(0.6, n)).astype(np.int64),
            "tx_sum_cents_24h": (amount * rng.uniform(1, 4, n)).astype(np.int64),
            "tx_sum_cents_7d": (avg * c24 * 5).astype(np.int64),
            "tx_sum_cents_30d": (avg * c24 * 20).astype(np.int64),
            "distinct_counterparties_24h": rng.poisson(2, n),
            "distinct_counterparties_7d": rng.poisson(6, n),
            "distinct_counterparties_30d": rng.poisson(15, n),
            "mean_amount_cents_30d": avg.astype(float),
            "max_amount_cents_30d": (avg * rng.uniform(1.5, 4, n)).astype(np.int64),
            "tx_count": rng.poisson(4, n),
            "credit_cents": (avg * rng.poisson(1, n)).astype(np.int64),
            "debit_cents": (avg * rng.poisson(3, n)).astype(np.int64),
            "pix_out_count": rng.poisson(2, n),
            "pix_out_cents": (avg * rng.poisson(2, n)).astype(np.int64),
            "card_count": rng.poisson(1, n),
            "distinct_counterparties": rng.poisson(2, n),
            "new_device_tx_count": (rng.random(n) < 0.02).astype(int),
            "is_first_time_counterparty": rng.random(n) < 0.15,
            "minutes_since_last_login": rng.exponential(120, n).round(1),
            "minutes_since_device_change": rng.exponential(40_000, n).round(1),
            "counterparty_pk": np.array([f"key{i}" for i in range(n_cp)])[rng.zipf(1.3, n) % n_cp],
            "channel": channel,
            "credit_debit_type": np.where(rng.random(n) < 0.2, "CREDITO", "DEBITO"),
            "is_fraud": False,
            "fraud_scenario": None,
        }
    )
    hour_shift = rng.integers(0, 6, n)
    fraud = rng.random(n) < fraud_rate
    idx = np.flatnonzero(fraud)
    scen = np.array(SCENARIOS)[rng.choice(4, len(idx), p=[0.3, 0.35, 0.2, 0.15])]
    df.loc[idx, "is_fraud"] = True
    df.loc[idx, "fraud_scenario"] = scen
    for name in SCENARIOS:
        ii = idx[scen == name]
        k = len(ii)
        if not k:
            continue
        base = df.loc[ii, "mean_amount_cents_30d"].to_numpy()
        if name == "account_takeover":
            df.loc[ii, "is_new_device"] = rng.random(k) < 0.5
            df.loc[ii, "minutes_since_device_change"] = rng.exponential(4, k).round(1)
            df.loc[ii, "minutes_since_last_login"] = rng.exponential(4, k).round(1)
            df.loc[ii, "amount_cents"] = (base * rng.uniform(4, 15, k)).astype(np.int64)
            df.loc[ii, "is_first_time_counterparty"] = True
            df.loc[ii, "channel"] = "PIX"
            df.loc[ii, "booked_at"] = df.loc[ii, "booked_at"].dt.floor("D") + pd.to_timedelta(
                3 + hour_shift[ii], unit="h"
            )
        elif name == "pix_scam":
            df.loc[ii, "amount_cents"] = (base * rng.uniform(3, 10, k)).astype(np.int64)
            df.loc[ii, "is_first_time_counterparty"] = rng.random(k) < 0.95
            df.loc[ii, "channel"] = "PIX"
            df.loc[ii, "tx_count_24h"] = rng.poisson(7, k)
        elif name == "card_testing":
            df.loc[ii, "amount_cents"] = rng.integers(100, 600, k)
            df.loc[ii, "tx_count_1h"] = rng.poisson(9, k)
            df.loc[ii, "channel"] = "CARD"
        else:
            df.loc[ii, "credit_cents"] = (base * rng.uniform(8, 20, k)).astype(np.int64)
            df.loc[ii, "distinct_counterparties"] = rng.poisson(10, k)
            df.loc[ii, "distinct_counterparties_24h"] = rng.poisson(10, k)
            df.loc[ii, "channel"] = "PIX"
        df.loc[ii, "tx_sum_cents_24h"] = (
            np.maximum(df.loc[ii, "tx_sum_cents_24h"], df.loc[ii, "amount_cents"]) * 2
        )
    df["type"] = df["channel"].map(TYPES)
    mean, mx = df["mean_amount_cents_30d"], df["max_amount_cents_30d"].astype(float)
    df["amount_to_mean_30d"] = df["amount_cents"] / mean.where(mean > 0)
    df["amount_to_max_30d"] = df["amount_cents"] / mx.where(mx > 0)
    df["hour_of_day_brt"] = df["booked_at"].dt.tz_convert("America/Sao_Paulo").dt.hour
    return df.sort_values("booked_at", kind="stable").reset_index(drop=True)
