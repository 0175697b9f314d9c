"""cofre_native.window_features equals the numpy window code (pipelines.gold.windows) on random data."""

from __future__ import annotations

import cofre_native
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.gold import windows

W, D, M = ("1h", "24h", "7d", "30d"), ("24h", "7d", "30d"), "30d"
H = 3_600_000_000


def _case(seed: int, customers: int, rows: int, codes: int, step_h: float):
    rnd = np.random.default_rng(seed)
    cid = np.sort(rnd.integers(0, customers, rows))
    # times: per row a jump of 0 (a tie), a few minutes, hours or days; sorted within each customer
    jumps = rnd.choice([0, H // 60, H, 24 * H, int(step_h * H), 40 * 24 * H], rows)
    t = np.cumsum(jumps) + 1_700_000_000_000_000
    t = np.concatenate([np.sort(t[cid == c]) for c in np.unique(cid)]) if rows else t
    amount = rnd.integers(-5, 10**6, rows)
    cp = rnd.integers(0, codes, rows)
    cp_valid = rnd.random(rows) < 0.8
    new_device = rnd.random(rows) < 0.1

    def events(k: int) -> windows.Events:
        pick = rnd.integers(0, max(rows, 1), k)
        return windows.Events.of(
            np.r_[cid[pick] if rows else [], customers + 5].astype(np.int64),
            np.r_[t[pick] - rnd.integers(0, 3, k) * H // 2 if rows else [], 0].astype(np.int64),
        )

    return (
        cid,
        t,
        amount,
        np.where(cp_valid, cp, 0),
        cp_valid,
        new_device,
        events(rows // 3),
        events(rows // 10),
    )


def _compare(case) -> None:
    got = windows.window_features(*case, W, D, M, native=True)
    ref = windows.numpy_window_features(*case, W, D, M, max_rows=97)
    assert got.keys() == ref.keys()
    # value columns are compared where their flag says there is a value
    for flag, col, present in (
        ("max_null", "max_amount", False),
        ("has_login", "last_login_at", True),
        ("has_device_change", "device_change_at", True),
    ):
        np.testing.assert_array_equal(got[flag], ref[flag], err_msg=flag)
        has = got[flag] == present
        np.testing.assert_array_equal(got[col][has], ref[col][has], err_msg=col)
    for name in got:
        if name not in ("max_amount", "last_login_at", "device_change_at"):
            np.testing.assert_array_equal(got[name], ref[name], err_msg=name)
            assert got[name].dtype == ref[name].dtype, name


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    customers=st.integers(1, 12),
    rows=st.integers(0, 400),
    codes=st.integers(1, 30),
    step_h=st.sampled_from([0.5, 23, 24, 167, 168, 719, 720]),
)
def test_native_windows_equal_numpy(seed, customers, rows, codes, step_h):
    _compare(_case(seed, customers, rows, codes, step_h))


def test_native_windows_equal_numpy_on_many_chunks():
    # enough rows for several rayon chunks (chunks are at least 65536 rows)
    _compare(_case(7, 3000, 300_000, 5000, 24))


def test_native_windows_reject_unsorted_rows():
    from cofre_native import window_features

    a = np.array([0, 0], dtype=np.int64)
    t = np.array([5, 3], dtype=np.int64)
    b = np.zeros(2, dtype=bool)
    e = np.zeros(0, dtype=np.int64)
    with pytest.raises(cofre_native.WindowInputError, match="sorted"):
        window_features(a, t, a, a, b, b, e, e, e, e, [H], [H], H)
