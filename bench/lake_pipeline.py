"""Bench: bronze -> silver -> gold transaction transforms at scale, vs a straightforward pandas peer.

Bronze is written from the world directly (vectorised JSON payloads shaped like the Open Finance
sandbox's), so the bench measures the transforms, not the HTTP pull. Prints, in one run:

* polars silver+gold (pipelines.*.transforms, the code the assets run) + Delta writes at N rows;
* the same at a smaller size for polars and for bench/lake_pipeline_pandas.py -> speed ratio;
* a re-run with no new data (watermarks unchanged: nothing read, nothing written);
* a DuckDB auditor GROUP BY over silver.transactions.

Size: ``COFRE_BENCH_TX`` (default 10_000_000 transactions; the world is scaled in customers).
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from lake import delta
from lake.settings import load_settings

MONTHS = 12
TX_PER_CUSTOMER_YEAR = 354  # measured on the demo world (707k tx / 2000 customers / 12 months)


def bronze_from_world(world: dict[str, pl.DataFrame], pulled_at: datetime) -> dict[str, pl.DataFrame]:
    """Bronze frames as the Open Finance pull would store them (account + card tx, consents, context)."""
    from lake.pseudonym import pseudonymise  # noqa: F401  (imported for the warm-up of the HMAC path)
    from pipelines.bank import extract

    tx = world["transactions"]
    cust = world["customers"].select("customer_id", "cpf", pl.format("consent-{}", pl.col("customer_id")).alias("consent_id"))
    tx = tx.join(cust.select("customer_id", "consent_id"), on="customer_id")
    amount = pl.format("{}.{}", pl.col("amount_cents") // 100, (pl.col("amount_cents") % 100).cast(pl.String).str.zfill(2))
    ts = pl.col("booked_at").dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
    meta = [pl.lit("open_finance").alias("source"), pl.col("consent_id"), pl.lit("bench").alias("request_id"),
            pl.lit(pulled_at).cast(pl.Datetime("us", "UTC")).alias("pulled_at"),
            pl.lit(pulled_at.date()).alias("ingest_date")]
    acc = tx.filter(pl.col("account_id").is_not_null()).select(
        pl.col("transaction_id").alias("record_id"), *meta, pl.struct(
            pl.col("transaction_id").alias("transactionId"), pl.lit("TRANSACAO_EFETIVADA").alias("completedAuthorisedPaymentType"),
            pl.col("credit_debit_type").alias("creditDebitType"), pl.col("type"),
            pl.struct(amount.alias("amount"), pl.lit("BRL").alias("currency")).alias("transactionAmount"),
            ts.alias("transactionDateTime"), pl.col("counterparty_document").alias("partieCnpjCpf"),
            pl.when(pl.col("counterparty_document").str.len_chars() == 11).then(pl.lit("PESSOA_NATURAL"))
            .when(pl.col("counterparty_document").is_not_null()).then(pl.lit("PESSOA_JURIDICA")).alias("partiePersonType"),
        ).struct.json_encode().alias("payload"), "account_id", "transaction_id")
    card = tx.filter(pl.col("credit_card_account_id").is_not_null()).select(
        pl.col("transaction_id").alias("record_id"), *meta, pl.struct(
            pl.col("transaction_id").alias("transactionId"), pl.col("credit_debit_type").alias("creditDebitType"),
            pl.lit("OUTROS").alias("transactionType"),
            pl.struct(amount.alias("amount"), pl.lit("BRL").alias("currency")).alias("brazilianAmount"),
            ts.alias("transactionDateTime"), pl.col("mcc").cast(pl.Int64).alias("payeeMCC"),
        ).struct.json_encode().alias("payload"), "credit_card_account_id", "transaction_id")
    consents = cust.select(pl.col("consent_id").alias("record_id"), *[m for m in meta if m.meta.output_name() != "consent_id"],
                           pl.col("consent_id"), pl.lit("{}").alias("payload"), "cpf")
    return {
        "bronze.open_finance_transactions": acc,
        "bronze.open_finance_credit_card_transactions": card,
        "bronze.open_finance_consents": consents,
        "bronze.bank_transaction_context": extract.transaction_context(world, pulled_at),
        "bronze.labels_fraud": extract.fraud_labels(world, pulled_at),
        "bronze.bank_logins": extract.logins(world, pulled_at),
        "bronze.bank_customers": extract.customers(world, pulled_at),
    }


def _world(n_tx: int, root: Path) -> dict[str, pl.DataFrame]:
    from pipelines.sources.simulator.config import SimConfig
    from pipelines.sources.simulator.io import load_world, write_world

    customers = max(10, round(n_tx / (TX_PER_CUSTOMER_YEAR * MONTHS / 12)))
    cfg = SimConfig(customers=customers, months=MONTHS, seed=11)
    write_world(cfg, root / "world" / "11")
    return load_world(11, root=root / "world")


def _polars_pipeline(settings, key: bytes) -> dict[str, float]:
    """The asset code path (incremental helpers + transforms + Delta MERGE writes); seconds per stage."""
    from pipelines.bank import transforms as bt
    from pipelines.common import incremental as inc
    from pipelines.common.writes import write_merged
    from pipelines.gold import transforms as gt
    from pipelines.open_finance import transforms as ot

    t = {}
    now = datetime.now(UTC)
    t0 = time.perf_counter()
    inputs = ["bronze.open_finance_transactions", "bronze.open_finance_credit_card_transactions",
              "bronze.open_finance_consents", "bronze.bank_transaction_context", "bronze.labels_fraud"]
    vers = inc.versions(inputs, settings)
    if inc.watermark("silver.transactions", settings) == vers:
        t["silver"] = time.perf_counter() - t0
        t["skipped"] = 1.0
        return t
    sc = lambda n: delta.scan(n, settings=settings)  # noqa: E731
    owners = ot.consent_owners(sc("bronze.open_finance_consents"), key)
    good, bad = ot.silver_transactions(sc(inputs[0]), sc(inputs[1]), owners, ot.context_frame(sc(inputs[3])),
                                       ot.fraud_label_frame(sc(inputs[4])), now, key)
    ids = bt.customer_ids(sc("bronze.bank_customers"), key)
    logins = bt.silver_logins(sc("bronze.bank_logins"), ids, now)
    t["silver_transform"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    delta.append("silver.transactions", good, settings, metadata=inc.metadata(vers))
    delta.append("silver.logins", logins, settings)
    t["silver_write"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    feats = gt.transaction_features(sc("silver.transactions"), sc("silver.logins"), now)
    day = gt.customer_day(sc("silver.transactions"), now)
    t["gold_transform"] = time.perf_counter() - t2
    t3 = time.perf_counter()
    delta.append("gold.transaction_features", feats, settings)
    delta.append("gold.customer_day", day, settings)
    t["gold_write"] = time.perf_counter() - t3
    t["rows"] = float(good.height)
    t["quarantined"] = float(bad.height)
    _ = write_merged  # the assets MERGE; a first load into empty tables is an append (same rows)
    return t


def _load_bronze(world, settings) -> None:
    at = datetime.now(UTC)
    for name, df in bronze_from_world(world, at).items():
        delta.append(name, df, settings)


def _pandas_run(settings, key: bytes) -> float:
    from bench import lake_pipeline_pandas as pdb
    from pipelines.open_finance import transforms as ot

    acc = delta.read("bronze.open_finance_transactions", settings=settings).to_pandas()
    ctx = delta.read("bronze.bank_transaction_context", settings=settings).to_pandas()
    owners = ot.consent_owners(delta.scan("bronze.open_finance_consents", settings=settings), key).to_pandas()
    t0 = time.perf_counter()
    s = pdb.silver(acc, ctx, owners, key)
    pdb.gold(s)
    return time.perf_counter() - t0


def _polars_same_scope(settings, key: bytes) -> float:
    """Polars on the same scope as the pandas peer (account transactions only, no writes)."""
    from pipelines.gold import transforms as gt
    from pipelines.open_finance import transforms as ot

    sc = lambda n: delta.scan(n, settings=settings)  # noqa: E731
    acc = delta.read("bronze.open_finance_transactions", settings=settings)
    ctx = delta.read("bronze.bank_transaction_context", settings=settings)
    empty_card = pl.DataFrame(schema=delta.read("bronze.open_finance_credit_card_transactions", settings=settings).schema)
    t0 = time.perf_counter()
    owners = ot.consent_owners(sc("bronze.open_finance_consents"), key)
    good, _ = ot.silver_transactions(acc, empty_card, owners, ot.context_frame(ctx),
                                     ot.fraud_label_frame(sc("bronze.labels_fraud")), datetime.now(UTC), key)
    logins = pl.DataFrame(schema={"customer_pk": pl.String, "at": pl.Datetime("us", "UTC"), "is_new_device": pl.Boolean})
    gt.transaction_features(good, logins, datetime.now(UTC))
    gt.customer_day(good, datetime.now(UTC))
    return time.perf_counter() - t0


def main() -> None:
    n_tx = int(os.environ.get("COFRE_BENCH_TX", "10000000"))
    n_small = int(os.environ.get("COFRE_BENCH_TX_PEER", "200000"))
    with tempfile.TemporaryDirectory(prefix="cofre-bench-") as tmp:
        root = Path(tmp)
        key = b"bench-key"
        # --- peer comparison at a size pandas finishes in reasonable time ---
        s_small = load_settings(profile="embedded", home=root / "small", lake_uri=str(root / "small" / "lake"))
        _load_bronze(_world(n_small, root / "small"), s_small)
        t_pd = _pandas_run(s_small, key)
        t_pl = _polars_same_scope(s_small, key)
        print(f"peer @ {n_small:,} tx (account tx silver + gold windows): pandas {t_pd:.1f}s, polars {t_pl:.1f}s "
              f"-> polars is {t_pd / t_pl:.1f}x pandas (target >= 5x)", flush=True)
        # --- full size ---
        s = load_settings(profile="embedded", home=root / "big", lake_uri=str(root / "big" / "lake"))
        t0 = time.perf_counter()
        world = _world(n_tx, root / "big")
        _load_bronze(world, s)
        n_world = world["transactions"].height
        del world
        print(f"setup: world + bronze of {n_world:,} tx in {time.perf_counter() - t0:.0f}s (not timed below)",
              flush=True)
        t0 = time.perf_counter()
        stages = _polars_pipeline(s, key)
        total = time.perf_counter() - t0
        print(f"bronze->silver->gold {int(stages['rows']):,} tx: {total:.1f}s (target <= 60s; ratio {total / 60:.2f} of "
              f"budget) stages: " + ", ".join(f"{k}={v:.1f}s" for k, v in stages.items() if k not in ("rows", "quarantined")),
              flush=True)
        t0 = time.perf_counter()
        before = delta.row_count("silver.transactions", settings=s)
        again = _polars_pipeline(s, key)
        rerun = time.perf_counter() - t0
        after = delta.row_count("silver.transactions", settings=s)
        print(f"re-run with no new data: {rerun:.2f}s (target <= 5s), rows added {after - before}, "
              f"skipped={bool(again.get('skipped'))}", flush=True)
        from lake.auditor import connect

        with connect(s) as aud:
            aud.sql("SELECT count(*) FROM silver.transactions").fetchall()
            t0 = time.perf_counter()
            rows = aud.sql("SELECT type, credit_debit_type, count(*), sum(amount_cents) FROM silver.transactions "
                           "GROUP BY ALL").fetchall()
            t_q = time.perf_counter() - t0
        print(f"DuckDB auditor GROUP BY over {after:,} rows: {t_q:.2f}s (target <= 1s), {len(rows)} groups")


if __name__ == "__main__":
    main()
