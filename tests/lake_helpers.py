"""Shared helpers for the lake tests: an embedded lake in a tmp COFRE_HOME and silver-like frames."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import polars as pl

from lake.settings import get_settings

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def use_tmp_lake(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("COFRE_PROFILE", "embedded")
    monkeypatch.setenv("COFRE_HOME", str(tmp_path))
    monkeypatch.delenv("COFRE_LAKE_URI", raising=False)
    monkeypatch.delenv("COFRE_LAKE_AUDITOR_BRONZE", raising=False)
    get_settings.cache_clear()


def transactions(ids: list[str], *, cents: int = 1000, customer: str = "c" * 64) -> pl.DataFrame:
    """Rows fitting silver.transactions."""
    n = len(ids)
    booked = [T0 + timedelta(minutes=i) for i in range(n)]
    return pl.DataFrame(
        {
            "transaction_id": ids,
            "source": ["ACCOUNT"] * n,
            "customer_pk": [customer] * n,
            "account_id": ["acc-1"] * n,
            "credit_card_account_id": [None] * n,
            "booked_at": booked,
            "booked_month": [b.strftime("%Y-%m") for b in booked],
            "amount": [Decimal(cents) / 100] * n,
            "amount_cents": [cents] * n,
            "signed_amount_cents": [-cents] * n,
            "credit_debit_type": ["DEBITO"] * n,
            "type": ["PIX"] * n,
            "channel": ["PIX"] * n,
            "counterparty_pk": ["d" * 64] * n,
            "counterparty_document_pk": [None] * n,
            "counterparty_name_pk": [None] * n,
            "mcc": [None] * n,
            "device_id": ["dev-1"] * n,
            "is_new_device": [False] * n,
            "is_fraud": [False] * n,
            "fraud_scenario": [None] * n,
            "source_record_id": [f"rec-{i}" for i in ids],
            "ingested_at": [T0] * n,
            "customer_key": [int(customer[:15], 16)] * n,
        },
        schema_overrides={
            "credit_card_account_id": pl.String,
            "counterparty_document_pk": pl.String,
            "counterparty_name_pk": pl.String,
            "mcc": pl.Int16,
            "fraud_scenario": pl.String,
        },
    )


def concurrent_writer(worker: int, rounds: int, mode: str, batch: int) -> None:
    """Target of a spawned writer process: ``rounds`` appends or merges of ``batch`` new rows each
    to silver.transactions; merges also write the key ``k{round}-shared``, written by every worker."""
    from lake import delta as d  # fresh import in the spawned child

    for r in range(rounds):
        ids = [f"w{worker}-r{r}-{i}" for i in range(batch)]
        if mode == "append":
            d.append("silver.transactions", transactions(ids))
        else:
            d.merge("silver.transactions", transactions([*ids, f"k{r}-shared"], cents=100 + worker))


def commit_time(table: str, version: int) -> datetime:
    """The commit timestamp Delta recorded for ``version`` (milliseconds, UTC)."""
    from lake import delta

    (h,) = [h for h in delta.history(table) if h["version"] == version]
    return datetime.fromtimestamp(h["timestamp"] / 1000, tz=UTC)


def past_last_commit(table: str) -> None:
    """Return once the wall clock is past the millisecond of the table's last commit, so that the next
    commit gets a later timestamp (Delta stamps commits itself, in ms: this waits for that event, not
    for a fixed time)."""
    from lake import delta

    last = delta.history(table, limit=1)[0]["timestamp"]
    while time.time_ns() // 1_000_000 <= last:
        pass
