"""A card-transaction log with fraud, shaped like the public card-fraud benchmarks, for the generic fraud trainer.

Independent of the bank simulator. Customers live in neighbourhoods and pay at the terminals of
their neighbourhood, a Poisson number of times a day, amounts around their own mean. Fraud
(well under 1 %) comes from three mechanisms:

* terminal compromise: every day a Poisson number (mean terminals / 6000) of terminals is compromised; every payment at them during
  the next 28 days is fraud (scenario 1);
* card compromise: every day a Poisson number (mean customers / 1500) of cards is compromised; during the next 14 days a
  third of their payments are fraud, with amounts five times larger (scenario 2);
* amount anomaly: a rare card-not-present payment, 5-10 times the customer's mean, at a terminal
  outside the neighbourhood (scenario 3).

``make_card_log(customers, terminals, days, seed)`` returns one row per transaction:
``tx_id, tx_time (UTC), customer_id, terminal_id, amount_cents, is_fraud, scenario`` sorted by time.
Deterministic per seed; about ``2.0 * customers * days`` rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

START = pd.Timestamp("2026-04-01", tz="UTC")
TERMINALS_PER_HOOD = 40


def make_card_log(
    customers: int = 1000, terminals: int = 2000, days: int = 90, seed: int = 0
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    hoods = max(1, terminals // TERMINALS_PER_HOOD)
    term_hood = rng.integers(0, hoods, terminals)
    by_hood = [np.flatnonzero(term_hood == h) for h in range(hoods)]
    for h in range(hoods):
        if by_hood[h].size == 0:
            by_hood[h] = np.array([int(rng.integers(0, terminals))])
    cust_hood = rng.integers(0, hoods, customers)
    mean_amt = rng.uniform(5, 100, customers)
    rate = rng.uniform(0.2, 3.8, customers)

    per_day = rng.poisson(np.tile(rate, days))  # customer-major within each day
    cust = np.repeat(np.tile(np.arange(customers), days), per_day)
    day = np.repeat(np.repeat(np.arange(days), customers), per_day)
    n = len(cust)
    secs = np.clip(rng.normal(43_200, 20_000, n), 0, 86_399).astype(np.int64)
    t = day * 86_400 + secs
    amount = np.clip(rng.normal(mean_amt[cust], mean_amt[cust] / 2), 0.5, None)
    pick = rng.random(n)
    term = np.empty(n, dtype=np.int64)
    for h in range(hoods):
        m = cust_hood[cust] == h
        terms = by_hood[h]
        term[m] = terms[(pick[m] * len(terms)).astype(np.int64)]
    scenario = np.zeros(n, dtype=np.int64)

    # 1: compromised terminals, all their payments for 28 days
    for d in range(days):
        for tm in rng.choice(terminals, rng.poisson(terminals / 6000), replace=False):
            m = (term == tm) & (day >= d) & (day < d + 28)
            scenario[m & (scenario == 0)] = 1
    # 2: compromised cards, a third of their payments for 14 days, amounts x5
    for d in range(days):
        for c in rng.choice(customers, rng.poisson(customers / 1500), replace=False):
            m = np.flatnonzero((cust == c) & (day >= d) & (day < d + 14) & (scenario == 0))
            hit = m[rng.random(len(m)) < 1 / 3]
            scenario[hit] = 2
            amount[hit] *= 5
    # 3: rare card-not-present payments far from home, 5-10x the mean
    anomalies = np.flatnonzero((rng.random(n) < 0.0004) & (scenario == 0))
    scenario[anomalies] = 3
    amount[anomalies] = mean_amt[cust[anomalies]] * rng.uniform(5, 10, len(anomalies))
    term[anomalies] = rng.integers(0, terminals, len(anomalies))

    order = np.argsort(t, kind="stable")
    df = pd.DataFrame(
        {
            "tx_time": START + pd.to_timedelta(t[order], unit="s"),
            "customer_id": [f"C{c:06d}" for c in cust[order]],
            "terminal_id": [f"T{x:06d}" for x in term[order]],
            "amount_cents": np.rint(amount[order] * 100).astype(np.int64),
            "is_fraud": (scenario[order] > 0).astype(np.int64),
            "scenario": scenario[order],
        }
    )
    df.insert(0, "tx_id", np.arange(len(df), dtype=np.int64))
    return df
