"""PIX assets: bronze Pix received pulled per day over HTTP, silver.pix_received."""

from datetime import timedelta

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from pipelines.bank.transforms import key_owners
from pipelines.common.assets import full, now, rebuild_if_moved
from pipelines.common.bronze import BronzeBatch
from pipelines.common.parallel import run_pool
from pipelines.common.writes import table_key, write_bronze
from pipelines.pix import transforms as t
from pipelines.pix.pull import pull_day
from pipelines.resources import LakeResource, PixResource, WorldResource


@asset(key=table_key("bronze.pix_received"), group_name="pix", kinds={"delta", "http"})
def pix_bronze(
    context: AssetExecutionContext, lake: LakeResource, world: WorldResource, pix: PixResource
) -> MaterializeResult:
    """Every Pix received in the world's period, one API query per UTC day (days pulled in parallel)."""
    booked = world.load()["transactions"].get_column("booked_at")
    first, last = booked.min().date(), booked.max().date()
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    batch = BronzeBatch("bronze.pix_received", "pix")
    run_pool(
        days, pix.client, lambda c, d: pull_day(c, d, batch), threads=pix.threads, concurrency=pix.concurrency
    )
    n = write_bronze("bronze.pix_received", batch.frame(), lake.settings())
    return MaterializeResult(metadata={"days": len(days), "pulled": len(batch.rows), "inserted": n})


@asset(
    key=table_key("silver.pix_received"),
    group_name="pix",
    kinds={"delta", "polars"},
    deps=[AssetKey(table_key("bronze.pix_received")), AssetKey(table_key("bronze.bank_customers"))],
)
def silver_pix_received(context: AssetExecutionContext, lake: LakeResource) -> MaterializeResult:
    s = lake.settings()
    return rebuild_if_moved(
        context,
        s,
        "silver.pix_received",
        ["bronze.pix_received", "bronze.bank_customers"],
        lambda: t.silver_pix_received(
            full("bronze.pix_received", s),
            key_owners(full("bronze.bank_customers", s), lake.pseudonym_key()),
            now(),
            lake.pseudonym_key(),
        ),
    )
