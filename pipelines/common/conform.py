"""Typed parsing shared by the silver transforms: JSON payloads, money strings, timestamps.

Money: an API amount string (``"12.34"``, ``"12.3400"``) becomes integer cents by splitting the
digits (never through float) and a Decimal(18, 2) from the cents; anything else (negative,
non-numeric, fractions of a cent) leaves cents null and fails the ``amount_format`` check.
Timestamps: RFC 3339 UTC text to ``Datetime(us, UTC)``; unparsable text becomes null and fails the
``missing_timestamp`` check.
"""

from __future__ import annotations

import polars as pl

from lake.catalog import MONEY

# no braces: lake.quality builds reasons with pl.format, which reads {..} as placeholders
AMOUNT_RE = r"^\d+\.\d\d(?:00?)?$"


def cents(expr: pl.Expr) -> pl.Expr:
    """Integer cents of an amount string matching :data:`AMOUNT_RE`, else null."""
    whole = expr.str.extract(r"^(\d{1,15})\.\d{2}(?:0{1,2})?$", 1).cast(pl.Int64, strict=False)
    frac = expr.str.extract(r"^\d{1,15}\.(\d{2})(?:0{1,2})?$", 1).cast(pl.Int64, strict=False)
    return whole * 100 + frac


def money(cents_expr: pl.Expr) -> pl.Expr:
    """Decimal(18, 2) from integer cents (exact)."""
    return cents_expr.cast(pl.Decimal(18, 0)).cast(MONEY) / pl.lit(100).cast(MONEY)


def ts(expr: pl.Expr) -> pl.Expr:
    """RFC 3339 UTC text (``...Z`` with or without fractions) to Datetime(us, UTC); bad text -> null."""
    return expr.str.to_datetime("%Y-%m-%dT%H:%M:%S%.fZ", time_unit="us", time_zone="UTC", strict=False)


def decode(df: pl.DataFrame | pl.LazyFrame, dtype: pl.Struct, prefix: str = "") -> pl.LazyFrame:
    """Unnest the JSON ``payload`` column with ``dtype`` (missing fields become null)."""
    lf = df.lazy()
    fields = [f.name for f in dtype.fields]
    return lf.with_columns(pl.col("payload").str.json_decode(dtype).alias("__p")).with_columns(
        [pl.col("__p").struct.field(f).alias(prefix + f) for f in fields]).drop("__p")


def pseudonymise_distinct(values: pl.Series, kind, *, key: bytes | None = None) -> pl.Series:
    """:func:`lake.pseudonym.pseudonymise` run once per distinct value (normalisation included), mapped back.

    Same result as pseudonymising the column (tested); much faster when values repeat (counterparty
    keys and names repeat across millions of transactions).
    """
    from lake.pseudonym import pseudonymise

    uniq = values.drop_nulls().unique()
    if uniq.len() == 0:
        return pl.Series(values.name, [None] * len(values), dtype=pl.String)
    hashed = pseudonymise(uniq, kind, key=key)
    return values.replace_strict(uniq, hashed, default=None, return_dtype=pl.String).alias(values.name)
