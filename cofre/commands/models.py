"""`cofre models ...`: model training commands for data scientists.

``cofre models train fraud|credit|recommend [--versions JSON]`` trains from the lake through Feast
(:mod:`models.from_lake`) and registers the model.

``cofre models train-credit --csv PATH --target COL --positive VALUE [--json] [--monotone col=+1 ...]``
trains the credit pipeline (encoder -> monotone HistGradientBoosting -> calibration) on any tabular
CSV, runs stratified k-fold CV and prints AUC, KS, Gini and Brier (mean +- sd). With ``--json`` the
LAST line of stdout is one JSON object (``auc``, ``ks``, ``gini``, ``brier``, their ``*_sd``,
``folds``, and the MLflow ``run_id``/``version``/``promoted``). Progress goes to stderr. The final
model is fit on all rows and logged to MLflow (registered as ``credit`` challenger unless
``--no-register``); it is promoted to champion only if its CV AUC beats the champion's CV AUC on the
same data set (same fingerprint).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

app = typer.Typer(help="Train and inspect models (credit, fraud, recommend).", no_args_is_help=True)


def _parse_monotone(items: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        col, sep, sign = item.partition("=")
        if not sep or sign.strip() not in ("+1", "1", "-1"):
            raise typer.BadParameter(f"--monotone expects col=+1 or col=-1, got {item!r}")
        out[col.strip()] = int(sign.strip())
    return out


def _coerce_positive(value: str, series) -> object:
    """Match the CLI's string --positive to the column's dtype (e.g. 1, True, 'bad')."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(series):
        return value.strip().lower() in ("1", "true", "yes", "sim")
    if pd.api.types.is_numeric_dtype(series):
        try:
            return float(value) if "." in value else int(value)
        except ValueError as exc:
            raise typer.BadParameter(
                f"--positive {value!r} is not a number but the target is numeric"
            ) from exc
    return value


@app.command("train-credit")
def train_credit(
    csv: Path = typer.Option(
        ..., "--csv", exists=True, dir_okay=False, help="tabular CSV with features and target"
    ),
    target: str = typer.Option(..., "--target", help="label column"),
    positive: str = typer.Option(..., "--positive", help="label value meaning default/bad"),
    monotone: list[str] = typer.Option(
        [], "--monotone", help="col=+1 (higher -> higher PD) or col=-1; repeatable"
    ),
    folds: int = typer.Option(5, "--folds", min=2),
    seed: int = typer.Option(0, "--seed"),
    as_json: bool = typer.Option(False, "--json", help="last stdout line is one JSON object"),
    no_register: bool = typer.Option(
        False, "--no-register", help="log the run but do not register the model"
    ),
    no_mlflow: bool = typer.Option(False, "--no-mlflow", help="skip MLflow entirely (CV only)"),
) -> None:
    """Cross-validate and train the credit pipeline on any CSV; log it to MLflow."""
    import numpy as np
    import pandas as pd

    from models.credit.model import fit_credit_model
    from models.credit.train import CV_KEYS, cross_validate
    from models.fingerprint import data_fingerprint
    from models.progress import step

    df = pd.read_csv(csv, low_memory=False)
    if target not in df.columns:
        typer.echo(
            f"error: target column {target!r} not in {csv} (columns: {list(df.columns)[:20]})", err=True
        )
        raise typer.Exit(2)
    pos = _coerce_positive(positive, df[target])
    mono = _parse_monotone(monotone)
    step(f"read {len(df)} rows x {df.shape[1]} columns from {csv}")
    try:
        cv = cross_validate(df, target, pos, monotone=mono, folds=folds, seed=seed)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    result: dict[str, object] = {k: cv[k] for k in cv}
    if not no_mlflow:
        from models import registry
        from models.card import model_card

        step("fitting the final model on all rows")
        model = fit_credit_model(df, target, pos, monotone=mono, seed=seed)
        fp = data_fingerprint(df, extra={"folds": folds, "seed": seed, "target": target})
        metrics = {k: cv[k] for k in CV_KEYS} | {f"{k}_sd": cv[f"{k}_sd"] for k in CV_KEYS}
        card = model_card(
            "credit (generic CSV trainer)",
            summary=f"Credit pipeline trained on {csv.name}; metrics are {folds}-fold stratified CV.",
            data={
                "csv": str(csv),
                "rows": len(df),
                "target": f"{target} == {positive}",
                "dropped columns": model.metadata["dropped_columns"],
            },
            metrics=metrics,
            intended_use="Exploration by data scientists; promoted only against a champion on the same data.",
            limits=[
                "CV on one file; no time-based validation.",
                "Reasons use a generic sentence for unknown columns.",
            ],
            metadata=model.metadata,
        )
        step("logging to MLflow")
        run = registry.log_training_run(
            "credit",
            model,
            params={
                "csv": str(csv),
                "target": target,
                "positive": positive,
                "folds": folds,
                "seed": seed,
                "monotone": mono,
            },
            metrics=metrics,
            card_md=card,
            data_fingerprint=fp,
            holdout=(f"cv{folds}_auc", cv["auc"], fp),
            register=not no_register,
        )
        result.update(run_id=run.run_id, version=run.version, promoted=run.promoted, decision=run.decision)
    for k in CV_KEYS:
        vals = np.array([f[k] for f in cv["folds"]])
        print(
            f"{k.upper():6s} {vals.mean():.4f} ± {cv[k + '_sd']:.4f}",
            file=sys.stderr if as_json else sys.stdout,
        )
    if as_json:
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()


@app.command("train-synthetic")
def train_synthetic(
    model: str = typer.Argument(..., help="credit | fraud | recommend"),
    rows: int = typer.Option(0, "--rows", help="rows (credit/fraud) or customers (recommend); 0 = default"),
    seed: int = typer.Option(0, "--seed"),
    no_register: bool = typer.Option(False, "--no-register"),
) -> None:
    """Train one model on the built-in synthetic generator and log it to MLflow (before the lake exists).

    The last stdout line is a JSON object with the holdout metrics and the registry decision.
    """
    if model == "credit":
        from models.credit.features import MONOTONE
        from models.credit.synthetic import make_credit_frame
        from models.credit.train import train_and_log

        _, metrics, run = train_and_log(
            make_credit_frame(rows or 8000, seed), monotone=MONOTONE, seed=seed, register=not no_register
        )
    elif model == "fraud":
        from models.fraud.synthetic import make_fraud_frame
        from models.fraud.train import train_and_log

        _, metrics, run = train_and_log(
            make_fraud_frame(rows or 40_000, seed=seed), seed=seed, register=not no_register
        )
    elif model == "recommend":
        from models.recommend.train import train_and_log

        _, metrics, run = train_and_log(rows or 5000, seed=seed, register=not no_register)
    else:
        raise typer.BadParameter("model must be credit, fraud or recommend")
    sys.stdout.write(
        json.dumps(
            {
                "metrics": metrics,
                "version": run.version,
                "promoted": run.promoted,
                "decision": run.decision,
                "run_id": run.run_id,
            }
        )
        + "\n"
    )


@app.command("train")
def train_from_lake(
    model: str = typer.Argument(..., help="fraud | credit | recommend"),
    versions: str = typer.Option(
        "", "--versions", help='JSON {"gold.table": version} to pin (default: current versions)'
    ),
    seed: int = typer.Option(0, "--seed"),
    no_register: bool = typer.Option(
        False, "--no-register", help="log the run but do not register the model"
    ),
) -> None:
    """Train one model from the lake (Feast point-in-time join over gold) and register it in MLflow.

    Progress goes to stderr; the last stdout line is a JSON object with the holdout metrics, the
    Delta versions read (pass them back with --versions to retrain the same model) and the registry
    decision.
    """
    from lake.settings import get_settings
    from models.from_lake import TRAINERS

    if model not in TRAINERS:
        raise typer.BadParameter(f"model must be one of {', '.join(TRAINERS)}")
    try:
        pinned = {k: int(v) for k, v in json.loads(versions).items()} if versions else None
    except (ValueError, AttributeError) as exc:
        raise typer.BadParameter(f"--versions must be a JSON object of table -> version: {exc}") from exc
    run = TRAINERS[model](get_settings(), pinned, seed=seed, register=not no_register)
    sys.stdout.write(json.dumps(run.summary(), default=str) + "\n")


def ui_command(host: str, port: int, workers: int) -> tuple[list[str], dict[str, str]]:
    """The ``mlflow ui`` command line and environment for this installation's store."""
    import os

    from lake.settings import get_settings
    from models.registry import _artifact_root, configure

    s = get_settings()
    configure(s)  # creates the store's folder and rebases a moved home before the UI reads it
    mlflow_bin = Path(sys.executable).with_name("mlflow")
    cmd = [
        str(mlflow_bin),
        "ui",
        "--backend-store-uri",
        str(s.mlflow_tracking_uri),
        "--default-artifact-root",
        _artifact_root(s),
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    # the job consumers serve GenAI evaluation jobs cofre does not use: 6 more processes on 2 cores
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    return cmd, env


@app.command("ui")
def ui(
    host: str = typer.Option("127.0.0.1", help="interface to bind"),
    port: int = typer.Option(5000, help="port of the MLflow UI"),
    workers: int = typer.Option(1, help="server worker processes (1 is plenty for one person)"),
) -> None:
    """The MLflow UI over this COFRE_HOME's tracking store and registry (one worker, no job consumers)."""
    import os

    cmd, env = ui_command(host, port, workers)
    typer.echo(f"MLflow UI on http://{host}:{port} ({' '.join(cmd[1:])})", err=True)
    os.execve(cmd[0], cmd, env)
