"""Gold assets: gold.transaction_features, gold.customer_day and gold.counterparty_pairs (one customer
bucket per Dagster partition, :mod:`pipelines.common.buckets`), gold.credit_features."""

from collections.abc import Callable

import polars as pl
from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from lake import buckets, delta
from lake.catalog import get_table
from pipelines.common import incremental as inc
from pipelines.common.assets import bucket_metadata, full, now, rebuild_if_moved
from pipelines.common.buckets import BUCKETS
from pipelines.common.writes import table_key
from pipelines.gold import transforms as t
from pipelines.resources import LakeResource

TX = "silver.transactions"


def run_customer_bucket(
    lake: LakeResource,
    target: str,
    inputs: list[str],
    build: Callable[[Callable[[str], pl.LazyFrame]], pl.DataFrame | pl.LazyFrame],
    bucket: int,
) -> dict:
    """One customer bucket of a per-customer gold table: ``build`` gets a scan of each input that only
    yields the bucket's customers (the partition filter of a bucketed table, the bucket of
    ``customer_pk`` otherwise), and its rows replace the bucket's partition with the bucket's
    watermark in the same commit; skipped when no input moved since that watermark."""
    s = lake.settings()
    n = s.lake_buckets
    vers = inc.versions(inputs, s)
    key = inc.bucket_key(bucket, n)
    if delta.exists(target, s) and inc.watermark(target, s, key) == vers:
        return {"written": 0, "skipped": True}

    def scan(table: str) -> pl.LazyFrame:
        lf = delta.scan(table, settings=s) if delta.exists(table, s) else full(table, s).lazy()
        if buckets.is_bucketed(get_table(table)):
            return lf.filter(pl.col(buckets.COLUMN) == pl.lit(bucket, pl.Int16))
        return lf.filter(buckets.expr(n) == bucket)

    out = build(scan)
    frame = out.collect() if isinstance(out, pl.LazyFrame) else out
    res = delta.replace_bucket(target, frame, bucket, s, metadata=inc.metadata(vers, key))
    return {"written": res["written"], "skipped": False}


def _buckets(
    context: AssetExecutionContext,
    lake: LakeResource,
    target: str,
    inputs: list[str],
    build: Callable[[Callable[[str], pl.LazyFrame]], pl.DataFrame | pl.LazyFrame],
) -> MaterializeResult:
    """The run's buckets (``context.partition_keys``: one, or a range done one after the other)."""
    runs = [run_customer_bucket(lake, target, inputs, build, int(k)) for k in context.partition_keys]
    context.log.info(f"{target}: buckets {context.partition_keys}: {runs}")
    return MaterializeResult(metadata=bucket_metadata(runs, target, lake.settings()))


@asset(
    key=table_key("gold.transaction_features"),
    group_name="gold",
    kinds={"delta", "polars"},
    deps=[AssetKey(table_key(TX)), AssetKey(table_key("silver.logins"))],
    partitions_def=BUCKETS,
)
def transaction_features(context: AssetExecutionContext, lake: LakeResource) -> MaterializeResult:
    """Point-in-time fraud features per transaction (windows strictly before the transaction)."""
    return _buckets(
        context,
        lake,
        "gold.transaction_features",
        [TX, "silver.logins"],
        lambda scan: t.transaction_features(scan(TX), scan("silver.logins"), now()),
    )


@asset(
    key=table_key("gold.customer_day"),
    group_name="gold",
    kinds={"delta", "polars"},
    deps=[AssetKey(table_key(TX))],
    partitions_def=BUCKETS,
)
def customer_day(context: AssetExecutionContext, lake: LakeResource) -> MaterializeResult:
    return _buckets(context, lake, "gold.customer_day", [TX], lambda scan: t.customer_day(scan(TX), now()))


@asset(
    key=table_key("gold.counterparty_pairs"),
    group_name="gold",
    kinds={"delta", "polars"},
    deps=[AssetKey(table_key(TX))],
    partitions_def=BUCKETS,
)
def counterparty_pairs(context: AssetExecutionContext, lake: LakeResource) -> MaterializeResult:
    """Known (customer, counterparty) pairs and when they first transacted (Feast known_counterparties)."""
    return _buckets(
        context, lake, "gold.counterparty_pairs", [TX], lambda scan: t.counterparty_pairs(scan(TX), now())
    )


CREDIT_INPUTS = ["silver.customers", TX, "silver.bureau_scores", "silver.loans", "silver.loan_instalments"]


@asset(
    key=table_key("gold.credit_features"),
    group_name="gold",
    kinds={"delta", "polars"},
    deps=[AssetKey(table_key(x)) for x in CREDIT_INPUTS],
)
def credit_features(context: AssetExecutionContext, lake: LakeResource) -> MaterializeResult:
    """Credit suitability features per customer and monthly as-of date, label defaulted_6m."""
    s = lake.settings()

    def build() -> tuple[pl.DataFrame, None]:
        out = t.credit_features(
            full("silver.customers", s),
            delta.scan(TX, settings=s),
            full("silver.bureau_scores", s),
            full("silver.loans", s),
            full("silver.loan_instalments", s),
            now(),
        )
        return out, None

    return rebuild_if_moved(context, s, "gold.credit_features", CREDIT_INPUTS, build)
