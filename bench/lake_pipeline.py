"""Bench: bronze -> silver -> gold transaction transforms at scale, vs a straightforward pandas peer.

Bronze is written from the world directly (vectorised JSON payloads shaped like the Open Finance
sandbox's), so the bench measures the transforms, not the HTTP pull. Prints, in one run:

* the assets' code at N rows: ``run_silver_transactions`` and ``run_customer_incremental`` (incremental
  reads, pipelines.*.transforms, quarantine, MERGE writes with watermarks) plus silver.logins; seconds,
  CPU-s and peak RSS per asset, total CPU-s including the step processes. Independent assets run side by
  side as Dagster's multiprocess executor runs them (:data:`STAGES`: silver.logins in a spawned step
  process beside silver.transactions, gold.customer_day beside gold.transaction_features);
* the same at a smaller size for polars and for bench/lake_pipeline_pandas.py -> speed ratio;
* a re-run with no new data (watermarks unchanged: nothing read, nothing written);
* a DuckDB auditor GROUP BY over silver.transactions.

Size: ``COFRE_BENCH_TX`` (default 10_000_000 transactions; the world is scaled in customers), peer size
``COFRE_BENCH_TX_PEER`` (default 200_000). The set-up (world generated in a spawned child, bronze
appended one 2 M-transaction chunk at a time) is not timed; peak RSS is reset after it (Linux
``clear_refs``), so the per-asset peaks are the pipeline's own.
"""

from __future__ import annotations

import functools
import importlib
import multiprocessing
import os
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from lake import delta
from lake.settings import Settings, load_settings

if TYPE_CHECKING:
    import pandas as pd

MONTHS = 12
BRONZE_CHUNK = 2_000_000  # bronze appends per commit (arrow string offsets cap a column chunk at 2 GiB)
TX_PER_CUSTOMER_YEAR = 354  # measured on the demo world (707k tx / 2000 customers / 12 months)


def bronze_from_world(world: dict[str, pl.DataFrame], pulled_at: datetime) -> dict[str, pl.DataFrame]:
    """Bronze frames as the Open Finance pull would store them (account + card tx, consents, context)."""
    importlib.import_module("lake.pseudonym")  # imported for the warm-up of the HMAC path
    from pipelines.bank import extract

    tx = world["transactions"]
    cust = world["customers"].select(
        "customer_id", "cpf", pl.format("consent-{}", pl.col("customer_id")).alias("consent_id")
    )
    tx = tx.join(cust.select("customer_id", "consent_id"), on="customer_id")
    amount = pl.format(
        "{}.{}", pl.col("amount_cents") // 100, (pl.col("amount_cents") % 100).cast(pl.String).str.zfill(2)
    )
    ts = pl.col("booked_at").dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
    meta = [
        pl.lit("open_finance").alias("source"),
        pl.col("consent_id"),
        pl.lit("bench").alias("request_id"),
        pl.lit(pulled_at).cast(pl.Datetime("us", "UTC")).alias("pulled_at"),
        pl.lit(pulled_at.date()).alias("ingest_date"),
    ]
    acc = tx.filter(pl.col("account_id").is_not_null()).select(
        pl.col("transaction_id").alias("record_id"),
        *meta,
        pl.struct(
            pl.col("transaction_id").alias("transactionId"),
            pl.lit("TRANSACAO_EFETIVADA").alias("completedAuthorisedPaymentType"),
            pl.col("credit_debit_type").alias("creditDebitType"),
            pl.col("type"),
            pl.struct(amount.alias("amount"), pl.lit("BRL").alias("currency")).alias("transactionAmount"),
            ts.alias("transactionDateTime"),
            pl.col("counterparty_document").alias("partieCnpjCpf"),
            pl.when(pl.col("counterparty_document").str.len_chars() == 11)
            .then(pl.lit("PESSOA_NATURAL"))
            .when(pl.col("counterparty_document").is_not_null())
            .then(pl.lit("PESSOA_JURIDICA"))
            .alias("partiePersonType"),
        )
        .struct.json_encode()
        .alias("payload"),
        "account_id",
        "transaction_id",
    )
    card = tx.filter(pl.col("credit_card_account_id").is_not_null()).select(
        pl.col("transaction_id").alias("record_id"),
        *meta,
        pl.struct(
            pl.col("transaction_id").alias("transactionId"),
            pl.col("credit_debit_type").alias("creditDebitType"),
            pl.lit("OUTROS").alias("transactionType"),
            pl.struct(amount.alias("amount"), pl.lit("BRL").alias("currency")).alias("brazilianAmount"),
            ts.alias("transactionDateTime"),
            pl.col("mcc").cast(pl.Int64).alias("payeeMCC"),
        )
        .struct.json_encode()
        .alias("payload"),
        "credit_card_account_id",
        "transaction_id",
    )
    consents = cust.select(
        pl.col("consent_id").alias("record_id"),
        *[m for m in meta if m.meta.output_name() != "consent_id"],
        pl.col("consent_id"),
        pl.lit("{}").alias("payload"),
        "cpf",
    )
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
    from sandbox.simulator.config import SimConfig
    from sandbox.simulator.io import load_world, write_world

    customers = max(10, round(n_tx / (TX_PER_CUSTOMER_YEAR * MONTHS / 12)))
    cfg = SimConfig(customers=customers, months=MONTHS, seed=11)
    # generated in a spawned child: the simulator's working memory is returned to the OS before the timed part
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        pool.apply(write_world, (cfg, root / "world" / "11"))
    return load_world(11, root=root / "world")


def _asset(name: str, settings: Settings) -> dict:
    """Run one asset's code (incremental reads, transforms, quarantine, MERGE writes with watermarks) as
    its Dagster step would, without a Dagster context; its own seconds, CPU-s and peak RSS."""
    from pipelines.resources import LakeResource

    lake = LakeResource(lake_uri=str(settings.lake_uri))

    def silver_transactions() -> dict:
        from pipelines.open_finance.assets import run_silver_transactions

        return run_silver_transactions(lake, "bench")

    def gold(target: str) -> dict:
        from pipelines.gold import transforms as gt
        from pipelines.gold.assets import TX, run_customer_incremental

        if target == "gold.customer_day":
            return run_customer_incremental(
                lake, target, [TX], lambda scan: gt.customer_day(scan(TX), datetime.now(UTC))
            )
        return run_customer_incremental(
            lake,
            target,
            [TX, "silver.logins"],
            lambda scan: gt.transaction_features(scan(TX), scan("silver.logins"), datetime.now(UTC)),
        )

    def logins() -> dict:
        from pipelines.bank import transforms as bt
        from pipelines.common import incremental as inc
        from pipelines.common.writes import write_merged

        login_inputs = ["bronze.bank_logins", "bronze.bank_customers"]
        vers = inc.versions(login_inputs, settings)
        if inc.watermark("silver.logins", settings) == vers:  # rebuild_if_moved's test
            return {"skipped": True}
        sc = functools.partial(delta.scan, settings=settings)
        ids = bt.customer_ids(sc("bronze.bank_customers"), lake.pseudonym_key())
        return write_merged(
            "silver.logins",
            bt.silver_logins(sc("bronze.bank_logins"), ids, datetime.now(UTC)),
            settings,
            inc.metadata(vers),
        )

    steps = {
        "silver.transactions": silver_transactions,
        "silver.logins": logins,
        "gold.transaction_features": lambda: gold("gold.transaction_features"),
        "gold.customer_day": lambda: gold("gold.customer_day"),
    }  # each imports only its own modules
    _reset_peak_rss()
    t0, c0 = time.perf_counter(), time.process_time()
    out = steps[name]()
    return {
        "result": out,
        "seconds": time.perf_counter() - t0,
        "cpu": time.process_time() - c0,
        "peak": _peak_rss_gb(),
    }


# Steps run side by side, as Dagster's multiprocess executor runs assets whose inputs are ready: silver.logins
# does not read silver.transactions, and gold.customer_day does not read silver.logins or the features.
STAGES = (("silver.transactions", "silver.logins"), ("gold.transaction_features", "gold.customer_day"))


def _polars_pipeline(settings: Settings, side_by_side: bool = True) -> dict:
    """The assets in :data:`STAGES` order; with ``side_by_side`` the second asset of a stage runs in a
    spawned process (like a Dagster step process) beside the first. Frames are dropped between assets as
    separate steps would. Seconds, CPU-s (this process and the step processes) and peak RSS per asset."""
    runs: dict[str, dict] = {}
    # a fresh spawned process per step, as Dagster's multiprocess executor starts one (imports included)
    with ProcessPoolExecutor(
        1, mp_context=multiprocessing.get_context("spawn"), max_tasks_per_child=1
    ) as pool:
        for main, beside in STAGES:
            fut = pool.submit(_asset, beside, settings) if side_by_side else None
            runs[main] = _asset(main, settings)
            runs[beside] = fut.result() if fut is not None else _asset(beside, settings)
    t: dict = {k: r["seconds"] for k, r in runs.items()}
    t["peaks"] = {k: r["peak"] for k, r in runs.items()}
    t["cpu"] = {k: r["cpu"] for k, r in runs.items()}
    res, feats = runs["silver.transactions"]["result"], runs["gold.transaction_features"]["result"]
    t["rows"] = float(res["inserted"])
    t["quarantined"] = float(res["quarantined"])
    t["feature_rows"] = float(feats["inserted"])
    if res["skipped"] and feats["skipped"]:
        t["skipped"] = 1.0
    return t


_PER_TRANSACTION = (
    "bronze.open_finance_transactions",
    "bronze.open_finance_credit_card_transactions",
    "bronze.bank_transaction_context",
    "bronze.labels_fraud",
)


def _load_bronze(world: dict[str, pl.DataFrame], settings: Settings) -> None:
    """Bronze from the world, one pull-sized chunk of transactions at a time (one commit per chunk), so
    the JSON payloads of 10 M transactions are never all in memory during the set-up."""
    at = datetime.now(UTC)
    tx = world["transactions"]
    for i, off in enumerate(range(0, max(tx.height, 1), BRONZE_CHUNK)):
        frames = bronze_from_world({**world, "transactions": tx.slice(off, BRONZE_CHUNK)}, at)
        for name, df in frames.items():
            if i == 0 or name in _PER_TRANSACTION:
                delta.append(name, df, settings)
        del frames


def _peer_inputs(settings: Settings, key: bytes) -> dict:
    """Inputs of both peers (not timed): bronze account tx, context, labels, consent owners, silver logins."""
    from pipelines.bank import transforms as bt
    from pipelines.open_finance import transforms as ot

    sc = functools.partial(delta.scan, settings=settings)
    logins = bt.silver_logins(
        sc("bronze.bank_logins"), bt.customer_ids(sc("bronze.bank_customers"), key), datetime.now(UTC)
    )
    return {
        "acc": delta.read("bronze.open_finance_transactions", settings=settings),
        "ctx": delta.read("bronze.bank_transaction_context", settings=settings),
        "labels": delta.read("bronze.labels_fraud", settings=settings),
        "owners": ot.consent_owners(sc("bronze.open_finance_consents"), key),
        "logins": logins,
    }


def _pandas_run(inp: dict, key: bytes) -> tuple[float, object]:
    from bench import lake_pipeline_pandas as pdb

    acc, ctx, labels, owners = (inp[k].to_pandas() for k in ("acc", "ctx", "labels", "owners"))
    logins = inp["logins"].select("customer_pk", "at", "is_new_device").to_pandas()
    t0 = time.perf_counter()
    s = pdb.silver(acc, ctx, labels, owners, key)
    feats, _day = pdb.gold(s, logins)
    return time.perf_counter() - t0, feats


def _polars_same_scope(inp: dict, key: bytes) -> tuple[float, pl.DataFrame]:
    """Polars on the same scope as the pandas peer (account transactions only, no writes)."""
    from pipelines.gold import transforms as gt
    from pipelines.open_finance import transforms as ot

    empty_card = pl.DataFrame(
        schema={**inp["acc"].drop("account_id").schema, "credit_card_account_id": pl.String}
    )
    t0 = time.perf_counter()
    good, _ = ot.silver_transactions(
        inp["acc"],
        empty_card,
        inp["owners"],
        ot.context_frame(inp["ctx"]),
        ot.fraud_label_frame(inp["labels"]),
        datetime.now(UTC),
        key,
    )
    feats = gt.transaction_features(good, inp["logins"], datetime.now(UTC))
    gt.customer_day(good, datetime.now(UTC))
    return time.perf_counter() - t0, feats


_SAME = [
    "tx_count_1h",
    "tx_sum_cents_24h",
    "tx_count_30d",
    "max_amount_cents_30d",
    "distinct_counterparties_24h",
    "distinct_counterparties_7d",
    "distinct_counterparties_30d",
    "is_first_time_counterparty",
    "hour_of_day",
    "day_of_week",
    "minutes_since_last_login",
    "minutes_since_device_change",
    "is_fraud",
]


def _same_features(pd_feats: pd.DataFrame, pl_feats: pl.DataFrame) -> bool:
    """The peer computes the same values (checked on every row, for a spread of columns)."""
    p = pl.from_pandas(pd_feats[["transaction_id", *_SAME]]).sort("transaction_id")
    q = pl_feats.select("transaction_id", *_SAME).sort("transaction_id")
    if p.height != q.height:
        return False

    def close(a: pl.Series, b: pl.Series) -> bool:  # float minutes
        return bool(((a - b).abs() <= 1e-9 * (1 + b.abs())).all())

    return all(
        close(p[c].cast(pl.Float64).fill_null(-1.0), q[c].cast(pl.Float64).fill_null(-1.0)) for c in _SAME
    )


def _load() -> str:
    return (
        "loadavg " + " ".join(Path("/proc/loadavg").read_text().split()[:3])
        if Path("/proc/loadavg").exists()
        else ""
    )


def _auditor(settings: Settings) -> list[str]:
    """Low-cardinality and by-customer GROUP BYs through the auditor (delta_scan) and a pyarrow dataset."""
    from deltalake import DeltaTable

    from lake.auditor import connect

    queries = {
        "by type": "SELECT type, credit_debit_type, count(*), sum(amount_cents) FROM {t} GROUP BY ALL",
        "by customer": "SELECT customer_pk, count(*), sum(amount_cents), max(amount_cents) FROM {t} GROUP BY ALL",
        "by customer key": "SELECT customer_key, count(*), sum(amount_cents), max(amount_cents) FROM {t} GROUP BY ALL",
    }
    lines = []
    with connect(settings) as aud:
        ds = DeltaTable(delta.table_uri("silver.transactions", settings)).to_pyarrow_dataset()
        aud.con.register("tx_dataset", ds)
        for path, table in (("delta_scan", "silver.transactions"), ("pyarrow dataset", "tx_dataset")):
            for name, q in queries.items():
                aud.sql(q.format(t=table)).fetchall()  # warm (file listing, extension load)
                best = min(
                    _timed(lambda q=q, table=table: aud.sql(q.format(t=table)).fetchall()) for _ in range(3)
                )
                n = len(aud.sql(q.format(t=table)).fetchall())
                lines.append(
                    f"DuckDB auditor {name} over silver.transactions via {path}: {best:.2f}s "
                    f"(target <= 1s; ratio {best:.2f} of budget), {n:,} groups"
                )
    return lines


def _reset_peak_rss() -> None:
    """Linux: writing 5 to clear_refs resets VmHWM, so the peak below is the pipeline's, not the set-up's."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _peak_rss_gb() -> float:
    for line in (
        Path("/proc/self/status").read_text().splitlines() if Path("/proc/self/status").exists() else []
    ):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1e6  # kB
    return float("nan")


def _cpu_with_children() -> float:
    """CPU-s of this process plus its finished child processes (the spawned step processes)."""
    import resource

    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + ch.ru_utime + ch.ru_stime


def _timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    n_tx = int(os.environ.get("COFRE_BENCH_TX", "10000000"))
    n_small = int(os.environ.get("COFRE_BENCH_TX_PEER", "200000"))
    with tempfile.TemporaryDirectory(prefix="cofre-bench-") as tmp:
        root = Path(tmp)
        key = b"bench-key"
        # --- peer comparison at a size pandas finishes in reasonable time ---
        s_small = load_settings(
            profile="embedded", home=root / "small", lake_uri=str(root / "small" / "lake")
        )
        _load_bronze(_world(n_small, root / "small"), s_small)
        inp = _peer_inputs(s_small, key)
        t_pd, t_pl = [], []
        for _ in range(2):  # interleaved: the machine is shared, so both see the same load
            tp, pd_feats = _pandas_run(inp, key)
            tq, pl_feats = _polars_same_scope(inp, key)
            t_pd.append(tp)
            t_pl.append(tq)
            print(f"  peer round: pandas {tp:.1f}s, polars {tq:.1f}s ({_load()})", flush=True)
        same = _same_features(pd_feats, pl_feats)
        print(
            f"peer @ {n_small:,} tx (account tx silver + gold features + customer_day; same values: {same}): "
            f"pandas {min(t_pd):.1f}s, polars {min(t_pl):.1f}s -> polars is {min(t_pd) / min(t_pl):.1f}x pandas "
            f"(target >= 5x)",
            flush=True,
        )
        del inp, pd_feats, pl_feats
        # --- full size ---
        s = load_settings(profile="embedded", home=root / "big", lake_uri=str(root / "big" / "lake"))
        t0 = time.perf_counter()
        world = _world(n_tx, root / "big")
        _load_bronze(world, s)
        n_world = world["transactions"].height
        del world
        print(
            f"setup: world + bronze of {n_world:,} tx in {time.perf_counter() - t0:.0f}s (not timed below)",
            flush=True,
        )
        print(f"  {_load()}", flush=True)
        _reset_peak_rss()
        t0, c0 = time.perf_counter(), _cpu_with_children()
        stages = _polars_pipeline(s)
        total, cpu = time.perf_counter() - t0, _cpu_with_children() - c0
        print(
            f"bronze->silver->gold {int(stages['rows']):,} tx: {total:.1f}s (target <= 60s; ratio {total / 60:.2f} of "
            f"budget; CPU {cpu:.0f}s incl. step processes = {cpu / 2:.0f}s of 2 idle cores; side by side: "
            + " | ".join(" + ".join(st) for st in STAGES)
            + ") stages: "
            + ", ".join(
                f"{k}={v:.1f}s/{stages['cpu'][k]:.0f}cpu-s" for k, v in stages.items() if k in stages["peaks"]
            )
            + "; peak RSS per asset: "
            + ", ".join(f"{k}={v:.1f}GB" for k, v in stages["peaks"].items())
            + f" ({_load()})",
            flush=True,
        )
        counted = ["silver.transactions", "silver.logins", "gold.transaction_features", "gold.customer_day"]
        before = {x: delta.row_count(x, settings=s) for x in counted}
        t0 = time.perf_counter()
        again = _polars_pipeline(s, side_by_side=False)  # nothing to run side by side: no step processes
        rerun = time.perf_counter() - t0
        added = {x: delta.row_count(x, settings=s) - before[x] for x in counted}
        print(
            f"re-run with no new data (one process): {rerun:.2f}s (target <= 5s), rows added {added}, "
            f"skipped={bool(again.get('skipped'))}",
            flush=True,
        )
        for line in _auditor(s):
            print(line, flush=True)


if __name__ == "__main__":
    main()
