"""Gold assets: gold.transaction_features, gold.customer_day and gold.counterparty_pairs (incremental by
customer), gold.credit_features."""

from collections.abc import Callable

import polars as pl
from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from lake import delta
from lake.settings import Settings
from pipelines.common import incremental as inc
from pipelines.common.assets import full, now, rebuild_if_moved
from pipelines.common.metadata import delta_metadata
from pipelines.common.writes import table_key, write_merged
from pipelines.gold import transforms as t
from pipelines.resources import LakeResource

TX = "silver.transactions"


def _affected(s: Settings, target: str, inputs: list[str]) -> tuple[dict, pl.DataFrame | None, bool]:
    """(input versions, customers whose rows changed since the watermark or None for all, skip?)."""
    vers = inc.versions(inputs, s)
    mark = inc.watermark(target, s)
    if mark == vers and delta.exists(target, s):
        return vers, None, True
    if not mark:
        return vers, None, False
    cust = (
        pl.concat([inc.rows_between(x, mark.get(x), vers[x], s, ["customer_pk"]) for x in inputs])
        .unique()
        .collect()
    )
    return vers, cust, False


# targets whose transform yields one row per primary key by construction (one per silver transaction,
# or a group_by on the key): their MERGE skips the duplicate-key check
ONE_ROW_PER_KEY = frozenset({"gold.transaction_features", "gold.customer_day", "gold.counterparty_pairs"})


def run_customer_incremental(
    lake: LakeResource,
    target: str,
    inputs: list[str],
    build: Callable[[Callable[[str], pl.LazyFrame]], pl.DataFrame | pl.LazyFrame],
) -> dict:
    s = lake.settings()
    vers, cust, skip = _affected(s, target, inputs)
    if skip:
        return {"inserted": 0, "updated": 0, "skipped": True}

    def scan(table: str) -> pl.LazyFrame:
        lf = delta.scan(table, settings=s) if delta.exists(table, s) else full(table, s).lazy()
        return lf if cust is None else lf.join(cust.lazy(), on="customer_pk", how="semi")

    out = build(scan)
    return {
        **write_merged(target, out, s, inc.metadata(vers), unique_keys=target in ONE_ROW_PER_KEY),
        "skipped": False,
    }


@asset(
    key=table_key("gold.transaction_features"),
    group_name="gold",
    kinds={"delta", "polars"},
    deps=[AssetKey(table_key(TX)), AssetKey(table_key("silver.logins"))],
)
def transaction_features(context: AssetExecutionContext, lake: LakeResource) -> MaterializeResult:
    """Point-in-time fraud features per transaction (windows strictly before the transaction)."""
    res = run_customer_incremental(
        lake,
        "gold.transaction_features",
        [TX, "silver.logins"],
        lambda scan: t.transaction_features(scan(TX), scan("silver.logins"), now()),
    )
    context.log.info(f"gold.transaction_features: {res}")
    return MaterializeResult(metadata={**res, **delta_metadata("gold.transaction_features", lake.settings())})


@asset(
    key=table_key("gold.customer_day"),
    group_name="gold",
    kinds={"delta", "polars"},
    deps=[AssetKey(table_key(TX))],
)
def customer_day(context: AssetExecutionContext, lake: LakeResource) -> MaterializeResult:
    res = run_customer_incremental(
        lake, "gold.customer_day", [TX], lambda scan: t.customer_day(scan(TX), now())
    )
    return MaterializeResult(metadata={**res, **delta_metadata("gold.customer_day", lake.settings())})


@asset(
    key=table_key("gold.counterparty_pairs"),
    group_name="gold",
    kinds={"delta", "polars"},
    deps=[AssetKey(table_key(TX))],
)
def counterparty_pairs(context: AssetExecutionContext, lake: LakeResource) -> MaterializeResult:
    """Known (customer, counterparty) pairs and when they first transacted (Feast known_counterparties)."""
    res = run_customer_incremental(
        lake, "gold.counterparty_pairs", [TX], lambda scan: t.counterparty_pairs(scan(TX), now())
    )
    return MaterializeResult(metadata={**res, **delta_metadata("gold.counterparty_pairs", lake.settings())})


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
