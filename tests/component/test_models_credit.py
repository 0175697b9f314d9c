"""Credit model: quality on synthetic data, monotonicity (hypothesis), score mapping, reasons, determinism."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.credit.features import MONOTONE
from models.credit.model import fit_credit_model
from models.credit.scoring import band, pd_to_score
from models.metrics import binary_report, ks_statistic, ndcg_at_k, precision_at_k
from models.tabular import TabularEncoder
from sandbox.synthetic_credit import make_credit_frame

TARGET = "defaulted_6m"


@pytest.fixture(autouse=True, scope="module")
def _one_openmp_thread():
    """The machine is shared: train and predict on one OpenMP thread in these tests."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="openmp"):
        yield


@pytest.fixture(scope="module")
def data():
    df = make_credit_frame(3000, seed=1)
    return df.iloc[:2400].reset_index(drop=True), df.iloc[2400:].reset_index(drop=True)


@pytest.fixture(scope="module")
def model(data):
    return fit_credit_model(data[0], TARGET, True, monotone=MONOTONE, seed=0)


def test_quality_on_holdout(model, data):
    rep = binary_report(data[1][TARGET], model.predict_pd(data[1]))
    assert rep["auc"] > 0.75 and rep["ks"] > 0.3 and rep["brier"] < 0.2
    assert abs(rep["gini"] - (2 * rep["auc"] - 1)) < 1e-12


ARREARS = ("late_instalments_180d", "overdraft_days_90d", "max_days_late_180d", "debt_to_income")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(i=st.integers(0, 599), feat=st.sampled_from(ARREARS), bump=st.floats(0, 200, allow_nan=False))
def test_more_arrears_never_raises_score(model, data, i, feat, bump):
    row = data[1].drop(columns=[TARGET]).iloc[[i]].copy()
    worse = row.copy()
    worse[feat] = worse[feat].astype(float) + bump
    assert model.score(worse)[0] <= model.score(row)[0]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(i=st.integers(0, 599), drop=st.integers(0, 1000))
def test_lower_bureau_score_never_raises_score(model, data, i, drop):
    row = data[1].drop(columns=[TARGET]).iloc[[i]].copy()
    if pd.isna(row["bureau_score"].iloc[0]):
        row["bureau_score"] = 800.0
    worse = row.copy()
    worse["bureau_score"] = max(0.0, float(row["bureau_score"].iloc[0]) - drop)
    assert model.score(worse)[0] <= model.score(row)[0]


def test_score_mapping_and_bands():
    pds = np.linspace(0.0001, 0.9999, 500)
    s = pd_to_score(pds)
    assert np.all(np.diff(s) <= 0) and s.min() >= 0 and s.max() <= 1000
    assert pd_to_score(1 / 21)[()] == 600
    assert [band(x) for x in (0, 300, 301, 500, 501, 700, 701, 1000)] == [
        "baixo",
        "baixo",
        "regular",
        "regular",
        "bom",
        "bom",
        "muito bom",
        "muito bom",
    ]
    with pytest.raises(ValueError):
        band(1001)


def test_adverse_reasons_in_portuguese(model, data):
    bad = data[1].drop(columns=[TARGET]).iloc[[0]].copy()
    bad["late_instalments_180d"] = 6
    bad["max_days_late_180d"] = 120
    bad["overdraft_days_90d"] = 80
    bad["bureau_score"] = 150
    reasons = model.explain(bad)
    assert reasons, "a very risky applicant must get adverse reasons"
    assert all(r.score_points >= 1 for r in reasons)
    sentences = {r.sentence for r in reasons}
    assert sentences & {
        "Atrasos recentes em parcelas de empréstimo",
        "Uso frequente do cheque especial",
        "Pontuação de crédito no bureau baixa",
        "Atraso longo no pagamento de parcelas",
    }
    out = model.predict_frame(bad)
    assert out.loc[0, "band"] in ("baixo", "regular", "bom", "muito bom")
    assert out.loc[0, "reasons"]


def test_reasons_never_favourable(model, data):
    rows = data[1].drop(columns=[TARGET]).iloc[:30]
    for i in range(len(rows)):
        row = rows.iloc[[i]]
        base = model.score(row)[0]
        for r in model.explain(row, top=20):
            fixed = row.copy()
            j = model.features.index(r.feature)
            enc = model.encoder
            if enc.is_categorical_[j]:
                fixed[r.feature] = enc.decode(r.feature, model.reference[j])
            else:
                fixed[r.feature] = model.reference[j]
            assert model.score(fixed)[0] - base == r.score_points > 0


def test_training_is_deterministic(data):
    a = fit_credit_model(data[0], TARGET, True, monotone=MONOTONE, seed=3)
    b = fit_credit_model(data[0], TARGET, True, monotone=MONOTONE, seed=3)
    np.testing.assert_array_equal(a.predict_pd(data[1]), b.predict_pd(data[1]))
    assert pickle.dumps(a.clf) == pickle.dumps(b.clf)
    assert pickle.dumps(a.encoder) == pickle.dumps(b.encoder)


def test_bad_inputs_are_rejected(data):
    with pytest.raises(ValueError, match="unknown columns"):
        fit_credit_model(data[0], TARGET, True, monotone={"nope": 1})
    with pytest.raises(ValueError, match="numeric"):
        fit_credit_model(data[0], TARGET, True, monotone={"state": 1})
    with pytest.raises(ValueError, match="single class"):
        fit_credit_model(data[0], TARGET, "not-a-label")
    with pytest.raises(ValueError, match="target column"):
        fit_credit_model(data[0], "missing", True)


def test_encoder_drops_ids_and_handles_unseen():
    df = pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(100)],
            "row_id": range(100),
            "x": np.arange(100.0),
            "cat": ["a", "b"] * 50,
            "const": 1,
        }
    )
    enc = TabularEncoder().fit(df)
    assert set(enc.plan_.dropped) == {"customer_id", "row_id", "const"}
    out = enc.transform(
        pd.DataFrame({"customer_id": ["Z"], "row_id": [1], "x": [None], "cat": ["zzz"], "const": [1]})
    )
    assert out.shape == (1, 2) and np.isnan(out).all()


def test_metric_helpers():
    y = np.array([0, 0, 1, 1])
    assert ks_statistic(y, np.array([0.1, 0.2, 0.8, 0.9])) == 1.0
    assert precision_at_k([np.array([1, 0, 1])], 2) == 0.5
    assert ndcg_at_k([np.array([1.0, 0.0])], 2) == 1.0
    assert ndcg_at_k([np.array([0.0, 1.0])], 2) == pytest.approx(1 / np.log2(3))
