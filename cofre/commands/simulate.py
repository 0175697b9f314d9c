"""`cofre simulate`: generate the simulated world to parquet (COFRE_HOME/world/<seed>/) with a progress bar."""

from __future__ import annotations

import time
from pathlib import Path

import typer

app = typer.Typer()


@app.command()
def simulate(
    customers: int = typer.Option(None, help="number of customers (default: settings.sim_customers)"),
    months: int = typer.Option(None, help="months simulated, ending on the configured end date"),
    seed: int = typer.Option(None, help="random seed (default: settings.sim_seed)"),
    fraud_rate: float = typer.Option(None, "--fraud-rate", help="share of fraudulent transactions"),
    default_rate: float = typer.Option(
        None, "--default-rate", help="share of loans defaulting within 6 months"
    ),
    out: Path = typer.Option(None, help="output folder (default: COFRE_HOME/world/<seed>)"),
) -> None:
    """Generate customers, accounts, cards, PIX keys, loans, scores, transactions and logins."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from lake.settings import get_settings
    from sandbox.simulator.io import config_from_settings, write_world

    try:
        cfg = config_from_settings(
            get_settings(),
            customers=customers,
            months=months,
            seed=seed,
            fraud_rate=fraud_rate,
            default_rate=default_rate,
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    folder = out or get_settings().home / "world" / str(cfg.seed)
    console = Console()
    t0 = time.perf_counter()
    with Progress(
        TextColumn("simulating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("months"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("months", total=cfg.months)
        rows = write_world(cfg, folder, on_month=lambda _m: bar.advance(task))
    elapsed = time.perf_counter() - t0
    for table, count in rows.items():
        console.print(f"{table:18s} {count:>12,d}")
    console.print(f"wrote {folder} in {elapsed:.1f} s")
