"""Typed parsing shared by the silver transforms: JSON payloads, money strings, timestamps.

Money: an API amount string (``"12.34"``, ``"12.3400"``) becomes integer cents by splitting the
digits (never through float) and a Decimal(18, 2) from the cents; anything else (negative,
non-numeric, fractions of a cent) leaves cents null and fails the ``amount_format`` check.
Timestamps: RFC 3339 UTC text to ``Datetime(us, UTC)``; unparsable text becomes null and fails the
``missing_timestamp`` check.
"""

from __future__ import annotations

import io

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
    """Unnest the JSON ``payload`` column with ``dtype`` (missing fields become null).

    The payloads are parsed in one multi-threaded ``read_ndjson`` call over the column joined by
    newlines (compact JSON has no raw newlines); payloads that do not fit that path (raw newlines,
    nulls, values of another type) fall back to ``str.json_decode`` row by row, same result.
    """
    frame = df.lazy().collect()
    fields = [f.name for f in dtype.fields]
    parsed = _json_rows(frame.get_column("payload"), dtype)
    return frame.hstack([parsed.get_column(f).alias(prefix + f) for f in fields]).lazy()


_JSON_CHUNK = 1_000_000  # payloads per read_ndjson call (bounds the joined text's size)


def _json_rows(payload: pl.Series, dtype: pl.Struct) -> pl.DataFrame:
    schema = {f.name: f.dtype for f in dtype.fields}
    if len(payload) and not payload.null_count() and not payload.str.contains("\n", literal=True).any():
        try:
            out = pl.concat([pl.read_ndjson(io.BytesIO(part.str.join("\n").item().encode()), schema=schema)
                             for part in (payload.slice(o, _JSON_CHUNK) for o in range(0, len(payload), _JSON_CHUNK))])
            if out.height == len(payload):
                return out
        except pl.exceptions.PolarsError:
            pass
    return payload.str.json_decode(dtype).struct.unnest().select(list(schema)) if len(payload) else pl.DataFrame(
        schema=schema)


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
