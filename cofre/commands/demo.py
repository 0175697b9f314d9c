"""`cofre demo`: the whole platform path on the current profile, with progress.

1. ensure the simulated world (``settings.sim_customers`` x ``settings.sim_months``);
2. run the named Dagster jobs (``lake_job``: bronze pulled over HTTP from the sandboxes, silver, gold,
   the Feast online store; ``models_job``: fraud/credit/recommend trained from the lake and registered
   in MLflow with champions set; ``drift_job``) with their asset checks, recorded in the instance of
   ``make dagster``; one progress line per asset, Dagster's full log in ``COFRE_HOME/logs/demo.log``;
3. run an auditor query over the lake with DuckDB; create the demo login;
4. export and anchor today's audit events (``audit_daily``, today's partition);
5. print a summary (assets, rows, checks, models, runs) and where to look next.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from lake.settings import Settings

if TYPE_CHECKING:
    from pipelines.run import RunReport

app = typer.Typer()


@app.command()
def demo() -> None:
    """Simulate (if needed), fill the lake through the named Dagster jobs, anchor a day of the audit trail,
    and print a summary with where to look next."""
    from lake.settings import get_settings
    from sandbox.simulator.io import ensure_world

    s = get_settings()
    t0 = time.perf_counter()
    log_file = s.home / "logs" / "demo.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    log_file.write_text("")
    _quiet_libraries(log_file)
    typer.echo(
        f"profile={s.profile} lake={s.lake_uri} world={s.sim_customers} customers x {s.sim_months} months"
    )
    typer.echo(f"full log: {log_file}")
    folder = ensure_world(s, on_month=lambda m: typer.echo(f"  simulated month {m + 1}/{s.sim_months}"))
    typer.echo(f"world ready at {folder} ({time.perf_counter() - t0:.0f}s)")
    import os

    from cofre.commands.dagster import dagster_env
    from pipelines.run import DEMO_LAYERS, RunReport, run_layers

    os.environ.update(
        {k: v for k, v in dagster_env().items() if k in ("DAGSTER_HOME", "COFRE_DAGSTER_STORAGE")}
    )
    report = RunReport()
    ok = run_layers(echo=typer.echo, persistent=True, layers=DEMO_LAYERS, log_file=log_file, report=report)
    if not ok:
        typer.echo(f"some steps failed; see the messages above and {log_file}")
        raise typer.Exit(1)
    from lake.auditor import connect

    with connect(s) as aud:
        rows = aud.sql(
            "SELECT coalesce(fraud_scenario, 'legit') AS scenario, count(*) AS n, "
            "round(avg(amount_cents) / 100, 2) AS avg_amount_brl, round(avg(tx_count_24h), 1) AS avg_tx_24h "
            "FROM gold.transaction_features GROUP BY 1 ORDER BY n DESC"
        ).fetchall()
    typer.echo(
        "\nauditor: gold.transaction_features by scenario (scenario, n, avg amount BRL, avg tx in 24h before)"
    )
    for r in rows:
        typer.echo(f"  {r[0]:<18} {r[1]:>9} {r[2]:>10} {r[3]:>6}")
    from lake.layers import secure_tree

    secure_tree(str(s.lake_uri))  # per-layer file modes: bronze/quarantine for the owner only
    _print_demo_login(s)
    audit = _anchor_today(report, log_file)
    from cofre.demo_summary import summary_lines

    for line in summary_lines(report, log_file=str(log_file), audit=audit):
        typer.echo(line)
    typer.echo(f"\ndone in {time.perf_counter() - t0:.0f}s")
    if not report.ok:
        raise typer.Exit(1)


def _anchor_text(meta: dict[str, Any]) -> str:
    """``anchored (root 1a2b..., tx 9f8e..., kept as a signed envelope)`` from the anchor asset's metadata."""
    parts = [str(meta.get("status", "?"))]
    if meta.get("root"):
        parts.append(f"root {str(meta['root'])[:16]}...")
    if meta.get("tx_hash"):
        parts.append(f"tx {str(meta['tx_hash'])[:16]}...")
    if "submitted" in meta:
        parts.append("submitted to Horizon" if meta["submitted"] == "True" else "kept as a signed envelope")
    return " ".join(parts[:1]) + (f" ({', '.join(parts[1:])})" if len(parts) > 1 else "")


def _quiet_libraries(log_file: Path) -> None:
    """Library logging and Python warnings go to the log file, not the console."""
    import logging
    import os
    import warnings

    os.environ.setdefault("MLFLOW_CONFIGURE_LOGGING", "false")  # MLflow's messages to the root logger
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    for name in ("mlflow", "feast", "alembic"):  # loggers configured at import with their own handlers
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
    logging.captureWarnings(True)
    warnings.simplefilter("default")


def _anchor_today(report: RunReport, log_file: Path) -> dict[str, Any]:
    """Export and anchor today's audit events (the demo login's) through the audit_daily job's partition
    of today, so that `cofre audit prove` and `cofre audit verify` have something to check."""
    from datetime import UTC, datetime

    from dagster import DagsterInstance

    from lake.audit.trail import day_events
    from pipelines.definitions import build_defs
    from pipelines.run import run_job

    day = datetime.now(UTC).date()
    run_job(
        "audit_daily",
        report=report,
        echo=typer.echo,
        instance=DagsterInstance.get(),
        defs=build_defs(),
        partition_key=day.isoformat(),
        log_file=log_file,
    )
    events = day_events(day)
    anchor = report.assets.get("audit/anchors")
    return {
        "day": day.isoformat(),
        "events": events.height,
        "event_id": events.get_column("event_id")[-1] if events.height else None,
        "anchor": _anchor_text(anchor.metadata) if anchor else None,
    }


def _print_demo_login(s: Settings) -> None:
    from cofre.demo_login import credentials_path, ensure_demo_login, walkthrough

    login = ensure_demo_login(s)
    typer.echo(
        f"\ndemo login (a world customer with proven identity, R$ 1.000,00 deposited; {credentials_path(s)}):"
    )
    typer.echo(f"  e-mail {login['email']}  password {login['password']}")
    for line in walkthrough(login):
        typer.echo(f"  {line}")


@app.command("demo-login")
def demo_login() -> None:
    """Create (or reuse) the demo login and print a curl walk-through: login, score, PIX."""
    from lake.settings import get_settings

    _print_demo_login(get_settings())
