"""Fraud model: hashing contract, cost-optimal thresholds, quality on synthetic scenarios, determinism."""

from __future__ import annotations

import itertools
import pickle

import numpy as np
import polars as pl
import pytest
from sklearn.feature_extraction import FeatureHasher

from models.fraud.hashing import bucket_codes, hash_categoricals
from models.fraud.model import fit_fraud_model
from models.fraud.synthetic import make_fraud_frame
from models.fraud.threshold import CostParams, choose_thresholds, decide
from models.fraud.train import evaluate, time_split


@pytest.fixture(autouse=True, scope="module")
def _one_openmp_thread():
    """The machine is shared: train and predict on one OpenMP thread in these tests."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="openmp"):
        yield


def test_hash_matches_sklearn_feature_hasher():
    df = pl.DataFrame({"device_id": ["d1", "d2", None, "d1"], "mcc": ["5411", None, "5999", "5411"]})
    got = hash_categoricals(df, ["device_id", "mcc"], 2**10)
    tokens = [[f"device_id={d}" for d in [r[0]] if d is not None] + [f"mcc={m}" for m in [r[1]] if m is not None]
              for r in df.rows()]
    want = FeatureHasher(n_features=2**10, input_type="string", alternate_sign=False).transform(tokens)
    assert (got != want).nnz == 0
    codes = bucket_codes(df, ["device_id", "mcc"], 128)
    assert np.isnan(codes[2, 0]) and np.isnan(codes[1, 1])
    assert codes[0, 0] == codes[3, 0] and 0 <= np.nanmax(codes) < 128
    with pytest.raises(ValueError):
        bucket_codes(df, ["mcc"], 512)


def _brute_force(score, fraud, amount, c: CostParams, cands):
    best = None
    for tr, tb in itertools.product(cands, cands):
        if tr > tb:
            continue
        d = decide(score, tr, tb)
        cost = (amount[fraud & (d == "approve")].sum()
                + (d == "review").sum() * c.review_cost_cents + ((d == "review") & ~fraud).sum() * c.review_friction_cents
                + amount[fraud & (d == "review")].sum() * (100 - c.review_catch_pct) / 100
                + ((d == "block") & ~fraud).sum() * c.block_friction_cents)
        if best is None or cost < best[2] - 1e-9:
            best = (tr, tb, cost)
    return best


def test_thresholds_minimise_expected_cost():
    rng = np.random.default_rng(0)
    n = 400
    fraud = rng.random(n) < 0.05
    score = np.clip(rng.normal(0.2 + 0.5 * fraud, 0.15), 0, 1)
    amount = rng.integers(1_000, 500_000, n)
    c = CostParams()
    tr, tb, cost = choose_thresholds(score, fraud, amount, c, n_grid=50)
    cands = np.unique(np.concatenate([np.quantile(score, np.linspace(0.5, 1, 50)), score[fraud], [np.inf]]))
    assert cost == pytest.approx(_brute_force(score, fraud, amount, c, cands)[2])
    assert tr <= tb


@pytest.fixture(scope="module")
def split():
    df = make_fraud_frame(30_000, fraud_rate=0.006, months=5, seed=2)
    return time_split(df)


@pytest.fixture(scope="module")
def model(split):
    return fit_fraud_model(split[0], split[1], seed=0, max_iter=150)


def test_time_split_is_chronological(split):
    train, val, test = split
    assert train.booked_at.max() < val.booked_at.min() <= val.booked_at.max() < test.booked_at.min()


def test_quality_and_decisions(model, split):
    m = evaluate(model, split[2])
    assert m["auprc"] > 0.6 and m["roc_auc"] > 0.9
    assert any(k.startswith("recall_block_or_review_") for k in m)
    assert model.metadata["t_review"] <= model.metadata["t_block"] == model.metadata["threshold"]
    frauds = split[2][split[2].is_fraud].head(5)
    out = model.predict_frame(frauds)
    flagged = out[out.decision != "approve"]
    assert len(flagged) and all(r for r in flagged.reasons)
    assert set(out.decision) <= {"approve", "review", "block"}


def test_fraud_training_is_deterministic(split):
    small = split[0].iloc[:10_000]
    a = fit_fraud_model(small, split[1], seed=1, max_iter=40)
    b = fit_fraud_model(small, split[1], seed=1, max_iter=40)
    np.testing.assert_array_equal(a.predict_proba(split[2]), b.predict_proba(split[2]))
    assert pickle.dumps(a.clf) == pickle.dumps(b.clf) and a.metadata == b.metadata


def test_missing_feature_is_a_clear_error(split):
    with pytest.raises(ValueError, match="missing"):
        fit_fraud_model(split[0].drop(columns=["channel"]), split[1])
