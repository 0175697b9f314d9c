"""Pure silver transform of bureau scores: bronze points -> silver.bureau_scores (CPF -> customer_pk)."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from lake import quality as q
from lake.pseudonym import pseudonymise
from pipelines.common.conform import decode, ts

SCORE = pl.Struct({"score": pl.Int64, "consultedAt": pl.String})
SUITE = q.Suite(
    "silver.bureau_scores",
    (
        q.valid_cpf("cpf", name="bad_cpf"),
        q.not_null("consulted_at", name="missing_timestamp"),
        q.not_null("score", name="score_present"),
        q.between("score", 0, 1000, name="score_range"),
    ),
    table="silver.bureau_scores",
)


def silver_bureau_scores(
    bronze: pl.DataFrame | pl.LazyFrame, now: datetime, key: bytes | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    typed = (
        decode(bronze.lazy().drop("consulted_at"), SCORE)
        .select(
            "cpf",
            "score",
            ts(pl.col("consultedAt")).alias("consulted_at"),
            pl.col("record_id").alias("source_record_id"),
            "pulled_at",
        )
        .sort("pulled_at")
        .unique(["cpf", "consulted_at"], keep="last")
        .drop("pulled_at")
        .collect()
    )
    good, bad = q.split_valid(typed, SUITE)
    out = good.with_columns(pseudonymise(good.get_column("cpf"), "cpf", key=key).alias("customer_pk")).select(
        "customer_pk",
        "consulted_at",
        pl.col("score").cast(pl.Int16),
        "source_record_id",
        pl.lit(now).cast(pl.Datetime("us", "UTC")).alias("ingested_at"),
    )
    return out, bad
