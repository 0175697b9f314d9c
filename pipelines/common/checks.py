"""Asset-check factories backed by the lake.quality suites (great-expectations for the report).

* ``quality``: the table's suite (catalog not-null + unique primary key + value ranges and Open
  Finance enums) validated by great-expectations on the table (a seeded sample above 200k rows),
  plus the exact polars count of failing rows over the whole table.
* ``referential``: every value of a column exists in a parent table's column.
* ``freshness``: the newest timestamp is within ``max_lag`` of the newest input timestamp.
* ``row_count``: the table is not empty and did not shrink versus its previous version (anomaly).
"""

from collections.abc import Sequence
from datetime import timedelta

import polars as pl
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetKey,
    asset_check,
)

from lake import delta
from lake import quality as q
from lake.quality_gx import gx_report
from pipelines.common.writes import table_key
from pipelines.resources import LakeResource


def _n(n: int) -> str:
    """A count with spaces between thousands (``709 869``)."""
    return f"{n:,}".replace(",", " ")


def quality_check(
    table: str, extra: Sequence[q.Check] = (), sample_rows: int = 200_000
) -> AssetChecksDefinition:
    suite = q.suite_for(table, extra)

    @asset_check(
        asset=AssetKey(table_key(table)),
        name="quality",
        blocking=False,
        description=f"great-expectations suite {suite.name} on the table (a seeded sample of "
        f"{_n(sample_rows)} rows when larger; the failing-row counts cover every row): "
        + "; ".join(c.describe() for c in suite.checks),
    )
    def _check(context: AssetCheckExecutionContext, lake: LakeResource) -> AssetCheckResult:
        df = delta.read(table, settings=lake.settings())
        failing = q.failure_flags(df, suite).sum().row(0, named=True) if df.height else {}
        bad = {k: int(v) for k, v in failing.items() if v}
        report = gx_report(df, suite, sample_rows=sample_rows) if df.height else None
        gx_failed = report.failed_checks() if report else []
        validated = report.rows_validated if report else 0
        return AssetCheckResult(
            passed=not bad and not gx_failed,
            description=(
                f"great-expectations validated {_n(validated)} of {_n(df.height)} rows"
                + (" (seeded sample)" if validated < df.height else "")
                + "; failing-row counts over all rows"
            ),
            metadata={
                "validated": f"{_n(validated)} of {_n(df.height)} rows",
                "sampled": validated < df.height,
                "rows": df.height,
                "failing_rows_by_check": str(bad),
                "gx_failed_checks": ", ".join(gx_failed),
                "gx_rows_validated": report.rows_validated if report else 0,
            },
        )

    _check.__name__ = f"{table.replace('.', '_')}_quality"
    return _check


def referential_check(table: str, column: str, parent: str, parent_column: str) -> AssetChecksDefinition:
    @asset_check(
        asset=AssetKey(table_key(table)),
        name=f"ref_{column}_in_{parent.replace('.', '_')}",
        additional_deps=[AssetKey(table_key(parent))],
        description=f"every {table}.{column} exists in {parent}.{parent_column}",
    )
    def _check(context: AssetCheckExecutionContext, lake: LakeResource) -> AssetCheckResult:
        s = lake.settings()
        child = delta.scan(table, settings=s).select(pl.col(column).alias("k")).drop_nulls().unique()
        par = delta.scan(parent, settings=s).select(pl.col(parent_column).alias("k")).unique()
        orphans = child.join(par, on="k", how="anti").select(pl.len()).collect().item()
        return AssetCheckResult(passed=orphans == 0, metadata={"orphans": int(orphans)})

    return _check


def freshness_check(
    table: str, column: str, source: str, source_column: str, max_lag: timedelta
) -> AssetChecksDefinition:
    @asset_check(
        asset=AssetKey(table_key(table)),
        name="freshness",
        additional_deps=[AssetKey(table_key(source))],
        description=f"newest {column} within {max_lag} of the newest {source}.{source_column}",
    )
    def _check(context: AssetCheckExecutionContext, lake: LakeResource) -> AssetCheckResult:
        s = lake.settings()
        newest = delta.scan(table, settings=s).select(pl.col(column).max()).collect().item()
        src = delta.scan(source, settings=s).select(pl.col(source_column).max()).collect().item()
        lag = (src - newest) if newest is not None and src is not None else None
        lag = max(lag, timedelta(0)) if lag is not None else None
        ok = lag is not None and lag <= max_lag
        return AssetCheckResult(
            passed=ok,
            severity=AssetCheckSeverity.WARN,
            metadata={"newest": str(newest), "source_newest": str(src), "lag": str(lag)},
        )

    return _check


def row_count_check(table: str, max_drop: float = 0.0) -> AssetChecksDefinition:
    @asset_check(
        asset=AssetKey(table_key(table)),
        name="row_count",
        description="table not empty and not shrunk versus its previous version",
    )
    def _check(context: AssetCheckExecutionContext, lake: LakeResource) -> AssetCheckResult:
        s = lake.settings()
        v = delta.version(table, s)
        n = delta.row_count(table, settings=s)
        prev = delta.row_count(table, version=v - 1, settings=s) if v > 0 else 0
        ok = n > 0 and n >= prev * (1 - max_drop)
        return AssetCheckResult(passed=ok, metadata={"rows": n, "previous_rows": prev, "version": v})

    return _check
