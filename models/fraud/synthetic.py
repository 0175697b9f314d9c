"""Synthetic transactions with fraud scenarios (deterministic per seed) for tests before the simulator.

Rows carry ``booked_at`` over ``months`` months, the fraud features of
:mod:`models.fraud.features`, ``is_fraud`` and ``fraud_scenario`` (the world's FRAUD_SCENARIOS):
account_takeover (new device, right after a login, large amount to a new counterparty), pix_scam
(large PIX to a new key from the usual device), card_testing (bursts of small card payments at a
few merchant codes), mule_account (young account, many incoming then outgoing payments).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SCENARIOS = ("account_takeover", "pix_scam", "card_testing", "mule_account")
CHANNELS = ("PIX", "CARD", "BOLETO", "TED")


def make_fraud_frame(n: int = 40_000, fraud_rate: float = 0.005, months: int = 6, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2026-01-01", tz="UTC")
    secs = rng.integers(0, months * 30 * 86400, n)
    booked = start + pd.to_timedelta(np.sort(secs), unit="s")
    avg = np.rint(np.exp(rng.normal(9.5, 0.8, n))).astype(np.int64)
    amount = np.maximum(100, np.rint(avg * np.exp(rng.normal(0, 0.6, n)))).astype(np.int64)
    channel = np.array(CHANNELS)[rng.choice(4, n, p=[0.55, 0.3, 0.1, 0.05])]
    n_cp = 5000
    df = pd.DataFrame({
        "booked_at": booked,
        "amount_cents": amount,
        "avg_amount_30d_cents": avg,
        "txn_count_1h": rng.poisson(0.6, n),
        "txn_count_24h": rng.poisson(4, n),
        "amount_sum_24h_cents": (amount * rng.uniform(1, 4, n)).astype(np.int64),
        "distinct_counterparties_24h": rng.poisson(2, n),
        "is_new_device": (rng.random(n) < 0.03).astype(int),
        "is_new_counterparty": (rng.random(n) < 0.15).astype(int),
        "minutes_since_login": rng.exponential(120, n).round(1),
        "account_age_days": rng.integers(10, 3000, n),
        "incoming_count_24h": rng.poisson(1.5, n),
        "counterparty_key": np.array([f"key{i}" for i in range(n_cp)])[rng.zipf(1.3, n) % n_cp],
        "device_id": np.array([f"dev{i}" for i in range(n // 3)])[rng.integers(0, n // 3, n)],
        "mcc": np.where(channel == "CARD", rng.choice(["5411", "5812", "5912", "5311", "4121"], n), None),
        "channel": channel,
        "is_fraud": False,
        "fraud_scenario": None,
    })
    df["booked_at"] = booked
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
        base = df.loc[ii, "avg_amount_30d_cents"].to_numpy()
        if name == "account_takeover":
            df.loc[ii, "is_new_device"] = (rng.random(k) < 0.9).astype(int)
            df.loc[ii, "minutes_since_login"] = rng.exponential(4, k).round(1)
            df.loc[ii, "amount_cents"] = (base * rng.uniform(4, 15, k)).astype(np.int64)
            df.loc[ii, "is_new_counterparty"] = 1
            df.loc[ii, "channel"] = "PIX"
            df.loc[ii, "booked_at"] = df.loc[ii, "booked_at"].dt.floor("D") + pd.to_timedelta(3 + hour_shift[ii], unit="h")
        elif name == "pix_scam":
            df.loc[ii, "amount_cents"] = (base * rng.uniform(3, 10, k)).astype(np.int64)
            df.loc[ii, "is_new_counterparty"] = (rng.random(k) < 0.95).astype(int)
            df.loc[ii, "channel"] = "PIX"
            df.loc[ii, "txn_count_24h"] = rng.poisson(7, k)
        elif name == "card_testing":
            df.loc[ii, "amount_cents"] = rng.integers(100, 600, k)
            df.loc[ii, "txn_count_1h"] = rng.poisson(9, k)
            df.loc[ii, "channel"] = "CARD"
            df.loc[ii, "mcc"] = rng.choice(["5816", "5999"], k)
        else:
            df.loc[ii, "account_age_days"] = rng.integers(1, 60, k)
            df.loc[ii, "incoming_count_24h"] = rng.poisson(12, k)
            df.loc[ii, "distinct_counterparties_24h"] = rng.poisson(10, k)
        df.loc[ii, "amount_sum_24h_cents"] = np.maximum(df.loc[ii, "amount_sum_24h_cents"], df.loc[ii, "amount_cents"]) * 2
    return df.sort_values("booked_at", kind="stable").reset_index(drop=True)
