"""Pure gold transforms (polars lazy, vectorised): silver frames in, gold frames out.

* :func:`transaction_features`: per transaction, windows of 1h/24h/7d/30d **strictly before** the
  transaction (``closed="left"``: rows at the same instant are excluded too), distinct counterparties,
  first-time counterparty, amount vs 30-day mean/max, local hour/weekday, minutes since the last login
  and the last device change (``join_asof`` backward, exact matches excluded), labels.
* :func:`customer_day`: customer x local day aggregates.
* :func:`counterparty_pairs`: first transaction time per (customer, counterparty) pair (Feast's
  ``known_counterparties`` view: is this a first-time counterparty?).
* :func:`credit_features`: per customer and monthly as-of date, features from data strictly before
  the as-of date; label = any loan contracted in the 6 months from the as-of date defaulted.
"""

from __future__ import annotations

from datetime import date, datetime

import polars as pl

TZ = "America/Sao_Paulo"
WINDOWS = ("1h", "24h", "7d", "30d")
_TS = pl.Datetime("us", "UTC")


def transaction_features(tx: pl.LazyFrame | pl.DataFrame, logins: pl.LazyFrame | pl.DataFrame,
                         now: datetime) -> pl.DataFrame:
    lf = (tx.lazy().select("transaction_id", "customer_pk", "booked_at", "booked_month", "amount_cents",
                           "credit_debit_type", "type", "channel", "counterparty_pk", "is_new_device",
                           "is_fraud", "fraud_scenario")
          .sort("customer_pk", "booked_at", "transaction_id")).collect().lazy()
    # windows strictly before each row: one rolling pass per window (rows come back in input order,
    # which is sorted by customer and time; asserted below)
    keyed = lf.select("customer_pk", "booked_at", "amount_cents")
    parts = []
    for w in WINDOWS:
        aggs = [pl.len().cast(pl.Int32).alias(f"tx_count_{w}"), pl.col("amount_cents").sum().alias(f"tx_sum_cents_{w}")]
        if w == "30d":
            aggs.append(pl.col("amount_cents").max().alias("max_amount_cents_30d"))
        parts.append(keyed.rolling("booked_at", period=w, closed="left", group_by="customer_pk").agg(aggs))
    first_part = parts[0]
    win = pl.concat([first_part.select(pl.col("customer_pk").alias("_ck"), pl.col("booked_at").alias("_bk")),
                     *[p.drop("customer_pk", "booked_at") for p in parts]], how="horizontal")
    lf = pl.concat([lf, win], how="horizontal").collect().lazy()
    windows = [pl.col(c).fill_null(0) for w in WINDOWS for c in (f"tx_count_{w}", f"tx_sum_cents_{w}")]
    first_seen = pl.col("booked_at").min().over("customer_pk", "counterparty_pk")
    lf = lf.with_columns(
        *windows,
        ((pl.col("_ck") == pl.col("customer_pk")) & (pl.col("_bk") == pl.col("booked_at"))).all().alias("_aligned"),
        (pl.col("counterparty_pk").is_not_null() & (pl.col("booked_at") == first_seen)).alias("is_first_time_counterparty"),
    )
    # distinct counterparties in [t - w, t): see distinct_before()
    lf = lf.with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias("_i"))
    base = lf.select("_i", pl.col("customer_pk").rank("dense").alias("_c"), "booked_at", "counterparty_pk")
    for w in ("24h", "7d", "30d"):
        lf = lf.join(distinct_before(base, w), on="_i", how="left")
    # logins: last login and last device change strictly before each transaction
    lg = logins.lazy().select("customer_pk", "at", "is_new_device").sort("at")
    last_login = lg.select("customer_pk", pl.col("at").alias("last_login_at"))
    dev_changes = pl.concat([
        lg.filter(pl.col("is_new_device")).select("customer_pk", pl.col("at").alias("device_change_at")),
        lf.filter(pl.col("is_new_device").fill_null(False)).select(
            "customer_pk", pl.col("booked_at").alias("device_change_at")),
    ]).sort("device_change_at")
    lf = lf.sort("booked_at")
    lf = lf.join_asof(last_login, left_on="booked_at", right_on="last_login_at", by="customer_pk",
                      strategy="backward", allow_exact_matches=False)
    lf = lf.join_asof(dev_changes, left_on="booked_at", right_on="device_change_at", by="customer_pk",
                      strategy="backward", allow_exact_matches=False)
    local = pl.col("booked_at").dt.convert_time_zone(TZ)
    mean30 = pl.when(pl.col("tx_count_30d") > 0).then(pl.col("tx_sum_cents_30d") / pl.col("tx_count_30d"))
    out = lf.with_columns(mean30.alias("mean_amount_cents_30d")).select(
        "transaction_id", "customer_pk", "booked_at", "booked_month", "counterparty_pk", "amount_cents",
        "credit_debit_type", "type", "channel", local.dt.hour().cast(pl.Int8).alias("hour_of_day"),
        local.dt.weekday().cast(pl.Int8).alias("day_of_week"),
        *[f"tx_count_{w}" for w in WINDOWS], *[f"tx_sum_cents_{w}" for w in WINDOWS],
        "distinct_counterparties_24h", "distinct_counterparties_7d", "distinct_counterparties_30d",
        "is_first_time_counterparty", "mean_amount_cents_30d", "max_amount_cents_30d",
        (pl.col("amount_cents") / pl.col("mean_amount_cents_30d")).alias("amount_to_mean_30d"),
        (pl.col("amount_cents") / pl.col("max_amount_cents_30d")).alias("amount_to_max_30d"),
        pl.col("is_new_device").fill_null(False),
        ((pl.col("booked_at") - pl.col("last_login_at")).dt.total_seconds() / 60.0).alias("minutes_since_last_login"),
        ((pl.col("booked_at") - pl.col("device_change_at")).dt.total_seconds() / 60.0)
        .alias("minutes_since_device_change"),
        "is_fraud", "fraud_scenario", pl.lit(now).cast(_TS).alias("computed_at"), "_aligned",
    )
    df = out.collect()
    if df.height and not df.get_column("_aligned").all():  # an invariant of polars' rolling output order
        raise AssertionError("rolling windows came back out of order")
    return df.drop("_aligned")


def distinct_before(base: pl.LazyFrame, window: str) -> pl.LazyFrame:
    """Distinct counterparties of the customer in ``[t - window, t)`` for every row ``_i``, without windows.

    Each earlier payment ``j`` (to key ``k`` at ``a_j``) counts for the rows at times ``t`` with
    ``a_j < t <= b_j``, ``b_j = min(next payment to k, a_j + window)``: then ``k`` is counted once, by its
    latest payment before ``t``. So the count is "starts before t" minus "ends before t", a running
    sum over one sort of queries and events per customer (exact; equal to a rolling n_unique, tested).
    """
    pay = base.filter(pl.col("counterparty_pk").is_not_null()).sort("_c", "counterparty_pk", "booked_at")
    pay = pay.with_columns(pl.col("booked_at").shift(-1).over("_c", "counterparty_pk").alias("_next"))
    end = pl.min_horizontal(pl.col("_next"), pl.col("booked_at").dt.offset_by(window))
    events = pl.concat([
        pay.select("_c", pl.col("booked_at").alias("_t"), pl.lit(1, pl.Int8).alias("_kind"),
                   pl.lit(1, pl.Int32).alias("_d"), pl.lit(None, pl.Int64).alias("_i")),
        pay.select("_c", end.alias("_t"), pl.lit(1, pl.Int8).alias("_kind"), pl.lit(-1, pl.Int32).alias("_d"),
                   pl.lit(None, pl.Int64).alias("_i")),
        base.select("_c", pl.col("booked_at").alias("_t"), pl.lit(0, pl.Int8).alias("_kind"),
                    pl.lit(0, pl.Int32).alias("_d"), pl.col("_i").cast(pl.Int64)),
    ])
    # queries sort before events at the same instant: only events strictly before t are counted
    return (events.sort("_c", "_t", "_kind").with_columns(pl.col("_d").cum_sum().over("_c").alias("_n"))
            .filter(pl.col("_kind") == 0)
            .select(pl.col("_i").cast(pl.Int64), pl.col("_n").cast(pl.Int32).alias(f"distinct_counterparties_{window}")))


def customer_day(tx: pl.LazyFrame | pl.DataFrame, now: datetime) -> pl.DataFrame:
    credit = pl.col("credit_debit_type") == "CREDITO"
    debit = ~credit
    pix_out = debit & (pl.col("type") == "PIX")
    card = pl.col("source") == "CREDIT_CARD"
    salary = credit & pl.col("type").is_in(["FOLHA_PAGAMENTO", "PORTABILIDADE_SALARIO"])
    amt = pl.col("amount_cents")
    return (tx.lazy().with_columns(pl.col("booked_at").dt.convert_time_zone(TZ).dt.date().alias("day"))
            .group_by("customer_pk", "day").agg(
                pl.len().cast(pl.Int32).alias("tx_count"), credit.sum().cast(pl.Int32).alias("credit_count"),
                debit.sum().cast(pl.Int32).alias("debit_count"), amt.filter(credit).sum().alias("credit_cents"),
                amt.filter(debit).sum().alias("debit_cents"), pl.col("signed_amount_cents").sum().alias("net_cents"),
                pix_out.sum().cast(pl.Int32).alias("pix_out_count"), amt.filter(pix_out).sum().alias("pix_out_cents"),
                card.sum().cast(pl.Int32).alias("card_count"), amt.filter(card).sum().alias("card_cents"),
                amt.filter(salary).sum().alias("salary_cents"),
                pl.col("counterparty_pk").drop_nulls().n_unique().cast(pl.Int32).alias("distinct_counterparties"),
                pl.col("is_new_device").fill_null(False).sum().cast(pl.Int32).alias("new_device_tx_count"),
                pl.col("is_fraud").fill_null(False).sum().cast(pl.Int32).alias("fraud_tx_count"))
            .with_columns(pl.col("day").dt.strftime("%Y-%m").alias("month"), pl.lit(now).cast(_TS).alias("computed_at"))
            .select("customer_pk", "day", "month", "tx_count", "credit_count", "debit_count", "credit_cents",
                    "debit_cents", "net_cents", "pix_out_count", "pix_out_cents", "card_count", "card_cents",
                    "salary_cents", "distinct_counterparties", "new_device_tx_count", "fraud_tx_count", "computed_at")
            .sort("customer_pk", "day").collect())


def counterparty_pairs(tx: pl.LazyFrame | pl.DataFrame, now: datetime) -> pl.DataFrame:
    """One row per (customer, counterparty) seen in ``tx``: ``first_seen_at`` = min(booked_at)."""
    return (tx.lazy().filter(pl.col("counterparty_pk").is_not_null())
            .group_by("customer_pk", "counterparty_pk").agg(pl.col("booked_at").min().alias("first_seen_at"))
            .with_columns(pl.lit(now).cast(_TS).alias("computed_at"))
            .select("customer_pk", "counterparty_pk", "first_seen_at", "computed_at")
            .sort("customer_pk", "counterparty_pk").collect())


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


def credit_features(customers: pl.DataFrame, tx: pl.LazyFrame | pl.DataFrame, scores: pl.DataFrame,
                    loans: pl.DataFrame, instalments: pl.DataFrame, now: datetime) -> pl.DataFrame:
    txl = tx.lazy()
    span = txl.select(pl.col("booked_at").min().alias("a"), pl.col("booked_at").max().alias("b")).collect()
    if span.height == 0 or span["a"][0] is None:
        return pl.DataFrame()
    dates = pl.DataFrame({"as_of_date": as_of_dates(span["a"][0].date(), span["b"][0].date())})
    grid = customers.select("customer_pk", pl.col("monthly_income_cents").alias("declared_income_cents")).join(
        dates, how="cross")
    asof = pl.col("as_of_date")
    # monthly credits and salary months (6m)
    monthly = (txl.filter(pl.col("credit_debit_type") == "CREDITO")
               .with_columns(pl.col("booked_at").dt.convert_time_zone(TZ).dt.truncate("1mo").dt.date().alias("mon"),
                             pl.col("type").is_in(["FOLHA_PAGAMENTO", "PORTABILIDADE_SALARIO"]).alias("sal"))
               .group_by("customer_pk", "mon").agg(pl.col("amount_cents").sum().alias("credits"),
                                                  pl.col("sal").any().alias("has_salary")).collect())
    inc = (grid.select("customer_pk", "as_of_date").join(monthly, on="customer_pk")
           .filter((pl.col("mon") < asof) & (pl.col("mon") >= asof.dt.offset_by("-6mo")))
           .group_by("customer_pk", "as_of_date").agg(
               (pl.col("credits").sum() // 6).alias("avg_monthly_credit_cents_6m"),
               pl.col("has_salary").sum().cast(pl.Int8).alias("salary_months_6m"),
               (1 - pl.col("credits").std() / pl.col("credits").mean()).alias("income_regularity")))
    od = (txl.filter(pl.col("type") == "ENCARGOS_JUROS_CHEQUE_ESPECIAL")
          .select("customer_pk", pl.col("booked_at").dt.convert_time_zone(TZ).dt.date().alias("d")).unique().collect())
    ovd = (grid.select("customer_pk", "as_of_date").join(od, on="customer_pk")
           .filter((pl.col("d") < asof) & (pl.col("d") >= asof.dt.offset_by("-90d")))
           .group_by("customer_pk", "as_of_date").agg(pl.len().cast(pl.Int32).alias("overdraft_days_90d")))
    sc = (grid.select("customer_pk", "as_of_date").join(scores.select("customer_pk", "consulted_at", "score"),
                                                         on="customer_pk")
          .filter((pl.col("consulted_at").dt.date() < asof)
                  & (pl.col("consulted_at").dt.date() >= asof.dt.offset_by("-12mo")))
          .sort("consulted_at")
          .with_columns(((pl.col("consulted_at") - pl.col("consulted_at").min().over("customer_pk", "as_of_date"))
                         .dt.total_days() / 30.4375).alias("m"))
          .group_by("customer_pk", "as_of_date").agg(
              pl.col("score").last().cast(pl.Int16).alias("score_latest"),
              pl.col("score").mean().alias("score_mean_12m"),
              pl.col("score").min().cast(pl.Int16).alias("score_min_12m"),
              pl.when(pl.col("m").var() > 0).then(pl.cov("m", "score") / pl.col("m").var()).otherwise(None)
              .alias("score_trend_12m")))
    ins = instalments.join(loans.select("contract_id", "contracted_at"), on="contract_id")
    li = (grid.select("customer_pk", "as_of_date").join(ins, on="customer_pk")
          .filter(pl.col("contracted_at").dt.date() < asof)
          .with_columns(unpaid_at_asof=pl.col("paid_at").is_null() | (pl.col("paid_at").dt.date() >= asof))
          .group_by("customer_pk", "as_of_date").agg(
              pl.col("contract_id").filter(pl.col("unpaid_at_asof")).n_unique().cast(pl.Int16).alias("open_loans"),
              pl.col("amount_cents").filter(pl.col("unpaid_at_asof")).sum().alias("outstanding_cents"),
              (pl.col("unpaid_at_asof") & (pl.col("due_date") < asof)).sum().cast(pl.Int32).alias("instalments_in_arrears"),
              pl.max_horizontal(
                  pl.col("days_late").filter(pl.col("paid_at").is_not_null() & (pl.col("paid_at").dt.date() < asof)
                                             & (pl.col("paid_at").dt.date() >= asof.dt.offset_by("-12mo"))).max(),
                  (asof - pl.col("due_date")).dt.total_days().filter(pl.col("unpaid_at_asof")
                                                                     & (pl.col("due_date") < asof)).max(),
              ).cast(pl.Int32).alias("max_days_late_12m")))
    lab = (grid.select("customer_pk", "as_of_date").join(loans.select("customer_pk", "contracted_at", "defaulted_6m"),
                                                         on="customer_pk")
           .filter((pl.col("contracted_at").dt.date() >= asof)
                   & (pl.col("contracted_at").dt.date() < asof.dt.offset_by("6mo")))
           .group_by("customer_pk", "as_of_date").agg(pl.col("defaulted_6m").any().alias("label_defaulted_6m")))
    keys = ["customer_pk", "as_of_date"]
    out = grid
    for part in (inc, ovd, sc, li, lab):
        out = out.join(part, on=keys, how="left")
    return out.with_columns(pl.col("overdraft_days_90d").fill_null(0), pl.col("open_loans").fill_null(0),
                            pl.col("outstanding_cents").fill_null(0), pl.col("instalments_in_arrears").fill_null(0),
                            pl.lit(now).cast(_TS).alias("computed_at")).sort(keys)
