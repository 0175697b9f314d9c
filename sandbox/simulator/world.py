"""Orchestrates the simulation: static tables first, then transactions and logins month by month.

``iter_world`` yields ``(table, frame)`` pieces already conformed to lake.domain.world_schema (the
monthly tables come in several pieces, in time order); ``generate_world`` concatenates them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import polars as pl

from lake.domain.identifiers import generate_cpfs
from lake.domain.world_schema import conform
from sandbox.simulator.accounts import make_accounts, make_balances, make_customer_keys
from sandbox.simulator.config import (
    ACCOUNTS,
    BRT_OFFSET_US,
    MONTH_DEVICES,
    MONTH_FRAUD,
    MONTH_TX,
    PEOPLE,
    US_PER_DAY,
    SimConfig,
)
from sandbox.simulator.credit import make_credit, make_scores
from sandbox.simulator.devices import DeviceState, month_devices
from sandbox.simulator.fraud import month_fraud
from sandbox.simulator.parties import Parties, make_parties
from sandbox.simulator.people import make_customers
from sandbox.simulator.transactions import (
    MonthContext,
    loan_movements,
    make_relations,
    month_transactions,
)

STATIC_TABLES = ("customers", "accounts", "cards", "pix_keys", "loans", "loan_instalments", "bureau_scores")
MONTHLY_TABLES = ("transactions", "logins")
TABLES = (*STATIC_TABLES, *MONTHLY_TABLES, "balances")
TS = pl.Datetime("us", "UTC")


def _pix_keys(cu_keys: pl.DataFrame, parties: Parties) -> pl.DataFrame:
    ext = parties.frame.filter(pl.col("party_key").is_not_null()).select(
        pl.col("party_key").alias("key"),
        pl.col("party_key_type").alias("key_type"),
        pl.lit(None, pl.String).alias("customer_id"),
        pl.lit(None, pl.String).alias("account_id"),
        pl.col("party_name").alias("owner_name"),
        pl.col("party_document").alias("owner_document"),
        pl.col("party_key_created").alias("created_at"),
    )
    return pl.concat([conform("pix_keys", cu_keys), conform("pix_keys", ext)])


def _finish_month(tx: pl.DataFrame, parties: Parties, yyyymm: str) -> pl.DataFrame:
    """Sort, give ids, resolve accounts and counterparties: internal rows -> contract rows."""
    tx = tx.sort(["ts", "customer_idx", "amount"], maintain_order=True)
    tx = tx.join(parties.frame, on="party_idx", how="left", maintain_order="left")
    cust = pl.col("customer_idx").cast(pl.String).str.zfill(8)
    return tx.select(
        pl.format("TX{}-{}", pl.lit(yyyymm), pl.int_range(pl.len()).cast(pl.String).str.zfill(8)).alias(
            "transaction_id"
        ),
        pl.format("CUS{}", cust).alias("customer_id"),
        pl.when(pl.col("on_card")).then(None).otherwise(pl.format("ACC{}-1", cust)).alias("account_id"),
        pl.when(pl.col("on_card"))
        .then(pl.format("CC{}", cust))
        .otherwise(None)
        .alias("credit_card_account_id"),
        pl.col("ts").cast(TS).alias("booked_at"),
        pl.col("amount").alias("amount_cents"),
        pl.when(pl.col("credit"))
        .then(pl.lit("CREDITO"))
        .otherwise(pl.lit("DEBITO"))
        .alias("credit_debit_type"),
        "type",
        "channel",
        "description",
        pl.when(pl.col("use_key")).then(pl.col("party_key")).otherwise(None).alias("counterparty_key"),
        pl.col("party_name").alias("counterparty_name"),
        pl.col("party_document").alias("counterparty_document"),
        "mcc",
        "device_id",
        "is_new_device",
        "is_fraud",
        "fraud_scenario",
        "customer_idx",
    )


def iter_world(
    cfg: SimConfig, on_month: Callable[[int], None] | None = None
) -> Iterator[tuple[str, pl.DataFrame]]:
    """Yield the world's tables as ``(name, conformed frame)``; monthly tables once per month."""
    n = cfg.customers
    n_ext = max(600, 3 * n)
    cpfs = generate_cpfs(cfg.rng(PEOPLE, 1), n + n_ext)
    cu = make_customers(cfg, cpfs[:n])
    parties = make_parties(cfg, cpfs[n:])
    acc = make_accounts(cfg, cu)
    rel = make_relations(cfg, cu, parties)
    credit = make_credit(cfg, cu)
    yield "customers", conform("customers", cu.frame)
    yield "accounts", conform("accounts", acc.accounts)
    yield "cards", conform("cards", acc.cards)
    yield "pix_keys", _pix_keys(make_customer_keys(cfg, cu, acc), parties)
    yield "loans", conform("loans", credit.loans)
    yield "loan_instalments", conform("loan_instalments", credit.instalments)
    yield "bureau_scores", conform("bureau_scores", make_scores(cfg, cu, credit))

    devices = DeviceState.start(n)
    net = np.zeros(n, dtype=np.int64)
    for m in range(cfg.months):
        ctx = MonthContext.build(cfg, m)
        lo = int(ctx.day_start_us[0]) + BRT_OFFSET_US
        hi = lo + ctx.ndays * US_PER_DAY
        legit = pl.concat(
            [
                month_transactions(cfg, ctx, cu, acc, rel, parties, cfg.rng(MONTH_TX, m)),
                loan_movements(credit.payments, lo, hi),
            ]
        )
        fraud_tx, fraud_logins = month_fraud(
            cfg, ctx, cu, acc, parties, legit.height, cfg.rng(MONTH_FRAUD, m)
        )
        tx, logins = month_devices(
            cfg, ctx, cu, devices, pl.concat([legit, fraud_tx]), fraud_logins, cfg.rng(MONTH_DEVICES, m)
        )
        tx = _finish_month(tx, parties, str(ctx.start_day)[:7].replace("-", ""))
        flows = (
            tx.filter(pl.col("account_id").is_not_null())
            .group_by("customer_idx")
            .agg(
                pl.when(pl.col("credit_debit_type") == "CREDITO")
                .then(pl.col("amount_cents"))
                .otherwise(-pl.col("amount_cents"))
                .sum()
                .alias("net")
            )
        )
        net[flows["customer_idx"].to_numpy()] += flows["net"].to_numpy()
        yield "transactions", conform("transactions", tx)
        logins = logins.sort(["ts", "customer_idx"], maintain_order=True).select(
            pl.format("CUS{}", pl.col("customer_idx").cast(pl.String).str.zfill(8)).alias("customer_id"),
            pl.col("ts").cast(TS).alias("at"),
            "device_id",
            "is_new_device",
        )
        yield "logins", conform("logins", logins)
        if on_month is not None:
            on_month(m)
    yield "balances", conform("balances", make_balances(cfg, acc, net, cfg.rng(ACCOUNTS, 1)))


def generate_world(cfg: SimConfig) -> dict[str, pl.DataFrame]:
    """The whole world in memory (small and medium worlds; use io.write_world to stream big ones)."""
    parts: dict[str, list[pl.DataFrame]] = {}
    for name, df in iter_world(cfg):
        parts.setdefault(name, []).append(df)
    return {name: pl.concat(parts[name]) for name in TABLES}
