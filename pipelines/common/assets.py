"""Helpers shared by the domain assets: run a silver/gold step only when its inputs moved."""

from collections.abc import Callable
from datetime import UTC, datetime

import polars as pl
from dagster import AssetExecutionContext, MaterializeResult

from lake import delta
from lake.settings import Settings
from pipelines.common import incremental as inc
from pipelines.common.metadata import delta_metadata
from pipelines.common.writes import quarantine, write_merged


def now() -> datetime:
    return datetime.now(UTC)


def full(table: str, settings: Settings) -> pl.DataFrame:
    """The whole current table (empty frame with the catalog schema if it does not exist yet)."""
    from lake.catalog import get_table

    if not delta.exists(table, settings):
        return pl.DataFrame(schema=get_table(table).schema)
    return delta.read(table, settings=settings)


def rebuild_if_moved(
    context: AssetExecutionContext,
    settings: Settings,
    target: str,
    inputs: list[str],
    build: Callable[[], tuple[pl.DataFrame, pl.DataFrame | None]],
) -> MaterializeResult:
    """Recompute ``target`` from its (small) inputs when any input version moved; MERGE the result."""
    vers = inc.versions(inputs, settings)
    if inc.watermark(target, settings) == vers and delta.exists(target, settings):
        context.log.info(f"{target}: inputs unchanged {vers}; nothing to do")
        return MaterializeResult(
            metadata={
                "inserted": 0,
                "updated": 0,
                "quarantined": 0,
                "skipped": True,
                **delta_metadata(target, settings),
            }
        )
    good, bad = build()
    q = quarantine(bad, target, context.run.run_id, settings) if bad is not None else 0
    res = write_merged(target, good, settings, inc.metadata(vers))
    context.log.info(f"{target}: {res} quarantined={q}")
    return MaterializeResult(
        metadata={**res, "quarantined": q, "skipped": False, **delta_metadata(target, settings)}
    )
