"""Weight-of-evidence (WoE) binning, the way credit teams prepare a scorecard.

Each column becomes a small set of bins (attributes) plus a ``missing`` bin:

* numeric: cut points at training quantiles (each distinct value its own bin when there are at
  most ``max_bins`` of them); bins holding less than ``min_share`` of the rows are merged into a
  neighbour; with ``monotone=True`` adjacent bins are then pooled until the bad rate runs one way
  only (the direction of the training data's trend: pool-adjacent-violators);
* categorical (strings): one bin per category seen in at least ``min_share`` of the rows, the
  rarer ones share the bin ``outros``, which also takes categories unseen at training.

WoE of bin i (textbook sign: positive = better than average), shrunk towards 0 by ``prior``
pseudo-rows spread at the overall bad rate pi = B / N::

    woe_i = ln((g_i + prior * (1 - pi)) / (b_i + prior * pi)) - ln((1 - pi) / pi)

so an empty bin (e.g. no missing values at training) has WoE 0, the neutral value.
Information value: IV = sum_i (g_i/G - b_i/B) * woe_i (with the same shrinkage).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from models.tabular import lookup_codes

MISSING = "ausente"
OTHER = "outros"


@dataclass(frozen=True)
class FeatureBins:
    """The bins of one column: how to assign a value to a bin, each bin's label, counts and WoE.

    Bin indices: numeric 0..len(edges) by ``searchsorted(edges, x, side='right')``; categorical by
    ``categories`` (value -> index, unseen -> the ``outros`` bin); the LAST index is the missing bin.
    """

    feature: str
    kind: Literal["numeric", "categorical"]
    edges: tuple[float, ...]
    categories: dict[str, int]
    other_bin: int | None
    labels: tuple[str, ...]
    n: tuple[int, ...]
    bad: tuple[int, ...]
    woe: tuple[float, ...]
    iv: float

    @property
    def missing_bin(self) -> int:
        return len(self.labels) - 1

    def assign(self, values: pd.Series) -> np.ndarray:
        """Bin index of every value (missing values -> the missing bin)."""
        if self.kind == "numeric":
            x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
            idx = np.searchsorted(np.asarray(self.edges, dtype=np.float64), x, side="right")
            idx[np.isnan(x)] = self.missing_bin
            return idx.astype(np.int64)
        fallback = self.other_bin if self.other_bin is not None else self.missing_bin
        codes = lookup_codes(values, self.categories, float(fallback))
        codes[np.isnan(codes)] = self.missing_bin
        return codes.astype(np.int64)

    def transform(self, values: pd.Series) -> np.ndarray:
        return np.asarray(self.woe, dtype=np.float64)[self.assign(values)]


def woe_values(
    good: np.ndarray, bad: np.ndarray, total_good: int, total_bad: int, prior: float
) -> np.ndarray:
    """Shrunk WoE per bin from good/bad counts (see the module docstring)."""
    n = total_good + total_bad
    pi = total_bad / n
    g = np.asarray(good, dtype=np.float64)
    b = np.asarray(bad, dtype=np.float64)
    return np.log((g + prior * (1 - pi)) / (b + prior * pi)) - np.log((1 - pi) / pi)


def _information_value(good: np.ndarray, bad: np.ndarray, woe: np.ndarray) -> float:
    g_share = good / max(good.sum(), 1)
    b_share = bad / max(bad.sum(), 1)
    return float(np.sum((g_share - b_share) * woe))


def _merge_small(counts: list[int], bads: list[int], edges: list[float], min_count: float) -> None:
    """Merge (in place) any bin below ``min_count`` rows into its smaller neighbour."""
    while len(counts) > 1:
        small = [i for i, c in enumerate(counts) if c < min_count]
        if not small:
            return
        i = min(small, key=lambda k: counts[k])
        if i == 0:
            j = 1
        elif i == len(counts) - 1:
            j = i - 1
        else:
            j = i - 1 if counts[i - 1] <= counts[i + 1] else i + 1
        lo, hi = min(i, j), max(i, j)
        counts[lo] += counts[hi]
        bads[lo] += bads[hi]
        del counts[hi], bads[hi], edges[lo]


def _pool_monotone(counts: list[int], bads: list[int], edges: list[float], direction: int) -> None:
    """Pool adjacent bins (in place) until bad rates are non-decreasing (direction +1) or non-increasing."""
    while len(counts) > 1:
        rates = [b / c for b, c in zip(bads, counts, strict=True)]
        viol = [i for i in range(len(rates) - 1) if direction * (rates[i + 1] - rates[i]) < 0]
        if not viol:
            return
        i = viol[0]
        counts[i] += counts[i + 1]
        bads[i] += bads[i + 1]
        del counts[i + 1], bads[i + 1], edges[i]


def _fmt(v: float) -> str:
    return f"{v:.6g}"


def _numeric_bins(
    name: str, x: np.ndarray, y: np.ndarray, max_bins: int, min_share: float, monotone: bool, prior: float
) -> FeatureBins:
    ok = ~np.isnan(x)
    xv, yv = x[ok], y[ok]
    edges: list[float] = []
    if xv.size:
        uniq = np.unique(xv)
        if uniq.size <= max_bins:
            edges = [float(v) for v in (uniq[:-1] + uniq[1:]) / 2.0]
        else:
            qs = np.quantile(xv, np.linspace(0, 1, max_bins + 1)[1:-1])
            # a cut at a quantile value puts that value in the upper bin (side='right'); keep cuts
            # strictly inside the data range so no bin is empty by construction
            edges = sorted({float(q) for q in qs if uniq[0] < q <= uniq[-1]})
    idx = np.searchsorted(np.asarray(edges), xv, side="right")
    counts = np.bincount(idx, minlength=len(edges) + 1).tolist()
    bads = np.bincount(idx, weights=yv, minlength=len(edges) + 1).astype(np.int64).tolist()
    _merge_small(counts, bads, edges, min_share * len(y))
    if monotone and len(counts) > 1 and xv.size > 2 and np.std(xv) > 0 and np.std(yv) > 0:
        rho = pd.Series(xv).rank().corr(pd.Series(yv).rank())
        _pool_monotone(counts, bads, edges, 1 if rho >= 0 else -1)
    labels = _interval_labels(edges) + [MISSING]
    n_arr = np.array(counts + [int((~ok).sum())])
    b_arr = np.array(bads + [int(y[~ok].sum())])
    return _finish(name, "numeric", tuple(edges), {}, None, labels, n_arr, b_arr, y, prior)


def _interval_labels(edges: list[float]) -> list[str]:
    if not edges:
        return ["todos"]
    out = [f"< {_fmt(edges[0])}"]
    out += [f"[{_fmt(a)}, {_fmt(b)})" for a, b in zip(edges[:-1], edges[1:], strict=True)]
    out.append(f">= {_fmt(edges[-1])}")
    return out


def _categorical_bins(name: str, s: pd.Series, y: np.ndarray, min_share: float, prior: float) -> FeatureBins:
    miss = s.isna().to_numpy()
    vals = s[~miss].astype(str)
    counts = vals.value_counts()
    frequent = sorted(
        (v for v, c in counts.items() if c >= min_share * len(y)), key=lambda v: (-counts[v], v)
    )
    categories = {v: i for i, v in enumerate(frequent)}
    rare = [v for v in counts.index if v not in categories]
    other_bin = len(frequent)
    for v in rare:
        categories[v] = other_bin
    labels = [*frequent, OTHER, MISSING]
    idx = np.full(len(s), len(labels) - 1, dtype=np.int64)
    idx[~miss] = [categories[v] for v in vals.tolist()]
    n_arr = np.bincount(idx, minlength=len(labels))
    b_arr = np.bincount(idx, weights=y, minlength=len(labels)).astype(np.int64)
    return _finish(name, "categorical", (), categories, other_bin, labels, n_arr, b_arr, y, prior)


def _finish(
    name: str,
    kind: Literal["numeric", "categorical"],
    edges: tuple[float, ...],
    categories: dict[str, int],
    other_bin: int | None,
    labels: list[str],
    n_arr: np.ndarray,
    b_arr: np.ndarray,
    y: np.ndarray,
    prior: float,
) -> FeatureBins:
    total_bad = int(y.sum())
    total_good = len(y) - total_bad
    good = n_arr - b_arr
    woe = woe_values(good, b_arr, total_good, total_bad, prior)
    return FeatureBins(
        feature=name,
        kind=kind,
        edges=edges,
        categories=categories,
        other_bin=other_bin,
        labels=tuple(labels),
        n=tuple(int(v) for v in n_arr),
        bad=tuple(int(v) for v in b_arr),
        woe=tuple(float(v) for v in woe),
        iv=_information_value(good.astype(np.float64), b_arr.astype(np.float64), woe),
    )


class WoeBinner:
    """Fit WoE bins on (frame, 0/1 label); transform a frame to its WoE matrix (one column per feature)."""

    def __init__(
        self,
        numeric: list[str],
        categorical: list[str],
        *,
        max_bins: int = 8,
        min_share: float = 0.05,
        monotone: bool = True,
        prior: float = 2.0,
    ) -> None:
        self.numeric = list(numeric)
        self.categorical = list(categorical)
        self.max_bins = max_bins
        self.min_share = min_share
        self.monotone = monotone
        self.prior = prior
        self.bins_: dict[str, FeatureBins] = {}

    @property
    def features(self) -> list[str]:
        return self.numeric + self.categorical

    def fit(self, df: pd.DataFrame, y: np.ndarray) -> WoeBinner:
        yv = np.asarray(y, dtype=np.int64)
        if yv.min() == yv.max():
            raise ValueError("WoE binning needs both classes")
        self.bins_ = {}
        for col in self.numeric:
            x = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
            self.bins_[col] = _numeric_bins(
                col, x, yv, self.max_bins, self.min_share, self.monotone, self.prior
            )
        for col in self.categorical:
            self.bins_[col] = _categorical_bins(col, df[col], yv, self.min_share, self.prior)
        self.fit_woe_ = self.transform(df)  # the fitted rows' WoE matrix, reused by scorecards
        return self

    def transform(self, df: pd.DataFrame) -> np.ndarray:
        out = np.empty((len(df), len(self.features)), dtype=np.float64)
        for j, col in enumerate(self.features):
            out[:, j] = self.bins_[col].transform(df[col])
        return out

    def assign(self, df: pd.DataFrame) -> np.ndarray:
        """Bin index per row and feature (same column order as :meth:`transform`)."""
        out = np.empty((len(df), len(self.features)), dtype=np.int64)
        for j, col in enumerate(self.features):
            out[:, j] = self.bins_[col].assign(df[col])
        return out

    def table(self) -> pd.DataFrame:
        """One row per (feature, bin): label, rows, bad, bad rate, WoE and the feature's IV."""
        rows: list[dict[str, Any]] = []
        for col in self.features:
            fb = self.bins_[col]
            for i, label in enumerate(fb.labels):
                rows.append(
                    {
                        "feature": col,
                        "bin": i,
                        "attribute": label,
                        "rows": fb.n[i],
                        "bad": fb.bad[i],
                        "bad_rate": fb.bad[i] / fb.n[i] if fb.n[i] else float("nan"),
                        "woe": fb.woe[i],
                        "iv": fb.iv,
                    }
                )
        return pd.DataFrame(rows)
