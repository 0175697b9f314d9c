"""`cofre models ...`: model training commands for data scientists.

``cofre models train fraud|credit|recommend [--versions JSON]`` trains from the lake through Feast
(:mod:`models.from_lake`) and registers the model.

``cofre models train-credit --csv PATH [--target COL] [--positive VALUE] [--name NAME] [--json]``
runs the generic credit trainer (:mod:`models.credit.generic`) on any tabular CSV: nested CV, the
chosen model's AUC, KS, Brier (mean +- sd over the outer folds) printed next to its two baselines on
the same folds (one-hot logistic regression, WoE scorecard). With ``--json`` the LAST line of stdout
is one JSON object (the model's ``auc``, ``ks``, ``gini``, ``brier``, their ``*_sd``, ``folds``,
``baselines``, ``choices`` and the MLflow ``run_id``/``version``/``promoted``). Progress goes to
stderr. The final model is logged to MLflow and registered under ``--name`` or ``credit-<file>``
(never the production ``credit`` unless ``--name credit``); it is promoted to champion of that name
only if its CV AUC beats the champion's on the same data set (same fingerprint).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    import pandas as pd

app = typer.Typer(help="Train and inspect models (credit, fraud, recommend).", no_args_is_help=True)


def _parse_monotone(items: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        col, sep, sign = item.partition("=")
        if not sep or sign.strip() not in ("+1", "1", "-1"):
            raise typer.BadParameter(f"--monotone expects col=+1 or col=-1, got {item!r}")
        out[col.strip()] = int(sign.strip())
    return out


def _coerce_positive(value: str, series: pd.Series) -> object:
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
    target: str = typer.Option(
        "", "--target", help="label column (default: named like a label, else the last)"
    ),
    positive: str = typer.Option(
        "", "--positive", help="label value meaning default/bad (default: the rarer)"
    ),
    name: str = typer.Option(
        "", "--name", help="registered model name (default: credit-<file name>; 'credit' is production)"
    ),
    monotone: list[str] = typer.Option(
        [], "--monotone", help="col=+1 (higher -> higher PD) or col=-1; repeatable"
    ),
    folds: int = typer.Option(5, "--folds", min=2),
    inner: int = typer.Option(3, "--inner-folds", min=2, help="inner CV folds for the model choice"),
    jobs: int = typer.Option(2, "--jobs", min=1, help="threads for the folds and the final fit"),
    seed: int = typer.Option(0, "--seed"),
    points_out: Path | None = typer.Option(
        None, "--points-out", help="write the scorecard points table (CSV)"
    ),
    as_json: bool = typer.Option(False, "--json", help="last stdout line is one JSON object"),
    no_register: bool = typer.Option(
        False, "--no-register", help="log the run but do not register the model"
    ),
    no_mlflow: bool = typer.Option(False, "--no-mlflow", help="skip MLflow entirely (CV only)"),
) -> None:
    """Nested-CV credit model on any CSV, next to its baselines on the same folds; log it to MLflow."""
    import time

    import pandas as pd

    from models.credit.generic_train import guess_positive, guess_target, train_generic
    from models.progress import step
    from models.registry import derived_name

    t0, c0 = time.perf_counter(), time.process_time()
    df = pd.read_csv(csv, low_memory=False)
    target = target or guess_target(df)
    if target not in df.columns:
        typer.echo(
            f"error: target column {target!r} not in {csv} (columns: {list(df.columns)[:20]})", err=True
        )
        raise typer.Exit(2)
    try:
        pos = _coerce_positive(positive, df[target]) if positive else guess_positive(df[target])
        mono = _parse_monotone(monotone)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    model_name = name or derived_name("credit", csv.name)
    step(f"read {len(df)} rows x {df.shape[1]} columns from {csv}; target {target} == {pos!r}")
    try:
        model, report, run = train_generic(
            df,
            target,
            pos,
            name=model_name,
            source=csv.name,
            monotone=mono,
            folds=folds,
            inner=inner,
            seed=seed,
            jobs=jobs,
            mlflow=not no_mlflow,
            register=not no_register,
        )
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if points_out is not None:
        model.points_table().to_csv(points_out, index=False)
    model_rows = [r for r in report.per_fold if r["name"] == "model"]
    result: dict[str, object] = {
        **report.summary["model"],
        "folds": [{k: v for k, v in r.items() if k != "name"} for r in model_rows],
        "baselines": {k: v for k, v in report.summary.items() if k != "model"},
        "choices": report.choices,
        "final_choice": model.metadata["choice"],
        "target": target,
        "positive": str(pos),
        "model_name": model_name,
        "cv_seconds": report.seconds,
        "cv_cpu_seconds": report.cpu_seconds,
    }
    if run is not None:
        result.update(run_id=run.run_id, version=run.version, promoted=run.promoted, decision=run.decision)
    result.update(seconds=time.perf_counter() - t0, cpu_seconds=time.process_time() - c0)
    out = sys.stderr if as_json else sys.stdout
    print(report.table(), file=out)
    print(f"final model: {model.metadata['choice']}  (registered as {model_name!r})", file=out)
    print(f"time: {result['seconds']:.1f} s wall, {result['cpu_seconds']:.1f} s CPU", file=out)
    if as_json:
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()


@app.command("train-fraud")
def train_fraud(
    transactions: Path = typer.Option(
        ..., "--transactions", exists=True, dir_okay=False, help="CSV or Parquet log"
    ),
    customer: str = typer.Option(..., "--customer", help="customer / card column"),
    counterparty: str = typer.Option(..., "--counterparty", help="terminal / merchant / payee column"),
    amount: str = typer.Option(..., "--amount", help="amount column, integer cents"),
    time_col: str = typer.Option(..., "--time", help="timestamp column (or seconds)"),
    label: str = typer.Option(..., "--label", help="fraud label column (1 = fraud)"),
    name: str = typer.Option("", "--name", help="registered model name (default: fraud-<file name>)"),
    delay_days: int = typer.Option(7, "--delay-days", min=0, help="days before a label is known"),
    test_days: int = typer.Option(14, "--test-days", min=1),
    train_days: int = typer.Option(10_000, "--train-days", min=1, help="at most this many training days"),
    k: int = typer.Option(100, "--k", min=1, help="customers per day for card precision@k"),
    seed: int = typer.Option(0, "--seed"),
    as_json: bool = typer.Option(False, "--json", help="last stdout line is one JSON object"),
    no_register: bool = typer.Option(False, "--no-register"),
    no_mlflow: bool = typer.Option(False, "--no-mlflow"),
) -> None:
    """Window features of any transaction log, a time split with a label-delay gap, model vs baseline."""
    import time

    from models.fraud.generic import log_run, train_and_evaluate
    from models.progress import step
    from models.registry import derived_name
    from pipelines.gold.transaction_log import feature_names, log_features, read_log

    t0, c0 = time.perf_counter(), time.process_time()
    roles = {
        "customer": customer,
        "counterparty": counterparty,
        "amount": amount,
        "time": time_col,
        "label": label,
    }
    try:
        log = read_log(transactions, roles)
        step(f"read {log.height} transactions from {transactions}; building window features")
        frame = log_features(log, delay_days=delay_days).to_pandas()
        del log
        step("training on the training days, scoring the test days")
        model, report = train_and_evaluate(
            frame,
            feature_names(),
            train_days=train_days,
            delay_days=delay_days,
            test_days=test_days,
            k=k,
            seed=seed,
        )
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    model_name = name or derived_name("fraud", transactions.name)
    result: dict[str, object] = {
        "metrics": report.metrics,
        "rows": report.rows,
        "fraud_rate": report.fraud_rate,
        "split_days": model.metadata["split_days"],
        "model_name": model_name,
    }
    if not no_mlflow:
        step(f"logging to MLflow as {model_name!r}")
        run = log_run(
            model,
            report,
            frame.iloc[report.split.test],
            name=model_name,
            source=transactions.name,
            params={
                "delay_days": delay_days,
                "test_days": test_days,
                "train_days": train_days,
                "k": k,
                "seed": seed,
                **roles,
            },
            register=not no_register,
        )
        result.update(run_id=run.run_id, version=run.version, promoted=run.promoted, decision=run.decision)
    result.update(seconds=time.perf_counter() - t0, cpu_seconds=time.process_time() - c0)
    out = sys.stderr if as_json else sys.stdout
    keys = list(report.metrics["model"])
    print(f"{'':16s}" + "".join(f"{key:>26s}" for key in keys), file=out)
    for who, m in report.metrics.items():
        print(f"{who:16s}" + "".join(f"{m[key]:26.4f}" for key in keys), file=out)
    if as_json:
        sys.stdout.write(json.dumps(result, default=str) + "\n")
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
        from models.credit.train import train_and_log
        from sandbox.synthetic_credit import make_credit_frame

        _, metrics, run = train_and_log(
            make_credit_frame(rows or 8000, seed), monotone=MONOTONE, seed=seed, register=not no_register
        )
    elif model == "fraud":
        from models.fraud.train import train_and_log
        from sandbox.synthetic_fraud import make_fraud_frame

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
    os.execve(cmd[0], cmd, env)  # nosec B606 # argv from ui_command: this venv's mlflow, no shell
