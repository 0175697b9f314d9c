"""CompiledHGB gives exactly scikit-learn's predict_proba (bit for bit) on small batches."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.ensemble import HistGradientBoostingClassifier

from models.hgb_compiled import CompiledHGB, compile_hgb

# scikit-learn's own input check warns on infinite inputs ("invalid value encountered in reduce")
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")
N_NUM, N_CAT = 5, 3


@pytest.fixture(autouse=True, scope="module")
def _one_openmp_thread():
    """The machine is shared: fit and predict on one OpenMP thread in these tests."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="openmp"):
        yield


def _data(n: int, seed: int):
    rng = np.random.default_rng(seed)
    num = rng.normal(size=(n, N_NUM)) * [1, 10, 1e5, 0.01, 3]
    num[rng.random(num.shape) < 0.1] = np.nan
    cat = rng.integers(0, [4, 30, 120], size=(n, N_CAT)).astype(float)
    cat[rng.random(cat.shape) < 0.1] = np.nan
    X = np.hstack([num[:, :2], cat[:, :1], num[:, 2:], cat[:, 1:]])  # categoricals not all at the end
    logit = 0.8 * np.nan_to_num(num[:, 0]) - 0.5 * (cat[:, 1] % 7 == 3) + 0.3 * (cat[:, 0] == 2)
    y = rng.random(n) < 1 / (1 + np.exp(-logit + 1.5))
    return X, y


IS_CAT = np.array([False, False, True, False, False, False, True, True])


@pytest.fixture(scope="module")
def categorical_model():
    X, y = _data(3000, 0)
    clf = HistGradientBoostingClassifier(
        max_iter=60, max_leaf_nodes=15, categorical_features=IS_CAT, random_state=0
    ).fit(X, y)
    return clf, CompiledHGB(clf)


@pytest.fixture(scope="module")
def numeric_model():
    X, y = _data(3000, 1)
    clf = HistGradientBoostingClassifier(max_iter=40, random_state=0, early_stopping=False).fit(X, y)
    return clf, CompiledHGB(clf)


def _rows(n_features: int):
    values = st.one_of(
        st.floats(allow_nan=True, allow_infinity=True, width=64),
        st.integers(-3, 130).map(float),
        st.sampled_from([0.0, -0.0, 1.0, 2.0, np.nan]),
    )
    return hnp.arrays(np.float64, st.tuples(st.integers(1, 40), st.just(n_features)), elements=values)


@settings(max_examples=100, deadline=None)
@given(X=_rows(len(IS_CAT)))
def test_equal_to_sklearn_with_categoricals(categorical_model, X):
    clf, compiled = categorical_model
    try:
        want = clf.predict_proba(X)[:, 1]
    except ValueError:  # sklearn refuses infinite categories: so must the compiled model
        with pytest.raises(ValueError):
            compiled.predict_proba1(X)
        return
    assert np.array_equal(compiled.predict_proba1(X), want)


@settings(max_examples=60, deadline=None)
@given(X=_rows(len(IS_CAT)))
def test_equal_to_sklearn_without_categoricals(numeric_model, X):
    clf, compiled = numeric_model
    assert np.array_equal(compiled.predict_proba1(X), clf.predict_proba(X)[:, 1])


def test_equal_on_training_like_data_and_unseen_categories(categorical_model):
    clf, compiled = categorical_model
    X, _ = _data(2000, 7)
    X[::5, 6] = 500.0  # beyond every known category
    X[1::7, 2] = -1.0  # negative category
    assert np.array_equal(compiled.predict_proba1(X), clf.predict_proba(X)[:, 1])


def test_refuses_what_it_cannot_reproduce(categorical_model):
    _clf, compiled = categorical_model
    X, _ = _data(300, 3)
    multi = HistGradientBoostingClassifier(max_iter=5).fit(X, np.arange(300) % 3)
    assert compile_hgb(multi) is None
    with pytest.raises(ValueError, match="matrix"):
        compiled.predict_proba1(np.zeros((1, 3)))


def test_equal_with_categories_that_are_not_small_integers():
    """Categories outside 0..255 or fractional: the searchsorted encoding path (not the look-up table)."""
    rng = np.random.default_rng(4)
    X = np.column_stack([rng.normal(size=2000), rng.choice([-5.5, 3.25, 1000.0, 7.0], 2000)])
    y = (X[:, 1] == 3.25) ^ (rng.random(2000) < 0.2)
    clf = HistGradientBoostingClassifier(max_iter=20, categorical_features=[False, True], random_state=0).fit(
        X, y
    )
    compiled = CompiledHGB(clf)
    assert compiled.code_table is None
    Z = X[:300].copy()
    Z[::3, 1] = rng.choice([np.nan, 2.0, -5.5, 999.0, 1e9], len(Z[::3]))
    assert np.array_equal(compiled.predict_proba1(Z), clf.predict_proba(Z)[:, 1])
