"""`cofre models train-credit` on generated CSVs: sane AUC, parseable JSON on the last stdout line,
baselines on the same folds, and registration under the file's own name in a real MLflow store."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification


@pytest.fixture(autouse=True, scope="module")
def _one_openmp_thread():
    """The machine is shared: train on one OpenMP thread in these tests."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="openmp"):
        yield


def _mixed_csv(path):
    X, y = make_classification(n_samples=1200, n_features=8, n_informative=5, random_state=3, flip_y=0.03)
    df = pd.DataFrame(X, columns=[f"x{i}" for i in range(8)])
    rng = np.random.default_rng(0)
    df["segment"] = pd.cut(df["x0"], 4, labels=["a", "b", "c", "d"]).astype(str)
    df["x0"] = df["x0"].where(rng.random(len(df)) > 0.15)
    df.loc[rng.random(len(df)) < 0.05, "segment"] = None
    df["contract_id"] = [f"K{i:06d}" for i in range(len(df))]
    df["status"] = np.where(y == 1, "bad", "good")
    df.to_csv(path, index=False)


def _german_like_csv(path):
    rng = np.random.default_rng(7)
    n = 1000
    duration = rng.integers(6, 72, n)
    amount = np.rint(np.exp(rng.normal(8, 0.7, n)))
    checking = rng.choice(["<0", "0<=X<200", ">=200", "no checking"], n, p=[0.27, 0.27, 0.06, 0.4])
    history = rng.choice(["critical", "existing paid", "delayed", "all paid"], n)
    purpose = rng.choice(["car", "furniture", "radio/tv", "education", "business"], n)
    age = rng.integers(19, 75, n)
    logit = (
        -1.2
        + 0.03 * duration
        + 0.00008 * amount
        - 0.02 * (age - 35)
        + np.select([checking == "<0", checking == "no checking"], [1.2, -1.0], 0.0)
        + np.where(history == "critical", -0.6, 0.0)
        + np.where(history == "delayed", 0.8, 0.0)
    )
    bad = rng.random(n) < 1 / (1 + np.exp(-logit))
    df = pd.DataFrame(
        {
            "duration": duration,
            "credit_amount": amount,
            "checking_status": checking,
            "credit_history": history,
            "purpose": purpose,
            "age": age,
            "class": np.where(bad, 2, 1),
        }
    )
    df.loc[rng.random(n) < 0.1, "age"] = np.nan
    df.to_csv(path, index=False)


def _run(args, home):
    env = dict(os.environ, COFRE_HOME=str(home), OMP_NUM_THREADS="1")
    proc = subprocess.run(
        [sys.executable, "-m", "cofre.cli", "models", "train-credit", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc


def test_train_credit_cli_mixed_csv(tmp_path):
    csv = tmp_path / "mixed.csv"
    _mixed_csv(csv)
    out, proc = _run(
        [
            "--csv",
            str(csv),
            "--target",
            "status",
            "--positive",
            "bad",
            "--json",
            "--no-mlflow",
            "--monotone",
            "x1=+1",
        ],
        tmp_path,
    )
    assert set(out) >= {"auc", "ks", "gini", "brier", "folds"} and len(out["folds"]) == 5
    assert out["auc"] > 0.7 and 0 < out["brier"] < 0.25
    assert {"auc", "ks", "gini", "brier"} <= set(out["folds"][0])
    assert "AUC" in proc.stderr


def _run_in_process(args, home, monkeypatch):
    from typer.testing import CliRunner

    from cofre.cli import app

    monkeypatch.setenv("COFRE_HOME", str(home))
    return CliRunner().invoke(app, ["models", "train-credit", *args])


def test_train_credit_cli_german_like_numeric_target(tmp_path, monkeypatch):
    csv = tmp_path / "german.csv"
    _german_like_csv(csv)
    res = _run_in_process(
        [
            "--csv",
            str(csv),
            "--target",
            "class",
            "--positive",
            "2",
            "--json",
            "--no-mlflow",
            "--monotone",
            "duration=+1",
        ],
        tmp_path,
        monkeypatch,
    )
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["auc"] > 0.7 and len(out["folds"]) == 5


def test_train_credit_cli_bad_input(tmp_path, monkeypatch):
    csv = tmp_path / "mixed.csv"
    _mixed_csv(csv)
    res = _run_in_process(
        ["--csv", str(csv), "--target", "nope", "--positive", "bad", "--no-mlflow"], tmp_path, monkeypatch
    )
    assert res.exit_code == 2 and "target column" in res.stderr
    res = _run_in_process(
        ["--csv", str(csv), "--target", "status", "--positive", "bad", "--no-mlflow", "--monotone", "x1=up"],
        tmp_path,
        monkeypatch,
    )
    assert res.exit_code == 2 and "--monotone" in res.stderr


def test_train_credit_registers_under_the_files_name_with_baselines_and_points(tmp_path, monkeypatch):
    """Reproduces issue 21: a CSV's model went to the production `credit` model."""
    import mlflow
    from mlflow.tracking import MlflowClient

    from lake.settings import get_settings
    from models import registry
    from sandbox.credit_sets import make_set

    csv = tmp_path / "Bank Applicants.csv"
    make_set("german_like", seed=5).iloc[:600].to_csv(csv, index=False)
    monkeypatch.setenv("COFRE_PROFILE", "embedded")
    res = _run_in_process(["--csv", str(csv), "--json", "--folds", "3"], tmp_path, monkeypatch)
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["model_name"] == "credit-bank-applicants" and out["version"] == "1"
    assert out["target"] == "bad" and out["positive"] == "1"
    assert set(out["baselines"]) == {"logit_onehot", "scorecard_woe"} and len(out["choices"]) == 3
    for name in ("logit_onehot", "scorecard_woe"):
        assert 0.5 < out["baselines"][name]["auc"] < 1 and "brier_sd" in out["baselines"][name]
    assert "logit_onehot" in res.stderr and "scorecard_woe" in res.stderr  # the table

    get_settings.cache_clear()
    registry.clear_cache()
    client = registry.configure(get_settings())
    names = {m.name for m in client.search_registered_models()}
    assert names == {"credit-bank-applicants"}  # nothing went to the production model
    run = client.get_run(out["run_id"])
    assert run.data.metrics["logit_onehot_auc"] == pytest.approx(out["baselines"]["logit_onehot"]["auc"])
    arts = {a.path for a in MlflowClient(mlflow.get_tracking_uri()).list_artifacts(out["run_id"])}
    assert {"scorecard_points.csv", "cv_report.json", "model_card.md"} <= arts
    model = registry.load_champion("credit-bank-applicants")
    rows = make_set("german_like", seed=6).drop(columns=["bad"]).iloc[:50]
    frame = model.predict_frame(rows)
    assert frame["score"].between(0, 1000).all() and frame["pd"].between(0, 1).all()
    assert frame["reasons"].str.contains("pontos abaixo da melhor faixa").any()
    assert (model.points_table()["points"].abs() < 1000).all()

    # only an explicit --name reaches the production model
    res = _run_in_process(
        ["--csv", str(csv), "--json", "--folds", "2", "--inner-folds", "2", "--name", "credit"],
        tmp_path,
        monkeypatch,
    )
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout.strip().splitlines()[-1])["model_name"] == "credit"
    assert {m.name for m in client.search_registered_models()} == {"credit", "credit-bank-applicants"}
