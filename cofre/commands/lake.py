"""`cofre lake ...`: query the lake with DuckDB (time travel via AS OF), list tables, history, vacuum.

cofre lake sql "SELECT type, count(*) FROM silver.transactions GROUP BY 1"
cofre lake sql "SELECT count(*) FROM silver.transactions AS OF VERSION 3" --format json
cofre lake tables
cofre lake history silver.transactions --format json
cofre lake vacuum silver.transactions
cofre lake permissions       # per-layer file modes on a local lake (bronze: owner only)
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Any

import typer

from cofre.output import FORMATS, render

app = typer.Typer(
    help="Query and maintain the Delta lake (DuckDB auditor, history, vacuum).", no_args_is_help=True
)

FORMAT_HELP = "table | csv | json (identifiers are never cut; table rows may run past the screen)"


def _fail(msg: str) -> None:
    typer.echo(f"error: {msg}", err=True)
    raise typer.Exit(2)


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        _fail(f"--format must be table, csv or json (got {fmt!r})")


@app.command()
def sql(
    query: str = typer.Argument(
        ..., help="SQL over catalog views (silver.transactions ...); AS OF VERSION n / TIMESTAMP '...'"
    ),
    fmt: str = typer.Option("table", "--format", "-f", help=FORMAT_HELP),
    limit: int = typer.Option(1000, help="rows to print in table format (0: all)"),
) -> None:
    """Run a SQL query over the lake's current (or AS OF) Delta versions."""
    import duckdb

    from lake.auditor import AuditorError, connect

    _check_format(fmt)
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
    shown = rows if fmt != "table" or limit == 0 else rows[:limit]
    sys.stdout.write(render(fmt, columns, shown))
    if len(shown) < len(rows):
        typer.echo(f"({len(rows) - len(shown)} more rows; use --limit 0 or --format csv)")


@app.command()
def tables(fmt: str = typer.Option("table", "--format", "-f", help=FORMAT_HELP)) -> None:
    """The catalog: every table with its layer, current version and row count."""
    _check_format(fmt)
    from lake import catalog, delta

    rows: list[tuple[Any, ...]] = []
    for t in catalog.tables():
        if delta.exists(t):
            rows.append((t.name, t.layer, delta.version(t), delta.row_count(t), ", ".join(t.primary_key)))
        else:
            rows.append((t.name, t.layer, None, None, ", ".join(t.primary_key)))
    sys.stdout.write(render(fmt, ["table", "layer", "version", "rows", "primary_key"], rows))


HISTORY_COLUMNS = ["version", "timestamp", "operation", "mode", "run_id", "watermark", "metrics"]


def history_rows(entries: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """One row per commit: write mode (delta-rs ``operationParameters.mode``, MERGE for merges), the
    run id and the watermark (the source tables' versions read, ``cofre.watermark``) it carries."""
    from lake.runinfo import KEY as RUN_KEY

    rows: list[tuple[Any, ...]] = []
    for h in entries:
        ts = datetime.fromtimestamp(h["timestamp"] / 1000, UTC).isoformat(timespec="seconds")
        params = h.get("operationParameters") or {}
        mode = params.get("mode") or ("Merge" if h.get("operation") == "MERGE" else None)
        watermark = h.get("cofre.watermark")
        wm = json.loads(watermark) if isinstance(watermark, str) else watermark
        metrics = h.get("operationMetrics") or {}
        brief = {k: v for k, v in metrics.items() if k.startswith("num") and v not in (0, None)}
        rows.append((h["version"], ts, h.get("operation"), mode, h.get(RUN_KEY), wm, brief or None))
    return rows


@app.command()
def history(
    table: str = typer.Argument(..., help="catalog table, e.g. silver.transactions"),
    limit: int = typer.Option(20, help="newest commits to show"),
    fmt: str = typer.Option("table", "--format", "-f", help=FORMAT_HELP),
) -> None:
    """Delta commit history of a table (newest first): operation, write mode, run id, watermark, metrics."""
    _check_format(fmt)
    from lake import catalog, delta

    try:
        catalog.get_table(table)
        entries = delta.history(table, limit=limit)
    except (KeyError, FileNotFoundError) as exc:
        _fail(str(exc))
        return
    sys.stdout.write(render(fmt, HISTORY_COLUMNS, history_rows(entries), title=f"history of {table}"))


@app.command()
def permissions() -> None:
    """Apply the per-layer file modes to a local lake (bronze/quarantine: owner only; see lake.layers)."""
    from lake.layers import secure_tree
    from lake.settings import get_settings

    counts = secure_tree(str(get_settings().lake_uri))
    if not counts:
        typer.echo(
            "nothing to do (no local lake yet, or the lake is on an object store: use a bucket policy)"
        )
    for layer, n in counts.items():
        typer.echo(f"{layer}: {n} file(s) secured")


@app.command()
def vacuum(
    table: str = typer.Argument(..., help="catalog table"),
    dry_run: bool = typer.Option(False, "--dry-run", help="only list the files that would go"),
) -> None:
    """Delete files no longer referenced by the current version (retention 0: ends time travel)."""
    from lake import catalog, delta

    try:
        catalog.get_table(table)
        files = delta.vacuum(table, dry_run=dry_run)
    except (KeyError, FileNotFoundError) as exc:
        _fail(str(exc))
        return
    verb = "would remove" if dry_run else "removed"
    typer.echo(f"{table}: {verb} {len(files)} file(s)")
