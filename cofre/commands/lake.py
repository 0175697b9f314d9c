"""`cofre lake ...`: query the lake with DuckDB (time travel via AS OF), list tables, history, vacuum.

cofre lake sql "SELECT type, count(*) FROM silver.transactions GROUP BY 1"
cofre lake sql "SELECT count(*) FROM silver.transactions AS OF VERSION 3" --format json
cofre lake tables
cofre lake history silver.transactions
cofre lake vacuum silver.transactions
"""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import typer

app = typer.Typer(
    help="Query and maintain the Delta lake (DuckDB auditor, history, vacuum).", no_args_is_help=True
)


def _fail(msg: str) -> None:
    typer.echo(f"error: {msg}", err=True)
    raise typer.Exit(2)


def _jsonable(v: Any) -> Any:
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, datetime) or hasattr(v, "isoformat"):
        return v.isoformat()
    return v


def _table(title: str | None, columns: list[str], rows: list[tuple]) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=title, show_lines=False)
    for c in columns:
        t.add_column(c)
    for r in rows:
        t.add_row(*["NULL" if v is None else str(v) for v in r])
    Console().print(t)


@app.command()
def sql(
    query: str = typer.Argument(
        ..., help="SQL over catalog views (silver.transactions ...); AS OF VERSION n / TIMESTAMP '...'"
    ),
    fmt: str = typer.Option("table", "--format", "-f", help="table | csv | json"),
    limit: int = typer.Option(1000, help="rows to print in table format (0: all)"),
) -> None:
    """Run a SQL query over the lake's current (or AS OF) Delta versions."""
    import duckdb

    from lake.auditor import AuditorError, connect

    if fmt not in ("table", "csv", "json"):
        _fail(f"--format must be table, csv or json (got {fmt!r})")
    try:
        with connect() as aud:
            rel = aud.sql(query)
            if rel is None:  # a statement without a result
                return
            columns = list(rel.columns)
            rows = rel.fetchall()
    except (AuditorError, duckdb.Error) as exc:
        _fail(str(exc))
        return
    if fmt == "json":
        typer.echo(
            json.dumps([{c: _jsonable(v) for c, v in zip(columns, r, strict=True)} for r in rows], indent=2)
        )
    elif fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(columns)
        w.writerows([[_jsonable(v) for v in r] for r in rows])
        sys.stdout.write(buf.getvalue())
    else:
        shown = rows if limit == 0 else rows[:limit]
        _table(None, columns, shown)
        if len(shown) < len(rows):
            typer.echo(f"({len(rows) - len(shown)} more rows; use --limit 0 or --format csv)")


@app.command()
def tables() -> None:
    """The catalog: every table with its layer, current version and row count."""
    from lake import catalog, delta

    rows = []
    for t in catalog.tables():
        if delta.exists(t):
            rows.append((t.name, t.layer, delta.version(t), delta.row_count(t), ", ".join(t.primary_key)))
        else:
            rows.append((t.name, t.layer, "-", "-", ", ".join(t.primary_key)))
    _table("lake tables", ["table", "layer", "version", "rows", "primary key"], rows)


@app.command()
def history(
    table: str = typer.Argument(..., help="catalog table, e.g. silver.transactions"),
    limit: int = typer.Option(20, help="newest commits to show"),
) -> None:
    """Delta commit history of a table (newest first)."""
    from lake import catalog, delta

    try:
        catalog.get_table(table)
        entries = delta.history(table, limit=limit)
    except (KeyError, FileNotFoundError) as exc:
        _fail(str(exc))
        return
    rows = []
    for h in entries:
        ts = datetime.fromtimestamp(h["timestamp"] / 1000, UTC).isoformat(timespec="seconds")
        metrics = h.get("operationMetrics") or {}
        brief = {k: v for k, v in metrics.items() if k.startswith("num") and v not in (0, None)}
        rows.append((h["version"], ts, h.get("operation"), json.dumps(brief)[:120]))
    _table(f"history of {table}", ["version", "timestamp", "operation", "metrics"], rows)


@app.command()
def vacuum(
    table: str = typer.Argument(..., help="catalog table"),
    retention_hours: int | None = typer.Option(
        None,
        "--retention-hours",
        min=0,
        help="keep unreferenced files younger than this (default: the table's Delta retention, 7 days); "
        "less than that cuts time travel and asks first",
    ),
    yes: bool = typer.Option(False, "--yes", help="do not ask before a retention shorter than the table's"),
    dry_run: bool = typer.Option(False, "--dry-run", help="only list the files that would go"),
) -> None:
    """Delete files no longer referenced by the current version and older than the retention."""
    from lake import catalog, delta

    try:
        catalog.get_table(table)
        kept = delta.retention_hours(table)
        if retention_hours is not None and retention_hours < kept and not dry_run and not yes:
            typer.confirm(
                f"{table}: a retention of {retention_hours} h (the table keeps {kept} h) deletes the files "
                "of older versions: time travel before now stops working. Go on?",
                abort=True,
            )
        files = delta.vacuum(table, retention_hours=retention_hours, dry_run=dry_run)
    except (KeyError, FileNotFoundError) as exc:
        _fail(str(exc))
        return
    verb = "would remove" if dry_run else "removed"
    typer.echo(f"retention {kept if retention_hours is None else retention_hours} h")
    typer.echo(f"{table}: {verb} {len(files)} file(s)")
