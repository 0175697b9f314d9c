"""Data fingerprints: a stable SHA-256 of a DataFrame's columns, dtypes and values.

Used to tag MLflow runs with the exact training data and model versions with the exact holdout,
so that champion/challenger comparisons only compare metrics computed on the same holdout.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import polars as pl

# what the model code takes as a frame: pandas, or polars (converted through Arrow)
Frame = pd.DataFrame | pl.DataFrame


def to_pandas(df: Frame) -> pd.DataFrame:
    """Accept a pandas or polars DataFrame; return pandas (polars via Arrow, no copy of strings)."""
    if isinstance(df, pd.DataFrame):
        return df
    if hasattr(df, "to_pandas"):
        return df.to_pandas()
    raise TypeError(f"expected a pandas or polars DataFrame, got {type(df).__name__}")


def data_fingerprint(df: Frame, extra: object | None = None) -> str:
    """Hex SHA-256 over column names, dtypes and pandas' row hashes (order-sensitive)."""
    pdf = to_pandas(df)
    h = hashlib.sha256()
    h.update("|".join(f"{c}:{t}" for c, t in zip(pdf.columns, pdf.dtypes, strict=True)).encode())
    h.update(pd.util.hash_pandas_object(pdf, index=False).to_numpy().tobytes())
    if extra is not None:
        h.update(repr(extra).encode())
    return h.hexdigest()
