"""Table-level quality checks returning :class:`CheckResult` (maps 1:1 onto a Dagster AssetCheckResult).

* :func:`row_count_anomaly`: the current version's row count vs the previous version's.
* :func:`freshness`: the newest value of a timestamp column is not older than ``max_age``.
* :func:`referential`: every key of a child table/frame exists in a parent table/frame.
* :func:`gx_suite_check`: a GX validation report of a suite (see :mod:`lake.quality_gx`).

Tables may be given by catalog name (read from the lake at their current version) or as polars
frames. A later Dagster asset check does ``AssetCheckResult(passed=r.passed,
severity=AssetCheckSeverity[r.severity], description=r.description, metadata=r.metadata)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import polars as pl

from lake import delta
from lake.quality import Suite
from lake.settings import Settings

Frameish = str | pl.DataFrame | pl.LazyFrame


@dataclass(frozen=True)
class CheckResult:
    """Outcome of a table-level check."""

    name: str
    passed: bool
    description: str
    severity: Literal["ERROR", "WARN"] = "ERROR"
    metadata: dict[str, Any] = field(default_factory=dict)


def _lazy(x: Frameish, settings: Settings | None) -> pl.LazyFrame:
    if isinstance(x, str):
        return delta.scan(x, settings=settings)
    return x.lazy() if isinstance(x, pl.DataFrame) else x


def row_count_anomaly(
    table: str, *, max_drop: float = 0.5, max_growth: float | None = None, settings: Settings | None = None
) -> CheckResult:
    """Fail when the row count fell by more than ``max_drop`` (fraction) or grew by more than
    ``max_growth`` (fraction, optional) since the previous version."""
    v = delta.version(table, settings)
    now_n = delta.row_count(table, settings=settings)
    if v == 0:
        return CheckResult(
            "row_count_anomaly",
            True,
            f"{table}: first version, {now_n} rows",
            metadata={"version": v, "rows": now_n},
        )
    prev_n = delta.row_count(table, version=v - 1, settings=settings)
    change = (now_n - prev_n) / prev_n if prev_n else (float("inf") if now_n else 0.0)
    dropped = prev_n > 0 and change < -max_drop
    grew = max_growth is not None and change > max_growth
    ok = not (dropped or grew)
    desc = f"{table}: {prev_n} -> {now_n} rows between versions {v - 1} and {v} ({change:+.1%})"
    return CheckResult(
        "row_count_anomaly",
        ok,
        desc,
        "ERROR" if dropped else "WARN",
        {"version": v, "rows": now_n, "previous_rows": prev_n, "change": change},
    )


def freshness(
    source: Frameish,
    column: str,
    max_age: timedelta,
    *,
    now: datetime | None = None,
    settings: Settings | None = None,
) -> CheckResult:
    """Fail when ``max(column)`` is older than ``max_age`` (or the table is empty)."""
    now = now or datetime.now(UTC)
    newest = _lazy(source, settings).select(pl.col(column).max()).collect().item()
    label = source if isinstance(source, str) else "frame"
    if newest is None:
        return CheckResult("freshness", False, f"{label}.{column}: no rows", metadata={"newest": None})
    if isinstance(newest, datetime) and newest.tzinfo is None:
        newest = newest.replace(tzinfo=UTC)
    age = now - newest
    ok = age <= max_age
    return CheckResult(
        "freshness",
        ok,
        f"{label}.{column}: newest {newest.isoformat()} is {age} old (max {max_age})",
        metadata={
            "newest": newest.isoformat(),
            "age_s": age.total_seconds(),
            "max_age_s": max_age.total_seconds(),
        },
    )


def referential(
    child: Frameish,
    child_key: str | list[str],
    parent: Frameish,
    parent_key: str | list[str] | None = None,
    *,
    sample: int = 5,
    settings: Settings | None = None,
) -> CheckResult:
    """Fail when some non-null child key has no parent row (an anti-join)."""
    ck = [child_key] if isinstance(child_key, str) else list(child_key)
    pk = ck if parent_key is None else ([parent_key] if isinstance(parent_key, str) else list(parent_key))
    keys = _lazy(child, settings).select(ck).drop_nulls().unique()
    parents = (
        _lazy(parent, settings).select([pl.col(p).alias(c) for p, c in zip(pk, ck, strict=True)]).unique()
    )
    orphans = keys.join(parents, on=ck, how="anti").collect()
    label_c = child if isinstance(child, str) else "child"
    label_p = parent if isinstance(parent, str) else "parent"
    n = orphans.height
    return CheckResult(
        "referential",
        n == 0,
        f"{label_c}({', '.join(ck)}) -> {label_p}({', '.join(pk)}): {n} orphan key(s)",
        metadata={"orphans": n, "sample": orphans.head(sample).to_dicts()},
    )


def gx_suite_check(df: pl.DataFrame, suite: Suite, *, sample_rows: int | None = 200_000) -> CheckResult:
    """Run a :class:`lake.quality.Suite` through great-expectations as a table-level check."""
    from lake.quality_gx import gx_report

    rep = gx_report(df, suite, sample_rows=sample_rows)
    failed = rep.failed_checks()
    desc = f"GX suite {suite.name} on {rep.rows_validated}/{rep.rows_total} rows: " + (
        "all checks passed" if rep.success else f"failed {failed}"
    )
    return CheckResult(
        "gx_suite",
        rep.success,
        desc,
        metadata={"checks": rep.checks, "sampled": rep.sampled, "rows_validated": rep.rows_validated},
    )
