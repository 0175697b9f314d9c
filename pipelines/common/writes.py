"""Lake writes used by the assets: bronze insert-only MERGE, silver/gold MERGE with watermark, quarantine."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import polars as pl

from lake import delta
from lake.catalog import get_table
from lake.quarantine import QUARANTINE_TABLE, to_quarantine_rows
from lake.settings import Settings


def write_bronze(table: str, df: pl.DataFrame, settings: Settings) -> int:
    """Insert rows whose ``record_id`` is new (re-pulls add nothing); returns rows inserted."""
    if df.height == 0:
        delta.ensure_table(table, settings)
        return 0
    m = delta.merge(table, df, update=False, settings=settings)
    return int(m.get("num_target_rows_inserted", 0))


def write_merged(
    table: str,
    df: pl.DataFrame,
    settings: Settings,
    watermark: dict[str, str] | None = None,
    unique_keys: bool = False,
) -> dict[str, int]:
    """MERGE by primary key (updates only rows that changed), the watermark in the same commit.
    ``unique_keys``: the caller built one row per key (see :func:`lake.delta.merge`)."""
    if df.height == 0 and watermark is None:
        delta.ensure_table(table, settings)
        return {"inserted": 0, "updated": 0}
    m: dict[str, Any] = delta.merge(table, df, settings=settings, metadata=watermark, unique_keys=unique_keys)
    return {
        "inserted": int(m.get("num_target_rows_inserted", 0)),
        "updated": int(m.get("num_target_rows_updated", 0)),
    }


def quarantine(bad: pl.DataFrame, source_table: str, run_id: str, settings: Settings) -> int:
    """Rejected rows into ``quarantine.rows`` (idempotent on source table + record key). The table exists
    after the first check even when nothing was rejected, so auditors' queries answer with no rows."""
    if bad.height == 0:
        delta.ensure_table(QUARANTINE_TABLE, settings)
        return 0
    rows = to_quarantine_rows(
        bad, source_table=source_table, run_id=run_id, key_columns=["source_record_id"], now=datetime.now(UTC)
    )
    # keyed on (source table, bronze record): re-processing the same bronze record in a later run adds nothing
    delta.merge(QUARANTINE_TABLE, rows, update=False, key=("source_table", "record_key"), settings=settings)
    return rows.height


def count(table: str, settings: Settings) -> int:
    return delta.row_count(table, settings=settings) if delta.exists(table, settings) else 0


def table_key(table: str) -> list[str]:
    t = get_table(table)
    return [t.layer, t.short_name]
