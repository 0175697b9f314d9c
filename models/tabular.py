"""Tabular preprocessing for gradient boosting: column typing, id detection and a fast ordinal encoder.

:class:`TabularEncoder` turns any mixed pandas/polars frame into a float64 matrix that
``HistGradientBoostingClassifier`` can consume directly:

* numeric and boolean columns pass through (missing values stay NaN; HGB learns where they go);
* string/categorical columns become category codes 0..K-1 (the ``max_categories`` most frequent
  values, ties broken by value), every other seen value shares one "other" code, and unseen values
  or missing values become NaN (HGB's missing-value branch);
* dropped with a recorded reason: constant columns, date/time columns, id-like columns
  (string columns that are nearly unique per row, or numeric columns named like an identifier whose
  values are all distinct).

Encoding a single row takes well under a millisecond, so the same encoder serves one-request
scoring and explanations.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Self

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from models.fingerprint import Frame, to_pandas

_ID_NAME = re.compile(r"(^|_)(id|ids|uuid|cpf|cnpj|key|number|numero|code|codigo)$", re.IGNORECASE)


@dataclass
class ColumnPlan:
    numeric: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    dropped: dict[str, str] = field(default_factory=dict)

    @property
    def features(self) -> list[str]:
        return self.numeric + self.categorical


def plan_columns(df: pd.DataFrame, id_unique_ratio: float = 0.5) -> ColumnPlan:
    """Decide, per column, numeric / categorical / dropped (with the reason)."""
    plan = ColumnPlan()
    n = len(df)
    for col in df.columns:
        s = df[col]
        nun = s.nunique(dropna=True)
        if nun <= 1:
            plan.dropped[col] = "constant"
        elif pd.api.types.is_datetime64_any_dtype(s) or pd.api.types.is_timedelta64_dtype(s):
            plan.dropped[col] = "date/time column (derive numeric features from it first)"
        elif pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            if _ID_NAME.search(str(col)) and nun == s.notna().sum() and n > 20:
                plan.dropped[col] = "identifier (named like an id, all values distinct)"
            else:
                plan.numeric.append(col)
        else:
            if n > 20 and nun >= id_unique_ratio * s.notna().sum():
                plan.dropped[col] = f"identifier-like ({nun} distinct values in {n} rows)"
            else:
                plan.categorical.append(col)
    return plan


class TabularEncoder(TransformerMixin, BaseEstimator):
    """Mixed frame -> float64 matrix (numeric as-is, categoricals as ordinal codes, NaN = missing)."""

    def __init__(self, max_categories: int = 64, id_unique_ratio: float = 0.5) -> None:
        self.max_categories = max_categories
        self.id_unique_ratio = id_unique_ratio

    def fit(self, X: Frame, y: object = None) -> Self:  # y: sklearn signature, unused
        df = to_pandas(X)
        self.plan_ = plan_columns(df, self.id_unique_ratio)
        self.categories_: dict[str, dict[str, float]] = {}
        for col in self.plan_.categorical:
            counts = df[col].dropna().astype(str).value_counts()
            ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            top = [v for v, _ in ranked[: self.max_categories]]
            mapping = {v: float(i) for i, v in enumerate(top)}
            if len(ranked) > len(top):
                other = float(len(top))
                mapping.update({v: other for v, _ in ranked[len(top) :]})
            self.categories_[col] = mapping
        self.feature_names_in_ = np.asarray(list(df.columns), dtype=object)
        self.features_ = self.plan_.features
        self.is_categorical_ = np.array(
            [False] * len(self.plan_.numeric) + [True] * len(self.plan_.categorical)
        )
        return self

    def transform(self, X: Frame) -> np.ndarray:
        df = to_pandas(X)
        missing = [c for c in self.features_ if c not in df.columns]
        if missing:
            raise ValueError(f"input lacks feature columns {missing}")
        out = np.empty((len(df), len(self.features_)), dtype=np.float64)
        for j, col in enumerate(self.plan_.numeric):
            out[:, j] = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        k = len(self.plan_.numeric)
        for j, col in enumerate(self.plan_.categorical):
            out[:, k + j] = lookup_codes(df[col], self.categories_[col], np.nan)
        return out

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:  # sklearn signature
        return np.asarray(self.features_, dtype=object)

    def decode(self, col: str, code: float) -> str | None:
        """The category value of ``code`` in column ``col`` (None for missing/other)."""
        if np.isnan(code):
            return None
        for v, c in self.categories_[col].items():
            if c == code:
                return v
        return None


def lookup_codes(values: pd.Series, mapping: Mapping[str, float], default: float) -> np.ndarray:
    """``mapping[str(v)]`` per value (``default`` for values not in it), NaN for missing values.

    A dict look-up per value: at the sizes trained here (hundreds to thousands of rows) it beats
    pandas' vectorised index look-up, whose fixed cost per call is larger.
    """
    get = mapping.get
    out = np.array([get(v if type(v) is str else str(v), default) for v in values.tolist()], dtype=np.float64)
    out[values.isna().to_numpy()] = np.nan
    return out
