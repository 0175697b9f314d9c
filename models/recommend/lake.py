"""Recommendation inputs from the lake: credit_v1 features (gold.credit_features + gold.customer_day) per customer.

:func:`customer_inputs` maps one customer's credit_v1 feature values (a row of the Feast offline join or
of the online store: the same function serves training and the gateway) to the eligibility and
ranking inputs:

* ``monthly_income_cents``: declared income, else the 6-month average of credits;
* ``existing_instalments_cents``: ``outstanding_cents / 12`` (the lake has no instalment schedule per
  customer; spreading the outstanding over 12 months over-estimates the instalments of longer loans,
  so affordability errs on the safe side);
* ``savings_rate``: net flow / credits of the latest complete day, clipped to [-0.2, 0.6];
* ``balance_volatility``: ``1 - income_regularity`` (coefficient of variation of monthly credits);
* ``has_card``: card transactions on the latest day; ``payroll_eligible``: salary credited in >= 3 of the
  last 6 months.

Training (:func:`customers_frame`) adds what the lake does not hold, simulated deterministically per
seed as in :mod:`models.recommend.simulate_offers`: latent appetite/liquidity/credit need, the CVM 30
questionnaire answers and the balance. The credit score comes from the credit model.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from features.training_sets import TrainingSet, credit_training_set, resolve_versions
from lake import delta
from lake.settings import Settings
from models.recommend.profile import POINTS, PROFILES, profile_codes


def _num(v: Any, default: float = 0.0) -> float:
    if v is None:
        return default
    try:
        f = float(v)
    except (TypeError, ValueError):
        return default
    return default if math.isnan(f) else f


def customer_inputs(f: dict[str, Any]) -> dict[str, Any]:
    """Eligibility/ranking inputs from one customer's credit_v1 feature values (see the module docstring)."""
    income = int(_num(f.get("declared_income_cents")) or _num(f.get("avg_monthly_credit_cents_6m")))
    credit = _num(f.get("credit_cents"))
    net = credit - _num(f.get("debit_cents"))
    return {
        "monthly_income_cents": income,
        "existing_instalments_cents": int(_num(f.get("outstanding_cents")) // 12),
        "savings_rate": float(np.clip(net / credit, -0.2, 0.6)) if credit > 0 else 0.0,
        "balance_volatility": float(max(0.0, 1.0 - _num(f.get("income_regularity"), 0.0))),
        "has_card": _num(f.get("card_count")) > 0,
        "payroll_eligible": _num(f.get("salary_months_6m")) >= 3,
    }


def latest_features(settings: Settings, versions: dict[str, int] | None = None) -> TrainingSet:
    """credit_v1 features of every customer as of the end of the latest credit as-of date (as served online)."""
    pinned = resolve_versions(settings, ["gold.credit_features", "gold.customer_day"], versions)
    cf = delta.read("gold.credit_features", version=pinned["gold.credit_features"], settings=settings)
    last = cf.get_column("as_of_date").max()
    when = pl.lit(last).cast(pl.Datetime("us")).dt.replace_time_zone(
        "America/Sao_Paulo"
    ).dt.convert_time_zone("UTC") + timedelta(hours=23, minutes=59)
    entity = cf.select("customer_pk").unique().sort("customer_pk").with_columns(when.alias("event_timestamp"))
    return credit_training_set(settings, entity, versions=pinned)


def customers_frame(features: pd.DataFrame, scores: np.ndarray, seed: int = 0) -> pd.DataFrame:
    """The ranker's customer frame (columns of ``simulate_offers.make_customers``) from lake features."""
    n = len(features)
    rng = np.random.default_rng(seed)
    inputs = pd.DataFrame([customer_inputs(r) for r in features.to_dict("records")])
    alpha, lam = rng.beta(2, 2, n), rng.beta(2, 3, n)
    # credit need grows with overdraft use and arrears seen in the lake (plus noise)
    od = (
        features.get("overdraft_days_90d", pd.Series(0, index=features.index)).fillna(0).to_numpy(dtype=float)
    )
    arr = (
        features.get("instalments_in_arrears", pd.Series(0, index=features.index))
        .fillna(0)
        .to_numpy(dtype=float)
    )
    cneed = np.clip(0.6 * rng.beta(2, 3, n) + 0.4 * np.minimum(1.0, od / 30.0 + arr / 3.0), 0, 1)
    answers = np.column_stack(
        [
            np.clip(np.rint(alpha * (len(POINTS[q]) - 1) + rng.normal(0, 0.4, n)), 0, len(POINTS[q]) - 1)
            for q in range(5)
        ]
    ).astype(int)
    code = profile_codes(answers, inputs["savings_rate"].to_numpy(), inputs["balance_volatility"].to_numpy())
    has_q = rng.random(n) < 0.9
    income = inputs["monthly_income_cents"].to_numpy(dtype=np.int64)
    return pd.DataFrame(
        {
            "customer_id": features["customer_pk"].to_numpy(),
            "alpha": alpha,
            "lam": lam,
            "cneed": cneed,
            **{f"q{q + 1}": answers[:, q] for q in range(5)},
            "profile": np.where(has_q, np.array(PROFILES)[code], None),
            "profile_code": np.where(has_q, code, -1),
            "savings_rate": inputs["savings_rate"].to_numpy(),
            "balance_volatility": inputs["balance_volatility"].to_numpy(),
            "credit_score": np.asarray(scores, dtype=int),
            "monthly_income_cents": income,
            "existing_instalments_cents": inputs["existing_instalments_cents"].to_numpy(dtype=np.int64),
            "balance_cents": (
                income * rng.gamma(1.5, 1.0 + 2 * np.clip(inputs["savings_rate"].to_numpy(), 0, None))
            ).astype(np.int64),
            "has_card": inputs["has_card"].to_numpy(dtype=bool),
            "payroll_eligible": inputs["payroll_eligible"].to_numpy(dtype=bool),
        }
    )
