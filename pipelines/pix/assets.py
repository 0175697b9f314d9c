"""PIX assets: bronze Pix received and charges with a due date pulled per day over HTTP; silver Pix
received, refunds and cobv payments; the receiving customers' gold Pix ledger."""

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from pipelines.bank.transforms import key_owners
from pipelines.common.assets import full, now, rebuild_if_moved
from pipelines.common.bronze import BronzeBatch
from pipelines.common.metadata import delta_metadata
from pipelines.common.parallel import run_pool
from pipelines.common.writes import table_key, write_bronze
from pipelines.pix import transforms as t
from pipelines.pix.pull import pull_cobv_day, pull_day
from pipelines.resources import LakeResource, PixResource, WorldResource
from pipelines.sources.pix.client import PixClient


@asset(key=table_key("bronze.pix_received"), group_name="pix", kinds={"delta", "http"})
def pix_bronze(
    context: AssetExecutionContext, lake: LakeResource, world: WorldResource, pix: PixResource
) -> MaterializeResult:
    """Every Pix received from the world's first day to today, one API query per UTC day (days pulled
    in parallel); a Pix refunded since the last pull comes again with its devolucoes."""
    return _pull_days(context, lake, world, pix, "bronze.pix_received", pull_day, "pix received")


def _pull_days(
    context: AssetExecutionContext,
    lake: LakeResource,
    world: WorldResource,
    pix: PixResource,
    table: str,
    pull: Callable[[PixClient, date, BronzeBatch], Awaitable[None]],
    what: str,
) -> MaterializeResult:
    """Pull every day of the world with ``pull`` (days in parallel) into one bronze write of ``table``."""
    days = _days(world)
    batch = BronzeBatch(table, "pix")
    run_pool(
        days,
        pix.client,
        lambda c, d: pull(c, d, batch),
        threads=pix.threads,
        concurrency=pix.concurrency,
        on_done=_progress(context, what, days, batch),
    )
    s = lake.settings()
    n = write_bronze(table, batch.frame(), s)
    return MaterializeResult(
        metadata={"days": len(days), "pulled": len(batch.rows), "inserted": n, **delta_metadata(table, s)}
    )


def _progress(
    context: AssetExecutionContext, what: str, days: list[date], batch: BronzeBatch
) -> Callable[[int], None]:
    """Log the days and records pulled so far about every tenth of the days (long pulls show progress)."""
    step = max(1, len(days) // 10)

    def on_done(n: int) -> None:
        if n % step == 0 and n < len(days):
            context.log.info(f"{what}: {n}/{len(days)} days pulled, {len(batch.rows)} records")

    return on_done


def _days(world: WorldResource) -> list[date]:
    """From the world's first booking day to today (UTC; the world's last day if that is later)."""
    booked = world.load()["transactions"].get_column("booked_at")
    first = booked.min().date()
    last = max(booked.max().date(), datetime.now(UTC).date())
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


@asset(key=table_key("bronze.pix_cobv"), group_name="pix", kinds={"delta", "http"})
def pix_cobv_bronze(
    context: AssetExecutionContext, lake: LakeResource, world: WorldResource, pix: PixResource
) -> MaterializeResult:
    """Every charge with a due date (cobv) by creation day, with its status and the Pix that paid it."""
    return _pull_days(context, lake, world, pix, "bronze.pix_cobv", pull_cobv_day, "pix cobv")


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


@asset(
    key=table_key("silver.pix_refunds"),
    group_name="pix",
    kinds={"delta", "polars"},
    deps=[AssetKey(table_key("bronze.pix_received")), AssetKey(table_key("bronze.bank_customers"))],
)
def silver_pix_refunds(context: AssetExecutionContext, lake: LakeResource) -> MaterializeResult:
    s = lake.settings()
    return rebuild_if_moved(
        context,
        s,
        "silver.pix_refunds",
        ["bronze.pix_received", "bronze.bank_customers"],
        lambda: t.silver_pix_refunds(
            full("bronze.pix_received", s),
            key_owners(full("bronze.bank_customers", s), lake.pseudonym_key()),
            now(),
            lake.pseudonym_key(),
        ),
    )


@asset(
    key=table_key("silver.pix_cobv_payments"),
    group_name="pix",
    kinds={"delta", "polars"},
    deps=[AssetKey(table_key("bronze.pix_cobv")), AssetKey(table_key("bronze.bank_customers"))],
)
def silver_pix_cobv_payments(context: AssetExecutionContext, lake: LakeResource) -> MaterializeResult:
    s = lake.settings()
    return rebuild_if_moved(
        context,
        s,
        "silver.pix_cobv_payments",
        ["bronze.pix_cobv", "bronze.bank_customers"],
        lambda: t.silver_pix_cobv_payments(
            full("bronze.pix_cobv", s),
            key_owners(full("bronze.bank_customers", s), lake.pseudonym_key()),
            now(),
            lake.pseudonym_key(),
        ),
    )


@asset(
    key=table_key("gold.pix_ledger"),
    group_name="pix",
    kinds={"delta", "polars"},
    deps=[
        AssetKey(table_key("silver.pix_received")),
        AssetKey(table_key("silver.pix_refunds")),
        AssetKey(table_key("silver.pix_cobv_payments")),
    ],
)
def gold_pix_ledger(context: AssetExecutionContext, lake: LakeResource) -> MaterializeResult:
    """Credits for Pix received, debits for settled refunds: the refund reaches the customer's ledger."""
    s = lake.settings()
    return rebuild_if_moved(
        context,
        s,
        "gold.pix_ledger",
        ["silver.pix_received", "silver.pix_refunds", "silver.pix_cobv_payments"],
        lambda: (
            t.gold_pix_ledger(
                full("silver.pix_received", s),
                full("silver.pix_refunds", s),
                full("silver.pix_cobv_payments", s),
                now(),
            ),
            None,
        ),
    )
