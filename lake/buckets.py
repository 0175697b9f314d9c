"""Customer buckets: the static partition of the per-customer tables.

A customer's bucket is ``pseudonym_int(customer_pk) % settings.lake_buckets`` (the first 60 bits of
the pseudonym, :func:`lake.pseudonym.pseudonym_int`), stored in the Int16 ``bucket`` column by which
silver.transactions and the gold per-customer tables are partitioned in Delta. Every window and join
that is per customer stays inside one bucket, so each bucket is computed, written (replace-where on
its partition, :func:`lake.delta.replace_bucket`) and retried on its own; Dagster runs the buckets as
the partitions of a ``StaticPartitionsDefinition`` (pipelines/common/buckets.py).
"""

from __future__ import annotations

import polars as pl

from lake.catalog import Table
from lake.pseudonym import pseudonym_int

COLUMN = "bucket"
CUSTOMER = "customer_pk"


def expr(n: int, customer_pk: pl.Expr | None = None) -> pl.Expr:
    """The bucket (0..n-1, Int16) of each customer pseudonym; null for a null or non-hex pseudonym."""
    return (pseudonym_int(pl.col(CUSTOMER) if customer_pk is None else customer_pk) % n).cast(pl.Int16)


def is_bucketed(t: Table) -> bool:
    return COLUMN in t.column_names


def with_bucket(t: Table, df: pl.DataFrame, n: int) -> pl.DataFrame:
    """``df`` with its ``bucket`` column derived from ``customer_pk`` when ``t`` is bucketed and the
    writer did not set it (a frame that has one keeps it: conform then checks it)."""
    if not is_bucketed(t) or COLUMN in df.columns or CUSTOMER not in df.columns:
        return df
    return df.with_columns(expr(n).alias(COLUMN))


def keys(n: int) -> list[str]:
    """The Dagster partition keys of ``n`` buckets: ``"0"`` .. ``str(n - 1)``."""
    return [str(b) for b in range(n)]


def predicate(bucket: int) -> str:
    """The Delta predicate of one bucket's partition (replace-where, delete)."""
    return f"{COLUMN} = {int(bucket)}"
