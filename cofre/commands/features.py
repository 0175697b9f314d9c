"""`cofre features ...`: the Feast feature store (apply, materialise, render feature_store.yaml).

cofre features render-config      # features/feature_store.yaml from the settings (then `feast -c features plan`)
cofre features apply              # register entities, views and services
cofre features materialize        # apply, then rebuild views whose gold table version changed
cofre features materialize --full --end 2026-03-01T00:00:00Z
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer

app = typer.Typer(help="Feast feature store over the gold Delta tables.", no_args_is_help=True)


@app.command("render-config")
def render_config(
    path: Path = typer.Option(None, help="where to write (default: features/feature_store.yaml)"),
) -> None:
    """Write feature_store.yaml for the `feast` CLI from the settings (profile decides the stores)."""
    from features.store import render_config as render
    from lake.settings import get_settings

    typer.echo(f"wrote {render(get_settings(), path)}")


@app.command("apply")
def apply() -> None:
    """Register the Feast definitions (features/definitions.py) in the registry."""
    from features.materialize import apply as do_apply
    from lake.settings import get_settings

    do_apply(get_settings(), progress=typer.echo)


@app.command("materialize")
def materialize(
    end: datetime = typer.Option(None, help="materialise event times up to this instant (default: now, UTC)"),
    full: bool = typer.Option(False, help="rebuild every view, even if its table version did not change"),
) -> None:
    """Apply, then bring the online store up to date with the gold tables (per Delta version)."""
    from features.materialize import apply_and_materialize
    from lake.settings import get_settings

    report = apply_and_materialize(get_settings(), end=end, full=full, progress=typer.echo)
    for view, r in report.items():
        typer.echo(f"{view:24s} {r['table']:28s} v{r['version']!s:6s} {r['status']}")
