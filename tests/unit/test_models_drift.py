"""Model monitoring: PSI against a plain reference implementation (hypothesis) and on stable and shifted
populations (the daily asset, its export and alert rule: tests/component/test_models_drift_asset.py)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from models.drift import EPS, psi


def reference_psi(ref: list[float], live: list[float], bins: int = 10) -> float:
    """Textbook PSI, one bin at a time (the reference's decile cut points, open ends)."""
    srt = sorted(ref)
    cuts = sorted({float(np.quantile(srt, i / bins)) for i in range(1, bins)})
    total = 0.0
    for i in range(len(cuts) + 1):
        lo = cuts[i - 1] if i > 0 else -math.inf
        hi = cuts[i] if i < len(cuts) else math.inf
        e = max(sum(1 for x in ref if lo <= x < hi) / len(ref), EPS)
        a = max(sum(1 for x in live if lo <= x < hi) / len(live), EPS)
        total += (a - e) * math.log(a / e)
    return total


values = st.lists(st.integers(-1000, 1000).map(float), min_size=1, max_size=200)


@settings(max_examples=200, deadline=None)
@given(values, values)
def test_psi_matches_the_reference(ref, live):
    assert psi(np.array(ref), np.array(live)) == pytest_approx(reference_psi(ref, live))


def pytest_approx(x: float):
    import pytest

    return pytest.approx(x, rel=1e-9, abs=1e-12)


def test_psi_reads_stable_and_shifted_populations():
    rng = np.random.default_rng(7)
    base = rng.normal(0, 1, 20_000)
    assert psi(base, rng.normal(0, 1, 5_000)) < 0.02
    assert psi(base, rng.normal(1, 1, 5_000)) > 0.2
