"""Typed parsing shared by the silver transforms: JSON payloads, money strings, timestamps, quarantine rows.

Money: an API amount string (``"12.34"``, ``"12.3400"``) becomes integer cents by splitting the
digits (never through float) and a Decimal(18, 2) from the cents; anything else (negative,
non-numeric, fractions of a cent) leaves cents null and fails the ``amount_format`` check.
Timestamps: RFC 3339 UTC text to ``Datetime(us, UTC)``; unparsable text becomes null and fails the
``missing_timestamp`` check.
"""

from __future__ import annotations

import json
from datetime import datetime

import polars as pl

from lake.catalog import MONEY, TS, get_table
from lake.quality import CHECKS, REASON, ROW_INDEX

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


def quarantine_rows(bad: pl.DataFrame, source_table: str, run_id: str, now: datetime,
                    key_col: str = "source_record_id") -> pl.DataFrame:
    """``quarantine.rows`` frame for rows rejected by :func:`lake.quality.split_valid`."""
    t = get_table("quarantine.rows")
    if bad.height == 0:
        return pl.DataFrame(schema=t.schema)
    data_cols = [c for c in bad.columns if c not in (ROW_INDEX, CHECKS, REASON)]
    payload = bad.select(pl.struct([pl.col(c).cast(pl.String) for c in data_cols]).struct.json_encode()).to_series()
    keys = bad.get_column(key_col).cast(pl.String) if key_col in bad.columns else pl.Series([None] * bad.height)
    return pl.DataFrame({
        "run_id": [run_id] * bad.height,
        "source_table": [source_table] * bad.height,
        "row_index": bad.get_column(ROW_INDEX).cast(pl.Int64),
        "record_key": [json.dumps({key_col: k}) for k in keys.to_list()],
        "checks": bad.get_column(CHECKS),
        "reason": bad.get_column(REASON),
        "payload": payload,
        "quarantined_at": [now] * bad.height,
    }).with_columns(pl.col("quarantined_at").cast(TS), pl.col("quarantined_at").cast(TS).dt.date()
                    .alias("quarantine_date")).select(t.column_names)
