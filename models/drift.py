"""Population stability index (PSI) of model features: the live population against the training one.

PSI = sum over bins of (a - e) * ln(a / e), with e and a the shares of the reference (training) and
live values in each bin; the bins are the reference's deciles (ties merged), with open ends so live
values outside the training range still count. Empty bins get a share of ``EPS``. Rule of thumb:
< 0.1 stable, 0.1-0.2 moderate shift, > 0.2 significant (the alert threshold of the model rules).

:func:`drift_report` compares, per model, its numeric input features in the gold tables: the
reference is the rows before the live window (the population the champion was trained on: models
are retrained from the whole history), the live population the rows of the last ``live_days``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import polars as pl

EPS = 1e-4
ALERT_PSI = 0.2
# model -> (gold table, event-time column, numeric features watched)
MODEL_FEATURES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "fraud": (
        "gold.transaction_features",
        "booked_at",
        ("amount_cents", "hour_of_day", "tx_count_1h", "tx_count_24h", "tx_sum_cents_24h", "tx_count_7d"),
    ),
    "credit": (
        "gold.credit_features",
        "computed_at",
        (
            "avg_monthly_credit_cents_6m",
            "income_regularity",
            "overdraft_days_90d",
            "score_latest",
            "outstanding_cents",
        ),
    ),
}


def psi(reference: np.ndarray, live: np.ndarray, bins: int = 10) -> float:
    """PSI of ``live`` against ``reference`` over the reference's quantile bins (NaNs dropped)."""
    ref = np.asarray(reference, dtype=float)
    cur = np.asarray(live, dtype=float)
    ref, cur = ref[~np.isnan(ref)], cur[~np.isnan(cur)]
    if ref.size == 0 or cur.size == 0:
        raise ValueError("PSI needs values in both populations")
    edges = np.unique(np.quantile(ref, np.arange(1, bins) / bins))  # exact deciles: linspace is off by an ulp
    e = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=edges.size + 1) / ref.size
    a = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=edges.size + 1) / cur.size
    e, a = np.clip(e, EPS, None), np.clip(a, EPS, None)
    return float(np.sum((a - e) * np.log(a / e)))


@dataclass(frozen=True)
class FeatureDrift:
    model: str
    feature: str
    psi: float
    reference_rows: int
    live_rows: int


def drift_report(frames: dict[str, pl.DataFrame], now: datetime, live_days: int = 1) -> list[FeatureDrift]:
    """PSI per (model, feature) from each model's gold frame (``frames[table]``)."""
    out = []
    start = now - timedelta(days=live_days)
    for model, (table, ts, features) in MODEL_FEATURES.items():
        df = frames.get(table)
        if df is None or df.is_empty():
            continue
        col = pl.col(ts).cast(pl.Datetime("us", "UTC")) if df.schema[ts] != pl.Date else pl.col(ts)
        bound = start if df.schema[ts] != pl.Date else start.date()
        ref, cur = df.filter(col < bound), df.filter(col >= bound)
        if ref.is_empty() or cur.is_empty():
            continue
        for f in features:
            if f not in df.columns:
                continue
            r, c = ref[f].cast(pl.Float64).to_numpy(), cur[f].cast(pl.Float64).to_numpy()
            if np.isnan(r).all() or np.isnan(c).all():
                continue
            out.append(FeatureDrift(model, f, round(psi(r, c), 6), len(ref), len(cur)))
    return out
