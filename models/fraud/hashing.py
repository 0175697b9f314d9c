"""Feature hashing of high-cardinality categoricals (device, counterparty key, MCC, channel).

:func:`hash_categoricals` is the single entry point: it uses the Rust ``cofre_native.feature_hash``
when the native module provides it, else scikit-learn's ``FeatureHasher`` on the same tokens
``f"{col}={value}"``; by contract both give the same CSR matrix.

How HGB uses them (decision): each column is hashed ON ITS OWN into ``n_buckets`` (default 2^7)
buckets with ``alternate_sign=False``; since one column yields exactly one token per row, the CSR
row has one non-zero whose column index IS the bucket number. :func:`bucket_codes` returns those
bucket numbers as one dense native-categorical feature per column (HGB groups buckets by gradient
statistics at each split; ≤255 categories is HGB's limit). This keeps one dense column per
categorical instead of 2^10..2^12 sparse columns, is target-free and stable for unseen values.
Missing values stay NaN (HGB's missing branch).

:func:`bucket_code` is the one-value form for the request path (scikit-learn's MurmurHash3 of the
same token, the same bucket rule as ``FeatureHasher``; tested equal to :func:`bucket_codes`).
"""

from __future__ import annotations

import numpy as np
import polars as pl
import scipy.sparse as sp
from sklearn.feature_extraction import FeatureHasher
from sklearn.utils import murmurhash3_32


def _native_hasher():
    import cofre_native

    return cofre_native.feature_hash if cofre_native.available() else None


def hash_categoricals(df, cols: list[str], n_features: int, alternate_sign: bool = False) -> sp.csr_matrix:
    """CSR (rows x n_features) of tokens ``f"{col}={value}"`` for the non-null values of ``cols``."""
    pl_df = df if isinstance(df, pl.DataFrame) else pl.from_pandas(df)
    sub = pl_df.select([pl.col(c).cast(pl.String) for c in cols])
    native = _native_hasher()
    if native is not None:
        return native(sub, n_features, alternate_sign).tocsr()
    rows = sub.rows()
    tokens = [[f"{c}={v}" for c, v in zip(cols, row, strict=True) if v is not None] for row in rows]
    hasher = FeatureHasher(n_features=n_features, input_type="string", alternate_sign=alternate_sign)
    return hasher.transform(tokens).tocsr()


def bucket_codes(df, cols: list[str], n_buckets: int = 128) -> np.ndarray:
    """Dense (rows x len(cols)) float matrix of per-column hash buckets; NaN where the value is null."""
    if n_buckets > 255:
        raise ValueError("HGB categorical features take at most 255 categories")
    pl_df = df if isinstance(df, pl.DataFrame) else pl.from_pandas(df)
    out = np.full((pl_df.height, len(cols)), np.nan)
    for j, col in enumerate(cols):
        m = hash_categoricals(pl_df, [col], n_buckets, alternate_sign=False)
        counts = np.diff(m.indptr)
        has = counts > 0
        out[has, j] = m.indices[m.indptr[:-1][has]]
    return out


def bucket_code(col: str, value: str | None, n_buckets: int = 128) -> float:
    """The bucket of one string ``value`` of column ``col`` (NaN for None), as :func:`bucket_codes` gives it."""
    if n_buckets > 255:
        raise ValueError("HGB categorical features take at most 255 categories")
    if value is None:
        return float("nan")
    if not isinstance(value, str):
        raise TypeError(f"bucket_code takes a string or None, got {type(value).__name__}")
    h = murmurhash3_32(f"{col}={value}", seed=0, positive=False)
    # FeatureHasher's index rule (abs(-2**31) would overflow int32, so it is spelled out)
    idx = (2147483647 - (n_buckets - 1)) % n_buckets if h == -2147483648 else abs(h) % n_buckets
    return float(idx)
