"""Public-shaped synthetic credit data sets for the generic credit trainer's tests and bench.

Each set imitates the SHAPE of a well-known public credit data set (not its values): row count,
bad rate, how many coded categorical columns and numbers, missing values, and how the risk is built
(additive category effects, monotone trends, thresholds, U-shapes, one interaction, informative
missingness, pure-noise columns). The label is drawn from a logistic model whose log-odds have the
set's ``signal`` standard deviation, so the signal is weak on purpose (best achievable AUC about
0.75-0.85). Deterministic per (set, seed); independent of the bank simulator.

``make_set(name, seed)`` returns a frame with the label column ``bad`` (1 = defaulted);
``make_set_with_truth`` also returns the true log-odds; ``SETS`` lists the names.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class SetSpec:
    rows: int
    bad_rate: float
    categorical: tuple[int, ...]  # number of levels of each coded categorical column
    numeric: tuple[str, ...]  # shape of each numeric column's effect: linear, step, ushape, ordinal, noise
    signal: float  # sd of the true log-odds
    interaction: float  # share of the log-odds from one product of two numbers
    missing: float  # share of missing values in numeric columns (the first one informative)
    noise_categorical: int = 0


SETS: dict[str, SetSpec] = {
    # 1 000 applicants, 13 coded categories (A11..), 7 numbers, 30 % bad
    "german_like": SetSpec(
        1000,
        0.30,
        (4, 5, 10, 5, 5, 4, 3, 4, 3, 3, 4, 2, 2),
        ("linear", "step", "ushape", "ordinal", "noise", "ordinal", "noise"),
        1.35,
        0.10,
        0.0,
        noise_categorical=4,
    ),
    # 690 applicants, anonymised attributes, one dominant flag, 44 % bad
    "australian_like": SetSpec(
        690,
        0.44,
        (2, 2, 14, 9, 3, 2, 3, 2),
        ("linear", "step", "linear", "noise", "ushape", "noise"),
        1.9,
        0.0,
        0.01,
    ),
    # 1 500 card holders: repayment-status ordinals with thresholds, bills and payments, 22 % bad
    "taiwan_like": SetSpec(
        1500,
        0.22,
        (2, 4, 3),
        (
            "step",
            "step",
            "ordinal",
            "ordinal",
            "linear",
            "linear",
            "noise",
            "noise",
            "linear",
            "ushape",
            "noise",
            "step",
        ),
        1.3,
        0.25,
        0.0,
    ),
    # 2 500 loans, rare defaults (8 %), high-cardinality categories, many missing values
    "homecredit_like": SetSpec(
        2500,
        0.08,
        (2, 3, 18, 40, 7, 5, 2, 30, 4, 6),
        ("linear", "linear", "linear", "step", "ushape", "noise", "noise", "ordinal", "noise", "linear"),
        1.15,
        0.10,
        0.15,
        noise_categorical=3,
    ),
    # 1 200 home-equity loans: numbers with informative missingness and U-shapes, 20 % bad
    "hmeq_like": SetSpec(
        1200,
        0.20,
        (6, 3),
        ("linear", "step", "ushape", "linear", "ordinal", "noise", "ushape", "linear", "step", "noise"),
        1.6,
        0.15,
        0.10,
    ),
}


def _standard(v: np.ndarray) -> np.ndarray:
    sd = float(np.std(v)) or 1.0
    return (v - float(np.mean(v))) / sd


def _intercept(logit: np.ndarray, rate: float) -> float:
    lo, hi = -20.0, 20.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if np.mean(1 / (1 + np.exp(-(logit + mid)))) < rate:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def make_set(name: str, seed: int = 0) -> pd.DataFrame:
    """The data set ``name`` (one of :data:`SETS`), deterministic per seed; label column ``bad``."""
    return make_set_with_truth(name, seed)[0]


def make_set_with_truth(name: str, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """The data set and the true log-odds of each row (its AUC is the ceiling a model can reach)."""
    spec = SETS[name]
    rng = np.random.default_rng([seed, sorted(SETS).index(name)])
    n = spec.rows
    cols: dict[str, object] = {}
    parts: list[np.ndarray] = []
    weights: list[float] = []
    for j, k in enumerate(spec.categorical):
        probs = rng.dirichlet(np.full(k, 1.2))
        codes = rng.choice(k, n, p=probs)
        cols[f"cat{j + 1:02d}"] = np.array([f"A{j + 1}{level + 1}" for level in range(k)])[codes]
        effect = rng.normal(0, 1, k)[codes]
        parts.append(_standard(effect) if np.std(effect) > 0 else effect)
        weights.append(float(0.75**j))  # a few strong columns, then weaker ones
    numbers: list[np.ndarray] = []
    for j, shape in enumerate(spec.numeric):
        name_j = f"num{j + 1:02d}"
        if shape == "ordinal":
            x = rng.integers(1, 5, n).astype(np.float64)
            eff = _standard(x) * rng.choice([-1, 1])
        else:
            x = np.rint(np.exp(rng.normal(rng.uniform(2, 8), rng.uniform(0.3, 0.9), n)))
            z = _standard(np.log1p(x))
            if shape == "linear":
                eff = z * rng.choice([-1, 1])
            elif shape == "step":
                eff = np.where(z > rng.uniform(0.3, 1.2), 1.5, 0.0) * rng.choice([-1, 1])
            elif shape == "ushape":
                eff = (z - rng.uniform(-0.5, 0.5)) ** 2
            else:
                eff = np.zeros(n)
        numbers.append(x)
        cols[name_j] = x
        if np.std(eff) > 0:
            parts.append(_standard(eff))
            weights.append(float(0.8**j))
    w = np.array(weights)
    logit = np.column_stack(parts) @ (w / np.sqrt(np.sum(w**2)))
    if spec.interaction > 0 and len(numbers) >= 2:
        inter = _standard(_standard(np.log1p(numbers[0])) * _standard(np.log1p(numbers[1])))
        logit = np.sqrt(1 - spec.interaction) * _standard(logit) + np.sqrt(spec.interaction) * inter
    logit = spec.signal * _standard(logit)
    for j in range(spec.noise_categorical):
        k = int(rng.integers(2, 6))
        cols[f"noise{j + 1:02d}"] = np.array([f"B{j + 1}{level + 1}" for level in range(k)])[
            rng.integers(0, k, n)
        ]
    df = pd.DataFrame(cols)
    if spec.missing > 0:
        first = "num01"
        # informative: the riskiest applicants leave the first number blank more often
        p_miss = spec.missing * 2 / (1 + np.exp(-logit))
        df.loc[rng.random(n) < p_miss, first] = np.nan
        for col in [c for c in df.columns if c.startswith("num") and c != first]:
            df.loc[rng.random(n) < spec.missing / 2, col] = np.nan
    logit = logit + _intercept(logit, spec.bad_rate)
    df["bad"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    return df, logit
