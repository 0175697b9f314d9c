"""Pure parts of the generic credit trainer: WoE bins, scorecard points and reasons, AUC (the nested-CV
selection, which trains, is tested in tests/component/test_credit_selection.py)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from models.credit.generic import _auc, make_plan, rankdata
from models.credit.scorecard import Scorecard
from models.credit.scoring import FACTOR, OFFSET, pd_to_score
from models.credit.woe import MISSING, OTHER, WoeBinner
from models.registry import CUSTOM_NAME, MODEL_NAMES, derived_name
from sandbox.credit_sets import SETS, make_set


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


def _naive_bin(x: float, edges: tuple[float, ...], missing_bin: int) -> int:
    if x != x:
        return missing_bin
    return sum(1 for e in edges if x >= e)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(40, 400),
    distinct=st.integers(2, 40),
    missing=st.floats(0.0, 0.3),
    monotone=st.booleans(),
)
def test_numeric_woe_bins_match_a_naive_count(seed, n, distinct, missing, monotone):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, distinct, n).astype(float)
    y = (rng.random(n) < 1 / (1 + np.exp(-(x - distinct / 2) / distinct))).astype(int)
    y[:2] = [0, 1]
    x[rng.random(n) < missing] = np.nan
    df = pd.DataFrame({"x": x})
    fb = WoeBinner(["x"], [], max_bins=6, min_share=0.05, monotone=monotone).fit(df, y).bins_["x"]
    idx = [_naive_bin(v, fb.edges, fb.missing_bin) for v in x]
    np.testing.assert_array_equal(fb.assign(df["x"]), idx)
    counts = np.bincount(idx, minlength=len(fb.labels))
    bads = np.bincount(idx, weights=y, minlength=len(fb.labels))
    assert list(fb.n) == counts.tolist() and list(fb.bad) == bads.astype(int).tolist()
    B, G = y.sum(), n - y.sum()
    pi = B / n
    for i in range(len(fb.labels)):
        g, b = counts[i] - bads[i], bads[i]
        ref = math.log((g + 2 * (1 - pi)) / (b + 2 * pi)) - math.log(G / B)
        assert fb.woe[i] == pytest.approx(ref, abs=1e-9)
    nonmissing = list(fb.n[:-1])
    if len(nonmissing) > 1:
        assert min(nonmissing) >= 0.05 * n
    rates = [b / c for b, c in zip(fb.bad[:-1], fb.n[:-1], strict=True)]
    if monotone and len(rates) > 1:
        d = np.diff(rates)
        assert (d >= -1e-12).all() or (d <= 1e-12).all()


def test_categorical_bins_rare_unseen_and_missing():
    vals = ["a"] * 50 + ["b"] * 40 + ["c"] * 2 + [None] * 8
    y = np.array([1] * 10 + [0] * 40 + [1] * 20 + [0] * 20 + [1, 0] + [1] * 8)
    df = pd.DataFrame({"c": vals})
    fb = WoeBinner([], ["c"], min_share=0.05).fit(df, y).bins_["c"]
    assert fb.labels == ("a", "b", OTHER, MISSING)
    got = fb.assign(pd.Series(["a", "b", "c", "zzz", None]))
    assert got.tolist() == [0, 1, 2, 2, 3]
    assert fb.n == (50, 40, 2, 8) and fb.bad == (10, 20, 1, 8)
    assert fb.woe[0] > 0 > fb.woe[1] > fb.woe[3]  # 'a' better than average, missing the worst


def test_empty_bins_are_neutral():
    df = pd.DataFrame({"x": np.arange(100.0)})
    y = (np.arange(100) % 3 == 0).astype(int)
    fb = WoeBinner(["x"], []).fit(df, y).bins_["x"]
    assert fb.n[-1] == 0 and fb.woe[-1] == 0.0
    assert fb.transform(pd.Series([np.nan]))[0] == 0.0


@pytest.fixture(scope="module")
def german() -> tuple[pd.DataFrame, np.ndarray]:
    df = make_set("german_like", seed=3)
    return df.drop(columns=["bad"]), df["bad"].to_numpy()


@pytest.fixture(scope="module")
def card(german):
    X, y = german
    plan = make_plan(X)
    return Scorecard(plan.numeric, plan.categorical).fit(X, y)


def test_points_add_up_to_the_score_of_the_regression(card, german):
    X, _ = german
    pd_ = card.predict_pd(X)
    raw = card.raw_points(X).sum(axis=1)
    np.testing.assert_allclose(raw, OFFSET + FACTOR * np.log((1 - pd_) / pd_), atol=1e-6)
    # the integer table: at most half a point of rounding per column
    tab = card.table_score(X)
    assert np.all(np.abs(tab - pd_to_score(pd_)) <= len(card.kept_) / 2 + 1)
    # sklearn's own probability is the reference for the PD
    W = card.binner_.transform(X)[:, card.columns_]
    np.testing.assert_allclose(pd_, card.lr_.predict_proba(W)[:, 1], rtol=1e-9)


def test_points_table_is_what_a_committee_reads(card):
    tab = card.points_table()
    assert {"feature", "attribute", "rows", "bad_rate", "woe", "points"} <= set(tab.columns)
    assert set(tab["feature"]) == set(card.kept_)
    assert all(c < 0 for c in card.coef_.values())  # a better attribute never costs points
    for _, grp in tab.groupby("feature"):
        seen = grp[grp["rows"] > 0]
        # more WoE (better attribute) -> at least as many points
        order = seen.sort_values("woe")
        assert order["points"].is_monotonic_increasing


def test_reasons_in_portuguese_from_the_points(card, german):
    X, _ = german
    reasons = card.reasons(X.iloc[:200])
    worst = int(np.argmin(card.raw_points(X.iloc[:200]).sum(axis=1)))
    assert reasons[worst] and all("pontos abaixo da melhor faixa" in r for r in reasons[worst])
    # a row moved to every column's best bin has no reason left
    best = X.iloc[[worst]].copy()
    for f in card.kept_:
        fb = card.binner_.bins_[f]
        i = int(np.argmax(card.points_[f]))
        if fb.kind == "categorical":
            best[f] = next((v for v, k in fb.categories.items() if k == i), None)
        else:
            edges = (-1e18, *fb.edges)
            best[f] = np.nan if i == fb.missing_bin else edges[i]
    assert card.reasons(best) == [[]]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=4, max_size=80), st.integers(0, 1000))
def test_rank_auc_matches_sklearn(scores, seed):
    s = np.asarray(scores, dtype=float)
    y = np.random.default_rng(seed).integers(0, 2, len(s))
    y[:2] = [0, 1]
    assert _auc(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    from scipy.stats import rankdata as ref

    np.testing.assert_allclose(rankdata(s), ref(s))


@settings(max_examples=40, deadline=None)
@given(st.text(min_size=0, max_size=40))
def test_derived_names_are_never_production_names(stem):
    name = derived_name("credit", f"{stem}.csv")
    assert name not in MODEL_NAMES and name.startswith("credit-") and CUSTOM_NAME.match(name)


@pytest.mark.parametrize("name", sorted(SETS))
def test_public_shaped_sets_are_deterministic_and_shaped(name):
    a, b = make_set(name, seed=1), make_set(name, seed=1)
    pd.testing.assert_frame_equal(a, b)
    spec = SETS[name]
    assert len(a) == spec.rows and abs(a["bad"].mean() - spec.bad_rate) < 0.05
    assert sum(c.startswith("cat") for c in a.columns) == len(spec.categorical)
    assert not make_set(name, seed=2).equals(a)


def test_lookup_codes_maps_str_values_unseen_to_default_and_missing_to_nan():
    from models.tabular import lookup_codes

    s = pd.Series(["a", "b", None, "zzz", 3, float("nan")], dtype=object)
    got = lookup_codes(s, {"a": 0.0, "b": 1.0, "3": 2.0}, -1.0)
    np.testing.assert_array_equal(got, [0.0, 1.0, np.nan, -1.0, 2.0, np.nan])


def test_binned_logit_learns_a_u_shape_the_linear_one_misses():
    from models.credit.generic import LogitMember

    rng = np.random.default_rng(0)
    x = np.exp(rng.normal(3, 0.8, 3000))
    z = (np.log(x) - 3) / 0.8
    y = (rng.random(3000) < 1 / (1 + np.exp(-(1.5 * z**2 - 2)))).astype(int)
    df = pd.DataFrame({"x": x})
    linear = LogitMember(["x"], [], C=1.0, bins=0).fit(df, y)
    binned = LogitMember(["x"], [], C=1.0, bins=6).fit(df, y)
    assert (
        roc_auc_score(y, binned.decision_function(df)) > roc_auc_score(y, linear.decision_function(df)) + 0.15
    )
    # the design is shared across C values: same bins and standardisation, only the regression differs
    other = LogitMember(["x"], [], C=0.01, bins=6).fit(df, y, design=binned)
    assert other.edges_ is binned.edges_ and other.lr_.coef_.shape == binned.lr_.coef_.shape
