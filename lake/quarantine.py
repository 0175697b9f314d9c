"""Quarantine: rows rejected by a quality suite go to ``quarantine.rows`` with every failing check.

:func:`split_and_quarantine` is the one call a pipeline step makes: it splits a batch with
:func:`lake.quality.split_valid`, writes the bad rows to quarantine (MERGE on run id, source table
and row position, so a re-run of the same run adds nothing) and returns the good rows. Nothing is
dropped silently: ``len(good) + quarantined == len(batch)`` (tested).

A quarantined row keeps the whole input row as JSON (``payload``: Decimal as string, timestamps
ISO-8601), its key columns as a JSON object (``record_key``), the failing check names (``checks``)
and the reasons (``reason``). Quarantine may therefore hold clear identifiers from bronze and is
access-restricted like bronze.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import polars as pl

from lake import delta
from lake.catalog import TABLES, get_table
from lake.quality import CHECKS, REASON, ROW_INDEX, Suite, split_valid
from lake.settings import Settings

QUARANTINE_TABLE = "quarantine.rows"


@dataclass(frozen=True)
class SplitOutcome:
    """Good rows plus what went to quarantine."""

    good: pl.DataFrame
    quarantined: int
    bad: pl.DataFrame

    @property
    def total(self) -> int:
        return self.good.height + self.quarantined


def to_quarantine_rows(
    bad: pl.DataFrame,
    *,
    source_table: str,
    run_id: str,
    key_columns: list[str] | None = None,
    now: datetime | None = None,
) -> pl.DataFrame:
    """Shape ``split_valid``'s bad rows as ``quarantine.rows`` rows."""
    now = now or datetime.now(UTC)
    data_cols = [c for c in bad.columns if c not in (ROW_INDEX, CHECKS, REASON)]
    if key_columns is None:
        key_columns = list(TABLES[source_table].key) if source_table in TABLES else []
    key_columns = [c for c in key_columns if c in data_cols]
    record_key = pl.struct(key_columns).struct.json_encode() if key_columns else pl.lit(None, pl.String)
    return bad.select(
        pl.lit(run_id).alias("run_id"),
        pl.lit(source_table).alias("source_table"),
        pl.col(ROW_INDEX).cast(pl.Int64).alias("row_index"),
        record_key.alias("record_key"),
        pl.col(CHECKS).alias("checks"),
        pl.col(REASON).alias("reason"),
        pl.struct(data_cols).struct.json_encode().alias("payload"),
        pl.lit(now, dtype=pl.Datetime("us", "UTC")).alias("quarantined_at"),
        pl.lit(now.date(), dtype=pl.Date).alias("quarantine_date"),
    )


def quarantine(
    bad: pl.DataFrame,
    *,
    source_table: str,
    run_id: str,
    key_columns: list[str] | None = None,
    settings: Settings | None = None,
) -> int:
    """Write bad rows (from :func:`lake.quality.split_valid`) to ``quarantine.rows``; returns the count."""
    if bad.height == 0:
        return 0
    rows = to_quarantine_rows(bad, source_table=source_table, run_id=run_id, key_columns=key_columns)
    delta.merge(QUARANTINE_TABLE, rows, update=False, settings=settings)
    return rows.height


def split_and_quarantine(
    df: pl.DataFrame,
    suite: Suite,
    *,
    run_id: str,
    source_table: str | None = None,
    engine: Literal["polars", "gx"] = "polars",
    settings: Settings | None = None,
) -> SplitOutcome:
    """Split ``df`` under ``suite``; quarantine the bad rows; return the good ones."""
    target = source_table or suite.table
    if target is None:
        raise ValueError(f"suite {suite.name} names no table: pass source_table")
    good, bad = split_valid(df, suite, engine=engine)
    n = quarantine(bad, source_table=target, run_id=run_id, settings=settings)
    if good.height + n != df.height:  # an invariant, not input validation
        raise AssertionError(f"split lost rows: {good.height} good + {n} quarantined != {df.height}")
    return SplitOutcome(good, n, bad)


def read_quarantine(
    *, source_table: str | None = None, run_id: str | None = None, settings: Settings | None = None
) -> pl.DataFrame:
    """Quarantined rows, optionally of one source table and/or run."""
    if not delta.exists(QUARANTINE_TABLE, settings):
        return pl.DataFrame(schema=get_table(QUARANTINE_TABLE).schema)
    lf = delta.scan(QUARANTINE_TABLE, settings=settings)
    if source_table is not None:
        lf = lf.filter(pl.col("source_table") == source_table)
    if run_id is not None:
        lf = lf.filter(pl.col("run_id") == run_id)
    return lf.collect()
