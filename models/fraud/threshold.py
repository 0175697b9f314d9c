"""Operating thresholds by expected cost, and the three-way decision (approve / review / block).

Costs (integer cents, defaults in :class:`CostParams`):

* approve: a missed fraud loses its amount; a legitimate payment costs nothing;
* review (score in [t_review, t_block)): every review costs ``review_cost_cents`` (analyst time)
  plus ``review_friction_cents`` for a legitimate customer (delay); the analyst stops
  ``review_catch_pct`` % of the frauds reviewed, the rest are lost;
* block (score >= t_block): a legitimate payment blocked costs ``block_friction_cents``
  (customer friction, support call, churn risk); a blocked fraud costs nothing.

:func:`choose_thresholds` minimises the total cost over a grid of score quantiles on a validation
period (t_review <= t_block; t_review == t_block means no review band).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import ArrayLike


@dataclass(frozen=True)
class CostParams:
    review_cost_cents: int = 500
    review_friction_cents: int = 300
    review_catch_pct: int = 90
    block_friction_cents: int = 3_000

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def choose_thresholds(
    score: ArrayLike,
    is_fraud: ArrayLike,
    amount_cents: ArrayLike,
    costs: CostParams = CostParams(),
    n_grid: int = 300,
) -> tuple[float, float, float]:
    """(t_review, t_block, expected cost in cents) minimising the total cost on the given set."""
    s = np.asarray(score, dtype=float)
    f = np.asarray(is_fraud).astype(bool)
    a = np.asarray(amount_cents, dtype=np.float64)
    qs = np.unique(np.quantile(s, np.linspace(0.5, 1.0, n_grid)))
    cand = np.unique(np.concatenate([qs, s[f]]))
    cand = np.concatenate([cand, [np.inf]])
    # for each candidate t: counts/sums over rows with score >= t
    order = np.sort(s)
    n_ge = len(s) - np.searchsorted(order, cand, side="left")
    fs, fa = np.sort(s[f]), a[f][np.argsort(s[f])]
    fa_cum = np.concatenate([[0.0], np.cumsum(fa[::-1])])[::-1]  # sum of amounts from index i on
    pos = np.searchsorted(fs, cand, side="left")
    fraud_amt_ge = fa_cum[pos]
    fraud_n_ge = len(fs) - pos
    legit_ge = n_ge - fraud_n_ge
    total_fraud = fa.sum()
    R, B = np.meshgrid(np.arange(len(cand)), np.arange(len(cand)), indexing="ij")
    valid = R <= B
    missed = total_fraud - fraud_amt_ge[R]
    band_n = n_ge[R] - n_ge[B]
    band_legit = legit_ge[R] - legit_ge[B]
    band_fraud_amt = fraud_amt_ge[R] - fraud_amt_ge[B]
    cost = (
        missed
        + band_n * costs.review_cost_cents
        + band_legit * costs.review_friction_cents
        + band_fraud_amt * (100 - costs.review_catch_pct) / 100.0
        + legit_ge[B] * costs.block_friction_cents
    )
    cost = np.where(valid, cost, np.inf)
    i, j = np.unravel_index(np.argmin(cost), cost.shape)
    return float(cand[i]), float(cand[j]), float(cost[i, j])


def decide(score: ArrayLike, t_review: float, t_block: float) -> np.ndarray:
    """'approve' / 'review' / 'block' per score."""
    s = np.asarray(score, dtype=float)
    return np.where(s >= t_block, "block", np.where(s >= t_review, "review", "approve"))
