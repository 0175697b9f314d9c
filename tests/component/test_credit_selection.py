"""The generic credit trainer's model selection (it trains: nested CV over the candidate families):
an outer fold never sees its test labels; on purely additive categories the linear families lead the
inner CV and the choice follows the rule (blend unless a family beats it by more than the tolerance)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.credit.generic import TOLERANCE, make_plan, outer_fold, select
from sandbox.credit_sets import make_set


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def german() -> tuple[pd.DataFrame, np.ndarray]:
    df = make_set("german_like", seed=3)
    return df.drop(columns=["bad"]), df["bad"].to_numpy()


def test_outer_fold_never_sees_the_test_labels(german):
    X, y = german
    X, y = X.iloc[:500].reset_index(drop=True), y[:500]
    plan = make_plan(X)
    te = np.arange(0, 500, 5)
    tr = np.setdiff1d(np.arange(500), te)
    flipped = y.copy()
    flipped[te] = 1 - flipped[te]
    a, ca = outer_fold(X, y, plan, tr, te, inner=3, seed=0)
    b, cb = outer_fold(X, flipped, plan, tr, te, inner=3, seed=0)
    assert ca.describe() == cb.describe()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])


def test_selection_on_purely_additive_categories():
    rng = np.random.default_rng(0)
    n = 1500
    cols = {f"c{j}": rng.integers(0, 4, n).astype(str) for j in range(5)}
    X = pd.DataFrame(cols)
    logit = sum((X[c].astype(int).to_numpy() - 1.5) * 0.6 for c in cols) - 1
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    choice = select(X, y, make_plan(X), seed=0)
    auc = {key.split(":")[0]: v for key, v in choice.inner_table.items()}
    # linear in the categories: the linear families lead the inner CV, the boosting trails them
    assert min(auc["scorecard"], auc["logit"]) > auc["hgb"]
    # the choice (the blend unless a single family beats it by more than the tolerance) is near the best
    assert choice.inner_auc >= max(auc.values()) - TOLERANCE
    assert choice.platt[0] > 0
