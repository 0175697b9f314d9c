"""Pure silver transforms of the bank's registry and app telemetry: customers, PIX keys and owners, logins."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from lake import quality as q
from lake.domain.world_schema import PIX_KEY_TYPES
from lake.pseudonym import pseudonymise
from pipelines.common.conform import decode
from pipelines.common.dedup import latest

S = pl.String
CUSTOMER = pl.Struct(
    {
        "cpf": S,
        "name": S,
        "email": S,
        "phone": S,
        "birth_date": S,
        "state": S,
        "monthly_income_cents": pl.Int64,
        "salary_day": pl.Int64,
        "created_at": S,
        "pix_keys": pl.List(pl.Struct({"key": S, "key_type": S, "account_id": S, "created_at": S})),
    }
)
SUITE = q.Suite(
    "silver.customers",
    (
        q.valid_cpf("cpf", name="bad_cpf"),
        q.not_null("cpf", name="cpf_present"),
        q.between("monthly_income_cents", min=0, name="income_non_negative"),
        q.not_null("created_at", name="missing_timestamp"),
    ),
    table="silver.customers",
)
LOGIN = pl.Struct({"device_id": S, "is_new_device": pl.Boolean})


def _json_ts(expr: pl.Expr) -> pl.Expr:
    # polars json_encode writes datetimes as "YYYY-MM-DD HH:MM:SS[.f]UTC"-like text or ISO; accept both
    return pl.coalesce(
        expr.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%:z", time_unit="us", time_zone="UTC", strict=False),
        expr.str.to_datetime("%Y-%m-%d %H:%M:%S%.f%:z", time_unit="us", time_zone="UTC", strict=False),
        expr.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", time_unit="us", time_zone="UTC", strict=False),
    )


def _typed_customers(bronze: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    return latest(decode(bronze, CUSTOMER), "customer_id").with_columns(
        _json_ts(pl.col("created_at")).alias("created_at")
    )


def silver_customers(
    bronze: pl.DataFrame | pl.LazyFrame, now: datetime, key: bytes | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    typed = _typed_customers(bronze).drop("pix_keys", "name").rename({"record_id": "source_record_id"})
    good, bad = q.split_valid(typed, SUITE)
    out = good.with_columns(
        pseudonymise(good.get_column("cpf"), "cpf", key=key).alias("customer_pk"),
        pseudonymise(good.get_column("email"), "email", key=key).alias("email_pk"),
        pseudonymise(good.get_column("phone"), "phone", key=key).alias("phone_pk"),
    ).select(
        "customer_pk",
        "customer_id",
        "email_pk",
        "phone_pk",
        pl.col("birth_date").str.slice(0, 4).cast(pl.Int16, strict=False).alias("birth_year"),
        "state",
        "monthly_income_cents",
        (pl.col("monthly_income_cents").cast(pl.Decimal(18, 0)).cast(pl.Decimal(18, 2)) / 100).alias(
            "monthly_income"
        ),
        pl.col("salary_day").cast(pl.Int8),
        "created_at",
        "source_record_id",
        pl.lit(now).cast(pl.Datetime("us", "UTC")).alias("ingested_at"),
    )
    return out, bad


def key_owners(bronze_customers: pl.DataFrame | pl.LazyFrame, key: bytes | None = None) -> pl.DataFrame:
    """``key_pk, customer_pk`` for every PIX key of the bank's customers (DICT registry)."""
    df = (
        _typed_customers(bronze_customers)
        .select("cpf", "pix_keys")
        .explode("pix_keys")
        .filter(pl.col("pix_keys").is_not_null())
        .unnest("pix_keys")
    )
    if df.height == 0:
        return pl.DataFrame(schema={"key_pk": S, "customer_pk": S})
    return pl.DataFrame(
        {
            "key_pk": pseudonymise(
                df.get_column("key"), "pix_key", key_type=df.get_column("key_type"), key=key
            ),
            "customer_pk": pseudonymise(df.get_column("cpf"), "cpf", key=key),
        }
    ).unique("key_pk")


KEY_SUITE = q.Suite(
    "silver.pix_keys",
    (
        q.not_null("key", name="key_present"),
        q.in_set("key_type", PIX_KEY_TYPES, name="key_type_in_spec"),
        q.valid_cpf("cpf", name="owner_bad_cpf"),
    ),
    table="silver.pix_keys",
)


def silver_pix_keys(
    bronze_customers: pl.DataFrame | pl.LazyFrame, now: datetime, key: bytes | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The bank's customers' PIX keys (DICT entries they registered), pseudonymised.

    One row per key: its current owner, account and DICT creation time (the latest customer
    record listing it: a key can be moved between accounts), ``first_seen_at`` the first pull
    that listed it.
    Rows with a missing key, a key type outside the spec or an owner with a bad CPF go to
    quarantine.
    """
    rows = (
        decode(bronze_customers, CUSTOMER)  # every pull (not only the latest record)
        .select("cpf", "name", "pulled_at", "record_id", "pix_keys")
        .collect()
        .explode("pix_keys")
        .filter(pl.col("pix_keys").is_not_null())
        .unnest("pix_keys")
        .with_columns(_json_ts(pl.col("created_at")).alias("created_at"))
    )
    good, bad = q.split_valid(rows, KEY_SUITE)
    if good.height == 0:
        good = good.with_columns(pl.lit(None, S).alias("key_pk"))
    else:
        good = good.with_columns(
            pseudonymise(
                good.get_column("key"), "pix_key", key_type=good.get_column("key_type"), key=key
            ).alias("key_pk")
        )
    first_seen = good.group_by("key_pk").agg(pl.col("pulled_at").min().alias("first_seen_at"))
    owners = latest(good, "key_pk")
    owners = owners.with_columns(
        pseudonymise(owners.get_column("cpf"), "cpf", key=key).alias("customer_pk"),
        pseudonymise(owners.get_column("cpf"), "document", key=key).alias("owner_document_pk"),
        pseudonymise(owners.get_column("name"), "name", key=key).alias("owner_name_pk"),
    )
    out = (
        owners.join(first_seen, on="key_pk")
        .select(
            "key_pk",
            "key_type",
            "customer_pk",
            "account_id",
            "owner_document_pk",
            "owner_name_pk",
            "created_at",
            "first_seen_at",
            pl.col("record_id").alias("source_record_id"),
            pl.lit(now).cast(pl.Datetime("us", "UTC")).alias("ingested_at"),
        )
        .sort("key_pk")
    )
    return out, bad


def customer_ids(bronze_customers: pl.DataFrame | pl.LazyFrame, key: bytes | None = None) -> pl.DataFrame:
    """``customer_id -> customer_pk`` (to pseudonymise app telemetry keyed by the internal id)."""
    df = _typed_customers(bronze_customers).select("customer_id", "cpf")
    return df.with_columns(pseudonymise(df.get_column("cpf"), "cpf", key=key).alias("customer_pk")).drop(
        "cpf"
    )


def silver_logins(bronze: pl.DataFrame | pl.LazyFrame, ids: pl.DataFrame, now: datetime) -> pl.DataFrame:
    joined = decode(bronze, LOGIN).join(ids.lazy(), on="customer_id", how="inner")
    return (
        latest(joined, ["customer_pk", "at"])
        .lazy()
        .select(
            "customer_pk",
            "at",
            "device_id",
            pl.col("is_new_device").fill_null(False),
            pl.col("record_id").alias("source_record_id"),
            pl.lit(now).cast(pl.Datetime("us", "UTC")).alias("ingested_at"),
        )
        .collect()
    )
