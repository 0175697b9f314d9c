"""Pure gold transforms (polars lazy, vectorised): silver frames in, gold frames out.

* :func:`transaction_features`: per transaction, windows of 1h/24h/7d/30d **strictly before** the
  transaction (``closed="left"``: rows at the same instant are excluded too), distinct counterparties,
  first-time counterparty, amount vs 30-day mean/max, local hour/weekday, minutes since the last login
  and the last device change (latest strictly before), labels. The window arithmetic is exact
  prefix sums over one sort by (customer, time): see :mod:`pipelines.gold.windows`.
* :func:`customer_day`: customer x local day aggregates.
* :func:`counterparty_pairs`: first transaction time per (customer, counterparty) pair (Feast's
  ``known_counterparties`` view: is this a first-time counterparty?).
* :func:`credit_features`: per customer and monthly as-of date, features from data strictly before
  the as-of date; label = any loan contracted in the 6 months from the as-of date defaulted.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    import numpy as np

from pipelines.gold import windows

TZ = "America/Sao_Paulo"
WINDOWS = ("1h", "24h", "7d", "30d")
DISTINCT_WINDOWS = ("24h", "7d", "30d")
_TS = pl.Datetime("us", "UTC")


def transaction_features(
    tx: pl.LazyFrame | pl.DataFrame, logins: pl.LazyFrame | pl.DataFrame, now: datetime
) -> pl.DataFrame:
    df = (
        tx.lazy()
        .select(
            "transaction_id",
            "customer_pk",
            "booked_at",
            "booked_month",
            "amount_cents",
            "credit_debit_type",
            "type",
            "channel",
            "counterparty_pk",
            "is_new_device",
            "is_fraud",
            "fraud_scenario",
        )
        .with_columns(pl.col("customer_pk").cast(pl.Categorical).to_physical().alias("_code"))
        .collect()
    )
    df = _by_customer_time(df).with_columns(pl.col("_code").rle_id().cast(pl.Int64).alias("_cid"))
    # customer ids 0..m-1 in row order; logins keyed by the same ids (customers without rows dropped)
    ids = df.select("customer_pk", "_cid").unique("customer_pk")
    lg = (
        logins.lazy()
        .select("customer_pk", pl.col("at").cast(_TS), "is_new_device")
        .join(ids.lazy(), on="customer_pk", how="inner")
        .collect()
    )

    def us(s: pl.Series) -> np.ndarray:
        return s.dt.epoch("us").to_numpy()

    lg_new = lg.filter(pl.col("is_new_device").fill_null(False))
    cp = df.get_column("counterparty_pk").cast(pl.Categorical).to_physical()
    cols = windows.window_features(
        df.get_column("_cid").to_numpy(),
        us(df.get_column("booked_at")),
        df.get_column("amount_cents").to_numpy(),
        cp.fill_null(0).to_numpy(),
        cp.is_not_null().to_numpy(),
        df.get_column("is_new_device").fill_null(False).to_numpy(),
        windows.Events.of(lg.get_column("_cid").to_numpy(), us(lg.get_column("at"))),
        windows.Events.of(lg_new.get_column("_cid").to_numpy(), us(lg_new.get_column("at"))),
        WINDOWS,
        DISTINCT_WINDOWS,
        "30d",
    )
    lf = (
        df.lazy()
        .with_columns(pl.Series(name, v) for name, v in cols.items())
        .with_columns(
            pl.when(~pl.col("max_null")).then(pl.col("max_amount")).alias("max_amount_cents_30d"),
            pl.when(pl.col("has_login")).then(pl.col("last_login_at").cast(_TS)).alias("last_login_at"),
            pl.when(pl.col("has_device_change"))
            .then(pl.col("device_change_at").cast(_TS))
            .alias("device_change_at"),
        )
    )
    local = pl.col("booked_at").dt.convert_time_zone(TZ)
    mean30 = pl.when(pl.col("tx_count_30d") > 0).then(pl.col("tx_sum_cents_30d") / pl.col("tx_count_30d"))
    out = lf.with_columns(mean30.alias("mean_amount_cents_30d")).select(
        "transaction_id",
        "customer_pk",
        "booked_at",
        "booked_month",
        "counterparty_pk",
        "amount_cents",
        "credit_debit_type",
        "type",
        "channel",
        local.dt.hour().cast(pl.Int8).alias("hour_of_day"),
        local.dt.weekday().cast(pl.Int8).alias("day_of_week"),
        *[f"tx_count_{w}" for w in WINDOWS],
        *[f"tx_sum_cents_{w}" for w in WINDOWS],
        "distinct_counterparties_24h",
        "distinct_counterparties_7d",
        "distinct_counterparties_30d",
        "is_first_time_counterparty",
        "mean_amount_cents_30d",
        "max_amount_cents_30d",
        (pl.col("amount_cents") / pl.col("mean_amount_cents_30d")).alias("amount_to_mean_30d"),
        (pl.col("amount_cents") / pl.col("max_amount_cents_30d")).alias("amount_to_max_30d"),
        pl.col("is_new_device").fill_null(False),
        ((pl.col("booked_at") - pl.col("last_login_at")).dt.total_seconds() / 60.0).alias(
            "minutes_since_last_login"
        ),
        ((pl.col("booked_at") - pl.col("device_change_at")).dt.total_seconds() / 60.0).alias(
            "minutes_since_device_change"
        ),
        "is_fraud",
        "fraud_scenario",
        pl.lit(now).cast(_TS).alias("computed_at"),
    )
    return out.collect()


def _by_customer_time(df: pl.DataFrame) -> pl.DataFrame:
    """``df`` sorted by (``_code``, ``booked_at``): by one int64 key ``code << bits | microseconds since
    the first row`` when both fit in 62 bits (a one-key sort is about 40% cheaper), else by both columns."""
    if df.height == 0:
        return df
    us = pl.col("booked_at").dt.epoch("us")
    span, codes = df.select(us.max() - us.min(), pl.col("_code").max()).row(0)
    bits = int(span or 0).bit_length()
    if bits + int(codes or 0).bit_length() > 62:
        return df.sort("_code", "booked_at")
    return df.sort((pl.col("_code").cast(pl.Int64) * (1 << bits)) + (us - us.min()))


def customer_day(tx: pl.LazyFrame | pl.DataFrame, now: datetime) -> pl.DataFrame:
    """Customer x local-day aggregates. Conditional counts and sums are plain sums of precomputed
    columns (no per-group filters); customers are grouped as categoricals and distinct counterparties
    are counted from unique (customer, day, counterparty code) triples (a per-group ``n_unique`` over
    millions of customer-days is several times slower)."""
    credit = pl.col("credit_debit_type") == "CREDITO"
    debit = ~credit
    pix_out = debit & (pl.col("type") == "PIX")
    card = pl.col("source") == "CREDIT_CARD"
    salary = credit & pl.col("type").is_in(["FOLHA_PAGAMENTO", "PORTABILIDADE_SALARIO"])
    amt = pl.col("amount_cents")

    def count(cond: pl.Expr, name: str) -> pl.Expr:
        return cond.fill_null(False).cast(pl.Int32).alias(name)

    def cents(cond: pl.Expr, name: str) -> pl.Expr:
        return pl.when(cond).then(amt).otherwise(0).alias(name)

    flags = [
        count(credit, "credit_count"),
        count(debit, "debit_count"),
        cents(credit, "credit_cents"),
        cents(debit, "debit_cents"),
        pl.col("signed_amount_cents").alias("net_cents"),
        count(pix_out, "pix_out_count"),
        cents(pix_out, "pix_out_cents"),
        count(card, "card_count"),
        cents(card, "card_cents"),
        cents(salary, "salary_cents"),
        count(pl.col("is_new_device"), "new_device_tx_count"),
        count(pl.col("is_fraud"), "fraud_tx_count"),
    ]
    sums = [f.meta.output_name() for f in flags]
    base = (
        tx.lazy()
        .select(
            pl.col("customer_pk").cast(pl.Categorical),
            pl.col("booked_at").dt.convert_time_zone(TZ).dt.date().alias("day"),
            *flags,
            pl.col("counterparty_pk").cast(pl.Categorical).to_physical().alias("_cp"),
        )
        .collect()
    )
    keys = ["customer_pk", "day"]
    distinct = (
        base.lazy()
        .select(*keys, "_cp")
        .drop_nulls("_cp")
        .unique()
        .group_by(keys)
        .agg(pl.len().cast(pl.Int32).alias("distinct_counterparties"))
    )
    return (
        base.lazy()
        .group_by(keys)
        .agg(pl.len().cast(pl.Int32).alias("tx_count"), *[pl.col(c).sum() for c in sums])
        .join(distinct, on=keys, how="left")
        .with_columns(
            pl.col("customer_pk").cast(pl.String),
            pl.col("distinct_counterparties").fill_null(0),
            pl.col("day").dt.strftime("%Y-%m").alias("month"),
            pl.lit(now).cast(_TS).alias("computed_at"),
        )
        .select(
            "customer_pk",
            "day",
            "month",
            "tx_count",
            "credit_count",
            "debit_count",
            "credit_cents",
            "debit_cents",
            "net_cents",
            "pix_out_count",
            "pix_out_cents",
            "card_count",
            "card_cents",
            "salary_cents",
            "distinct_counterparties",
            "new_device_tx_count",
            "fraud_tx_count",
            "computed_at",
        )
        .collect()
    )


def counterparty_pairs(tx: pl.LazyFrame | pl.DataFrame, now: datetime) -> pl.DataFrame:
    """One row per (customer, counterparty) seen in ``tx``: ``first_seen_at`` = min(booked_at)."""
    return (
        tx.lazy()
        .filter(pl.col("counterparty_pk").is_not_null())
        .group_by("customer_pk", "counterparty_pk")
        .agg(pl.col("booked_at").min().alias("first_seen_at"))
        .with_columns(pl.lit(now).cast(_TS).alias("computed_at"))
        .select("customer_pk", "counterparty_pk", "first_seen_at", "computed_at")
        .sort("customer_pk", "counterparty_pk")
        .collect()
    )


def as_of_dates(first: date, last: date) -> list[date]:
    """First day of every month after ``first``'s month up to the month after ``last``."""
    out = []
    y, m = first.year, first.month
    while True:
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        d = date(y, m, 1)
        out.append(d)
        if d > last:
            return out


def credit_features(
    customers: pl.DataFrame,
    tx: pl.LazyFrame | pl.DataFrame,
    scores: pl.DataFrame,
    loans: pl.DataFrame,
    instalments: pl.DataFrame,
    now: datetime,
) -> pl.DataFrame:
    txl = tx.lazy()
    span = txl.select(pl.col("booked_at").min().alias("a"), pl.col("booked_at").max().alias("b")).collect()
    if span.height == 0 or span["a"][0] is None:
        return pl.DataFrame()
    dates = pl.DataFrame({"as_of_date": as_of_dates(span["a"][0].date(), span["b"][0].date())})
    grid = customers.select(
        "customer_pk", pl.col("monthly_income_cents").alias("declared_income_cents")
    ).join(dates, how="cross")
    asof = pl.col("as_of_date")
    # monthly credits and salary months (6m)
    monthly = (
        txl.filter(pl.col("credit_debit_type") == "CREDITO")
        .with_columns(
            pl.col("booked_at").dt.convert_time_zone(TZ).dt.truncate("1mo").dt.date().alias("mon"),
            pl.col("type").is_in(["FOLHA_PAGAMENTO", "PORTABILIDADE_SALARIO"]).alias("sal"),
        )
        .group_by("customer_pk", "mon")
        .agg(pl.col("amount_cents").sum().alias("credits"), pl.col("sal").any().alias("has_salary"))
        .collect()
    )
    inc = (
        grid.select("customer_pk", "as_of_date")
        .join(monthly, on="customer_pk")
        .filter((pl.col("mon") < asof) & (pl.col("mon") >= asof.dt.offset_by("-6mo")))
        .group_by("customer_pk", "as_of_date")
        .agg(
            (pl.col("credits").sum() // 6).alias("avg_monthly_credit_cents_6m"),
            pl.col("has_salary").sum().cast(pl.Int8).alias("salary_months_6m"),
            (1 - pl.col("credits").std() / pl.col("credits").mean()).alias("income_regularity"),
        )
    )
    od = (
        txl.filter(pl.col("type") == "ENCARGOS_JUROS_CHEQUE_ESPECIAL")
        .select("customer_pk", pl.col("booked_at").dt.convert_time_zone(TZ).dt.date().alias("d"))
        .unique()
        .collect()
    )
    ovd = (
        grid.select("customer_pk", "as_of_date")
        .join(od, on="customer_pk")
        .filter((pl.col("d") < asof) & (pl.col("d") >= asof.dt.offset_by("-90d")))
        .group_by("customer_pk", "as_of_date")
        .agg(pl.len().cast(pl.Int32).alias("overdraft_days_90d"))
    )
    sc = (
        grid.select("customer_pk", "as_of_date")
        .join(scores.select("customer_pk", "consulted_at", "score"), on="customer_pk")
        .filter(
            (pl.col("consulted_at").dt.date() < asof)
            & (pl.col("consulted_at").dt.date() >= asof.dt.offset_by("-12mo"))
        )
        .sort("consulted_at")
        .with_columns(
            (
                (
                    pl.col("consulted_at") - pl.col("consulted_at").min().over("customer_pk", "as_of_date")
                ).dt.total_days()
                / 30.4375
            ).alias("m")
        )
        .group_by("customer_pk", "as_of_date")
        .agg(
            pl.col("score").last().cast(pl.Int16).alias("score_latest"),
            pl.col("score").mean().alias("score_mean_12m"),
            pl.col("score").min().cast(pl.Int16).alias("score_min_12m"),
            pl.when(pl.col("m").var() > 0)
            .then(pl.cov("m", "score") / pl.col("m").var())
            .otherwise(None)
            .alias("score_trend_12m"),
        )
    )
    ins = instalments.join(loans.select("contract_id", "contracted_at"), on="contract_id")
    li = (
        grid.select("customer_pk", "as_of_date")
        .join(ins, on="customer_pk")
        .filter(pl.col("contracted_at").dt.date() < asof)
        .with_columns(unpaid_at_asof=pl.col("paid_at").is_null() | (pl.col("paid_at").dt.date() >= asof))
        .group_by("customer_pk", "as_of_date")
        .agg(
            pl.col("contract_id")
            .filter(pl.col("unpaid_at_asof"))
            .n_unique()
            .cast(pl.Int16)
            .alias("open_loans"),
            pl.col("amount_cents").filter(pl.col("unpaid_at_asof")).sum().alias("outstanding_cents"),
            (pl.col("unpaid_at_asof") & (pl.col("due_date") < asof))
            .sum()
            .cast(pl.Int32)
            .alias("instalments_in_arrears"),
            pl.max_horizontal(
                pl.col("days_late")
                .filter(
                    pl.col("paid_at").is_not_null()
                    & (pl.col("paid_at").dt.date() < asof)
                    & (pl.col("paid_at").dt.date() >= asof.dt.offset_by("-12mo"))
                )
                .max(),
                (asof - pl.col("due_date"))
                .dt.total_days()
                .filter(pl.col("unpaid_at_asof") & (pl.col("due_date") < asof))
                .max(),
            )
            .cast(pl.Int32)
            .alias("max_days_late_12m"),
        )
    )
    lab = (
        grid.select("customer_pk", "as_of_date")
        .join(loans.select("customer_pk", "contracted_at", "defaulted_6m"), on="customer_pk")
        .filter(
            (pl.col("contracted_at").dt.date() >= asof)
            & (pl.col("contracted_at").dt.date() < asof.dt.offset_by("6mo"))
        )
        .group_by("customer_pk", "as_of_date")
        .agg(pl.col("defaulted_6m").any().alias("label_defaulted_6m"))
    )
    keys = ["customer_pk", "as_of_date"]
    out = grid
    for part in (inc, ovd, sc, li, lab):
        out = out.join(part, on=keys, how="left")
    return out.with_columns(
        pl.col("overdraft_days_90d").fill_null(0),
        pl.col("open_loans").fill_null(0),
        pl.col("outstanding_cents").fill_null(0),
        pl.col("instalments_in_arrears").fill_null(0),
        pl.lit(now).cast(_TS).alias("computed_at"),
    ).sort(keys)
