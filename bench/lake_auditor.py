"""Benchmark: DuckDB group-by over a 10 M-row silver.transactions Delta table through the auditor view
(delta_scan), against the named peer polars ``scan_delta`` doing the same group-by. Goal: <= 1 s.

    .venv/bin/python -m bench.lake_auditor [rows]

The table is generated once (seeded) under ``COFRE_HOME/bench/lake`` and reused by later runs.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np
import polars as pl

from lake import auditor, delta
from lake.catalog import get_table
from lake.pseudonym import pseudonym_int
from lake.settings import get_settings, load_settings

QUERIES = {
    "by_customer": "SELECT customer_pk, count(*) AS n, sum(amount_cents) AS cents "
    "FROM silver.transactions GROUP BY customer_pk",
    "by_customer_key": "SELECT customer_key, count(*) AS n, sum(amount_cents) AS cents "
    "FROM silver.transactions GROUP BY customer_key",
    "by_type_month": "SELECT type, booked_month, count(*) AS n, sum(amount_cents) AS cents, "
    "avg(amount_cents) AS mean FROM silver.transactions GROUP BY ALL",
}


def _generate(n: int, seed: int = 1) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    customers = pl.Series([f"{i:064x}" for i in range(100_000)])
    types = pl.Series(["PIX", "CARTAO", "BOLETO", "TED", "FOLHA_PAGAMENTO", "SAQUE"])
    start = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp() * 1e6)
    booked = pl.Series(np.sort(rng.integers(start, start + int(365 * 86400 * 1e6), n))).cast(
        pl.Datetime("us", "UTC")
    )
    cents = pl.Series(rng.integers(100, 500_000, n))
    df = pl.DataFrame(
        {
            "transaction_id": pl.int_range(n, eager=True).cast(pl.String),
            "source": "ACCOUNT",
            "customer_pk": customers.gather(rng.integers(0, len(customers), n)),
            "account_id": None,
            "credit_card_account_id": None,
            "booked_at": booked,
            "amount_cents": cents,
            "signed_amount_cents": -cents,
            "credit_debit_type": "DEBITO",
            "type": types.gather(rng.integers(0, len(types), n)),
            "channel": None,
            "counterparty_pk": None,
            "counterparty_document_pk": None,
            "counterparty_name_pk": None,
            "mcc": None,
            "device_id": None,
            "is_new_device": False,
            "is_fraud": False,
            "fraud_scenario": None,
            "source_record_id": "bench",
            "ingested_at": booked,
        }
    ).with_columns(
        customer_key=pseudonym_int(pl.col("customer_pk")),
        booked_month=pl.col("booked_at").dt.strftime("%Y-%m"),
        amount=pl.col("amount_cents").cast(pl.Decimal(18, 2)) / 100,
    )
    return df.select(get_table("silver.transactions").column_names)


def _best(fn: Callable[[], object], repeat: int = 3) -> float:
    fn()  # warm-up (file listing, extension load, OS cache)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main(rows: int = 10_000_000) -> dict[str, float]:
    home = get_settings().home
    s = load_settings(lake_uri=str(home / "bench" / "lake"))
    table = "silver.transactions"
    if (
        not delta.exists(table, s)
        or delta.row_count(table, settings=s) != rows
        or delta.scan(table, settings=s).collect_schema().names() != get_table(table).column_names
    ):
        t = time.perf_counter()
        delta.overwrite(table, _generate(rows), settings=s)
        print(f"generated {rows:,} rows in {time.perf_counter() - t:.1f} s at {delta.table_uri(table, s)}")
    uri = delta.table_uri(table, s)
    results: dict[str, float] = {}
    with auditor.connect(s) as aud:
        for name, sql in QUERIES.items():
            duck = _best(lambda sql=sql: aud.sql(sql).fetchall())
            peer_sql = sql.replace("silver.transactions", "self")
            peer = _best(lambda peer_sql=peer_sql: pl.scan_delta(uri).sql(peer_sql).collect())
            results[name] = duck
            print(
                f"{name}: duckdb auditor {duck:.3f} s | polars scan_delta {peer:.3f} s | "
                f"ratio polars/duckdb {peer / duck:.2f}x | goal <= 1 s: {'met' if duck <= 1.0 else 'NOT met'}"
            )
    return results


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000)
