"""Synthetic credit applicants (deterministic per seed) for tests and demos before the lake exists.

A latent risk r ~ Beta(2, 5) drives every feature with noise, in the directions of
:data:`models.credit.features.MONOTONE`; the label ``defaulted_6m`` is drawn from
sigmoid(-5 + 9 r + occupation effect + noise). Money is integer cents; about 8 % of bureau scores and 5 % of
incomes are missing; ``state`` and ``occupation`` are strings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

UFS = ("SP", "RJ", "MG", "BA", "PR", "RS", "PE", "CE", "PA", "SC", "GO", "AM", "DF")
OCCUPATIONS = ("CLT", "SERVIDOR", "AUTONOMO", "MEI", "APOSENTADO", "ESTUDANTE")


def make_credit_frame(n: int = 4000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    r = rng.beta(2.0, 5.0, n)
    occ_idx = rng.choice(len(OCCUPATIONS), n, p=[0.4, 0.12, 0.18, 0.12, 0.1, 0.08])
    occ_risk = np.array([0.0, -0.3, 0.3, 0.2, -0.2, 0.4])[occ_idx]
    income = np.rint(np.exp(rng.normal(8.2 - 0.8 * r, 0.5)) * 100).astype(np.int64)  # cents
    bureau = np.clip(np.rint(920 - 700 * r + rng.normal(0, 90, n)), 0, 1000)
    df = pd.DataFrame(
        {
            "bureau_score": bureau,
            "monthly_income_cents": pd.array(income, dtype="Int64"),
            "income_regularity": np.clip(1.0 - 0.9 * r + rng.normal(0, 0.15, n), 0, 1).round(3),
            "balance_avg_90d_cents": np.rint(
                income * np.clip(rng.normal(1.2 - 1.5 * r, 0.5), 0, None)
            ).astype(np.int64),
            "account_age_days": rng.integers(30, 3650, n),
            "overdraft_days_90d": rng.poisson(40 * r**1.5),
            "late_instalments_180d": rng.poisson(4 * r**2),
            "max_days_late_180d": rng.poisson(60 * r**2.5),
            "debt_to_income": np.clip(rng.normal(0.1 + 0.4 * r, 0.1), 0, None).round(3),
            "card_utilisation": np.clip(rng.normal(0.2 + 0.7 * r, 0.2), 0, 1.5).round(3),
            "bureau_inquiries_90d": rng.poisson(1 + 4 * r),
            "age_years": rng.integers(18, 80, n),
            "open_loans": rng.poisson(1 + 2 * r),
            "pix_out_30d": rng.poisson(20, n),
            "state": np.array(UFS)[rng.integers(0, len(UFS), n)],
            "occupation": np.array(OCCUPATIONS)[occ_idx],
        }
    )
    logit = -5.0 + 9.0 * r + occ_risk + rng.normal(0, 0.4, n)
    df["defaulted_6m"] = rng.random(n) < 1 / (1 + np.exp(-logit))
    df.loc[rng.random(n) < 0.08, "bureau_score"] = np.nan
    df.loc[rng.random(n) < 0.05, "monthly_income_cents"] = pd.NA
    return df
