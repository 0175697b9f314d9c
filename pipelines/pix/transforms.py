"""Pure silver transform of Pix received: bronze -> silver.pix_received (receiver key -> customer_pk)."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from lake import quality as q
from lake.pseudonym import pseudonymise
from pipelines.common.conform import AMOUNT_RE, cents, decode, money, ts

PIX = pl.Struct(
    {"endToEndId": pl.String, "txid": pl.String, "valor": pl.String, "horario": pl.String, "chave": pl.String}
)
SUITE = q.Suite(
    "silver.pix_received",
    (
        q.not_null("end_to_end_id"),
        q.regex("valor", AMOUNT_RE, name="amount_format"),
        q.between("amount_cents", min=1, name="amount_positive"),
        q.not_null("received_at", name="missing_timestamp"),
    ),
    table="silver.pix_received",
)


def silver_pix_received(
    bronze: pl.DataFrame | pl.LazyFrame, key_owners: pl.DataFrame, now: datetime, key: bytes | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``key_owners``: ``key_pk -> customer_pk`` of the bank's customers' PIX keys."""
    typed = (
        decode(bronze, PIX)
        .select(
            "end_to_end_id",
            "txid",
            "valor",
            "chave",
            ts(pl.col("horario")).alias("received_at"),
            pl.col("record_id").alias("source_record_id"),
            "pulled_at",
        )
        .sort("pulled_at")
        .unique("end_to_end_id", keep="last")
        .with_columns(cents(pl.col("valor")).alias("amount_cents"))
        .collect()
    )
    good, bad = q.split_valid(typed, SUITE)
    good = good.with_columns(pseudonymise(good.get_column("chave"), "pix_key", key=key).alias("key_pk")).join(
        key_owners.select("key_pk", "customer_pk"), on="key_pk", how="left"
    )
    out = good.select(
        "end_to_end_id",
        "txid",
        "customer_pk",
        money(pl.col("amount_cents")).alias("amount"),
        "amount_cents",
        pl.lit(None, pl.String).alias("payer_document_pk"),
        pl.lit(None, pl.String).alias("payer_name_pk"),
        "received_at",
        "source_record_id",
        pl.lit(now).cast(pl.Datetime("us", "UTC")).alias("ingested_at"),
    )
    return out, bad
