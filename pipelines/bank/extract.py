"""Bronze extracts of the bank's internal systems from the world (vectorised, no HTTP).

Payloads are JSON objects built by polars (``struct.json_encode``); natural keys as in the catalog.
``record_id`` is the sha256 of source, key and payload like every bronze row.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import polars as pl

from lake.catalog import get_table

SOURCE = "bank"


def _sha(values: list[str]) -> list[str]:
    return [hashlib.sha256(v.encode()).hexdigest() for v in values]


def _frame(
    table: str, df: pl.DataFrame, payload_cols: list[str], pulled_at: datetime, source: str = SOURCE
) -> pl.DataFrame:
    t = get_table(table)
    nat = list(t.natural_key)
    out = df.select(
        *[pl.col(c) for c in nat],
        pl.struct([pl.col(c) for c in payload_cols]).struct.json_encode().alias("payload"),
    )
    key_text = pl.concat_str(
        [pl.lit(source), *[pl.col(c).cast(pl.String) for c in nat], pl.col("payload")], separator="|"
    )
    ids = _sha(out.select(key_text).to_series().to_list())
    return out.with_columns(
        pl.Series("record_id", ids, dtype=pl.String),
        pl.lit(source).alias("source"),
        pl.lit(None, pl.String).alias("consent_id"),
        pl.lit(f"{source}-extract").alias("request_id"),
        pl.lit(pulled_at).cast(pl.Datetime("us", "UTC")).alias("pulled_at"),
        pl.lit(pulled_at.date()).alias("ingest_date"),
    ).select(t.column_names)


def customers(world: dict[str, pl.DataFrame], pulled_at: datetime) -> pl.DataFrame:
    keys = (
        world["pix_keys"]
        .filter(pl.col("customer_id").is_not_null())
        .group_by("customer_id")
        .agg(pl.struct("key", "key_type", "account_id", "created_at").sort_by("key").alias("pix_keys"))
    )
    df = world["customers"].join(keys, on="customer_id", how="left")
    return _frame(
        "bronze.bank_customers",
        df,
        [
            "customer_id",
            "cpf",
            "name",
            "email",
            "phone",
            "birth_date",
            "state",
            "monthly_income_cents",
            "salary_day",
            "created_at",
            "pix_keys",
        ],
        pulled_at,
    )


def transaction_context(world: dict[str, pl.DataFrame], pulled_at: datetime) -> pl.DataFrame:
    return _frame(
        "bronze.bank_transaction_context",
        world["transactions"],
        [
            "transaction_id",
            "channel",
            "device_id",
            "is_new_device",
            "counterparty_key",
            "counterparty_name",
            "mcc",
        ],
        pulled_at,
    )


def logins(world: dict[str, pl.DataFrame], pulled_at: datetime) -> pl.DataFrame:
    return _frame(
        "bronze.bank_logins", world["logins"], ["customer_id", "at", "device_id", "is_new_device"], pulled_at
    )


def fraud_labels(world: dict[str, pl.DataFrame], pulled_at: datetime) -> pl.DataFrame:
    df = world["transactions"].filter(pl.col("is_fraud"))
    return _frame("bronze.labels_fraud", df, ["transaction_id", "fraud_scenario"], pulled_at, "labels")


def credit_labels(world: dict[str, pl.DataFrame], pulled_at: datetime) -> pl.DataFrame:
    return _frame(
        "bronze.labels_credit", world["loans"], ["contract_id", "defaulted_6m"], pulled_at, "labels"
    )
