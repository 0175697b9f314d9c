"""The generic fraud trainer's pure parts: counterparty and customer risk windows with label delay, the time split, card
precision@k (`cofre models train-fraud` itself: tests/component/test_fraud_generic_cli.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.fraud.generic import DAY_US, card_precision_at_k, time_split
from pipelines.gold.transaction_log import counterparty_risk, customer_risk


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 40 * 24), st.integers(0, 1)), min_size=1, max_size=60
    ),
    delay=st.integers(0, 8),
)
def test_counterparty_and_customer_risk_use_only_labels_known_before_the_delay(rows, delay):
    cp = np.array([r[0] for r in rows], dtype=np.int64)
    t = np.array([r[1] for r in rows], dtype=np.int64) * 3_600_000_000  # hours
    y = np.array([r[2] for r in rows], dtype=np.int64)
    got = counterparty_risk(cp, t, y, delay, days=(1, 7))
    for i in range(len(rows)):
        for w in (1, 7):
            lo, hi = t[i] - (delay + w) * DAY_US, t[i] - delay * DAY_US
            m = (cp == cp[i]) & (t >= lo) & (t < hi)
            assert got[f"cp_tx_count_{w}d"][i] == m.sum()
            assert got[f"cp_fraud_count_{w}d"][i] == y[m].sum()
            rate = y[m].sum() / m.sum() if m.sum() else 0.0
            assert got[f"cp_fraud_rate_{w}d"][i] == pytest.approx(rate)
    # the customer's own known frauds: the same rule on the customer id
    own = customer_risk(cp, t, y, delay, days=(1, 7))
    for w in (1, 7):
        np.testing.assert_array_equal(own[f"cu_fraud_count_{w}d"], got[f"cp_fraud_count_{w}d"])


def test_time_split_leaves_the_delay_gap_and_the_test_days():
    t = np.arange(60) * DAY_US + 5
    sp = time_split(t, train_days=100, delay_days=7, test_days=14)
    assert sp.test_days == (46, 59) and sp.gap_days == (39, 45) and sp.train_days == (0, 38)
    assert len(sp.test) == 14 and len(sp.train) == 39
    sp = time_split(t, train_days=10, delay_days=7, test_days=14)
    assert sp.train_days == (29, 38)
    with pytest.raises(ValueError, match="too few"):
        time_split(t, train_days=10, delay_days=40, test_days=20)


def test_card_precision_at_k_counts_customers_per_day():
    # day 0: customers a (fraud, score .9), b (.8), c (.1); day 1: a (.2), b (fraud .7)
    cust = np.array(["a", "a", "b", "c", "a", "b"])
    day = np.array([0, 0, 0, 0, 1, 1])
    y = np.array([0, 1, 0, 0, 0, 1])
    s = np.array([0.9, 0.3, 0.8, 0.1, 0.2, 0.7])
    assert card_precision_at_k(cust, day, y, s, 1) == pytest.approx((1 / 1 + 1 / 1) / 2)
    assert card_precision_at_k(cust, day, y, s, 2) == pytest.approx((1 / 2 + 1 / 2) / 2)
    assert card_precision_at_k(cust, day, y, s, 4) == pytest.approx((1 / 4 + 1 / 4) / 2)
