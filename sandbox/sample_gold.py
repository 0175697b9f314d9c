"""Small generated gold Delta tables (catalog schemas, numpy data) for the Feast tests and benchmark.

Not a data source of the platform: the pipelines fill gold; this only writes toy rows under a given
settings object (a temporary COFRE_HOME).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl

from lake import delta
from lake.catalog import get_table
from lake.settings import Settings

UTC = UTC
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday, 09:00 in São Paulo
WINDOWS = ("1h", "24h", "7d", "30d")


def customer_pk(i: int) -> str:
    return f"{i:064x}"


def counterparty_pk(j: int) -> str:
    return f"cp{j:062x}"


def _fill(table: str, rows: dict[str, list]) -> pl.DataFrame:
    """A frame with the catalog's columns: given ones as passed, the others filled per dtype."""
    t = get_table(table)
    n = len(next(iter(rows.values())))
    cols = {}
    for c in t.columns:
        if c.name in rows:
            cols[c.name] = pl.Series(c.name, rows[c.name]).cast(c.dtype)
        elif c.dtype == pl.Boolean:
            cols[c.name] = pl.Series(c.name, [False] * n, dtype=c.dtype)
        elif c.dtype == pl.String:
            cols[c.name] = pl.Series(c.name, ["x"] * n, dtype=c.dtype)
        elif isinstance(c.dtype, pl.Datetime):
            cols[c.name] = pl.Series(c.name, [T0] * n).cast(c.dtype)
        else:
            cols[c.name] = pl.Series(c.name, [0] * n).cast(c.dtype)
    return pl.DataFrame(cols)


def transaction_rows(
    rng: np.random.Generator, n_customers: int, per_customer: int, start: datetime = T0 - timedelta(days=20)
) -> pl.DataFrame:
    """gold.transaction_features rows: per customer, transactions spaced by 1-30 hours."""
    recs: dict[str, list] = {
        k: []
        for k in (
            "transaction_id",
            "customer_pk",
            "counterparty_pk",
            "booked_at",
            "booked_month",
            "amount_cents",
            "mean_amount_cents_30d",
            "max_amount_cents_30d",
            "tx_count_30d",
            "tx_sum_cents_30d",
            "is_fraud",
            "computed_at",
        )
    }
    for i in range(n_customers):
        ts = start + timedelta(minutes=int(rng.integers(0, 600)))
        amounts: list[int] = []
        for k in range(per_customer):
            amount = int(rng.integers(1_000, 500_000))
            recs["transaction_id"].append(f"TX{i:04d}{k:04d}")
            recs["customer_pk"].append(customer_pk(i))
            recs["counterparty_pk"].append(counterparty_pk(int(rng.integers(0, 5))))
            recs["booked_at"].append(ts)
            recs["booked_month"].append(ts.strftime("%Y-%m"))
            recs["amount_cents"].append(amount)
            recs["mean_amount_cents_30d"].append(float(np.mean(amounts)) if amounts else None)
            recs["max_amount_cents_30d"].append(max(amounts) if amounts else None)
            recs["tx_count_30d"].append(len(amounts))
            recs["tx_sum_cents_30d"].append(sum(amounts))
            recs["is_fraud"].append(bool(rng.random() < 0.1))
            recs["computed_at"].append(T0)
            amounts.append(amount)
            ts += timedelta(hours=int(rng.integers(1, 30)))
    return _fill("gold.transaction_features", recs)


def counterparty_pairs(tx: pl.DataFrame) -> pl.DataFrame:
    """gold.counterparty_pairs from transaction rows: first booked_at per (customer, counterparty)."""
    pairs = (
        tx.group_by("customer_pk", "counterparty_pk")
        .agg(pl.col("booked_at").min().alias("first_seen_at"))
        .with_columns(computed_at=pl.lit(T0).cast(pl.Datetime("us", "UTC")))
    )
    return pairs.sort("customer_pk", "counterparty_pk")


def customer_days(n_customers: int, days: list[date]) -> pl.DataFrame:
    recs: dict[str, list] = {
        "customer_pk": [],
        "day": [],
        "month": [],
        "tx_count": [],
        "debit_cents": [],
        "computed_at": [],
    }
    for i in range(n_customers):
        for d in days:
            recs["customer_pk"].append(customer_pk(i))
            recs["day"].append(d)
            recs["month"].append(d.strftime("%Y-%m"))
            recs["tx_count"].append(i * 100 + d.day)
            recs["debit_cents"].append(1000 * d.day)
            recs["computed_at"].append(T0)
    return _fill("gold.customer_day", recs)


def credit_rows(n_customers: int, as_of: list[date]) -> pl.DataFrame:
    recs: dict[str, list] = {
        "customer_pk": [],
        "as_of_date": [],
        "score_latest": [],
        "declared_income_cents": [],
        "label_defaulted_6m": [],
        "computed_at": [],
    }
    for i in range(n_customers):
        for k, d in enumerate(as_of):
            recs["customer_pk"].append(customer_pk(i))
            recs["as_of_date"].append(d)
            recs["score_latest"].append(300 + 10 * i + k)
            recs["declared_income_cents"].append(100_000 * (i + 1))
            recs["label_defaulted_6m"].append(i % 3 == 0)
            recs["computed_at"].append(T0)
    return _fill("gold.credit_features", recs)


def write_gold(
    settings: Settings, rng: np.random.Generator, n_customers: int = 6, per_customer: int = 8
) -> dict:
    tx = transaction_rows(rng, n_customers, per_customer)
    delta.append("gold.transaction_features", tx, settings)
    delta.append("gold.counterparty_pairs", counterparty_pairs(tx), settings)
    days = [(T0 - timedelta(days=k)).date() for k in range(3, 0, -1)]
    delta.append("gold.customer_day", customer_days(n_customers, days), settings)
    delta.append(
        "gold.credit_features", credit_rows(n_customers, [date(2026, 2, 1), date(2026, 3, 1)]), settings
    )
    return {"tx": tx}
