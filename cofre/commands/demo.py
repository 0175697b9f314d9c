"""`cofre demo`: the whole platform path on the current profile, with progress.

1. ensure the simulated world (``settings.sim_customers`` x ``settings.sim_months``);
2. materialise every Dagster asset layer by layer (bronze pulled over HTTP from the sandboxes,
   silver, gold, the Feast online store, then the fraud/credit/recommend models trained from the
   lake and registered in MLflow with champions set) with their asset checks, printing each outcome;
3. run an auditor query over the lake with DuckDB;
4. print where to look next.
"""

from __future__ import annotations

import time

import typer

from lake.settings import Settings

app = typer.Typer()


@app.command()
def demo() -> None:
    """Simulate (if needed), fill the lake with Dagster, query it, and show where to look."""
    from lake.settings import get_settings
    from sandbox.simulator.io import ensure_world

    s = get_settings()
    t0 = time.perf_counter()
    typer.echo(
        f"profile={s.profile} lake={s.lake_uri} world={s.sim_customers} customers x {s.sim_months} months"
    )
    folder = ensure_world(s, on_month=lambda m: typer.echo(f"  simulated month {m + 1}/{s.sim_months}"))
    typer.echo(f"world ready at {folder} ({time.perf_counter() - t0:.0f}s)")
    import os

    from cofre.commands.dagster import dagster_env
    from pipelines.run import run_layers

    os.environ.update(
        {k: v for k, v in dagster_env().items() if k in ("DAGSTER_HOME", "COFRE_DAGSTER_STORAGE")}
    )
    ok = run_layers(
        echo=typer.echo, persistent=True, layers=("bronze", "silver", "gold", "features", "models")
    )
    if not ok:
        typer.echo("some steps failed; see the messages above")
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
    typer.echo(f"\ndone in {time.perf_counter() - t0:.0f}s. Where to look next:")
    typer.echo("  (first: source .venv/bin/activate   so that cofre, mlflow and feast are on PATH)")
    typer.echo(f"  lake:      {s.lake_uri}  (bronze/ silver/ gold/ quarantine/; bronze is mode 0700)")
    typer.echo(
        '  SQL:       cofre lake sql "SELECT day, sum(fraud_tx_count) FROM gold.customer_day GROUP BY 1 ORDER BY 1"'
    )
    typer.echo(
        "             COFRE_LAKE_AUDITOR_BRONZE=1 cofre lake sql "
        '"SELECT source_table, checks, count(*) FROM quarantine.rows GROUP BY ALL"   (restricted)'
    )
    typer.echo("  Dagster:   make dagster   (UI on http://127.0.0.1:3000, same run history)")
    typer.echo("  history:   cofre lake history silver.transactions   (write mode, run id, watermark)")
    typer.echo(
        "  MLflow:    make mlflow   (UI on http://127.0.0.1:5000, one worker; champions: fraud, credit, recommend)"
    )
    typer.echo("  API:       cofre serve   (POST /fraud/score, GET /suitability/me, GET /recommendations/me)")
    typer.echo("  API docs:  http://127.0.0.1:8000/docs and /redoc   (self-hosted: work offline)")
    typer.echo("  notebook:  notebooks/lake_tour.ipynb")
    _print_demo_login(s)


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
