"""MLflow registry against a tmp SQLite store: champion/challenger promotion and loading by alias."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lake.settings import get_settings
from models import registry
from models.credit.features import MONOTONE
from models.credit.model import fit_credit_model
from models.credit.train import train_and_log
from models.fingerprint import data_fingerprint
from models.metrics import binary_report
from sandbox.synthetic_credit import make_credit_frame

TARGET = "defaulted_6m"


@pytest.fixture(autouse=True, scope="module")
def _one_openmp_thread():
    """The machine is shared: train and predict on one OpenMP thread in these tests."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="openmp"):
        yield


@pytest.fixture()
def tmp_registry(tmp_path, monkeypatch):
    monkeypatch.setenv("COFRE_HOME", str(tmp_path))
    monkeypatch.setenv("COFRE_PROFILE", "embedded")
    get_settings.cache_clear()
    registry.clear_cache()
    yield get_settings()
    registry.clear_cache()


def test_champion_challenger_promotion(tmp_registry):
    s = tmp_registry
    df = make_credit_frame(2500, seed=11)
    train, hold = df.iloc[:2000].reset_index(drop=True), df.iloc[2000:].reset_index(drop=True)
    fp = data_fingerprint(hold)
    y = hold[TARGET].to_numpy()

    def log(model, data_versions):
        auc = binary_report(y, model.predict_pd(hold))["auc"]
        res = registry.log_training_run(
            "credit",
            model,
            params={"n": len(train)},
            metrics={"auc": auc},
            card_md="# card\n",
            data_versions=data_versions,
            data_fingerprint=data_fingerprint(train),
            holdout=("auc", auc, fp),
            settings=s,
        )
        return res, auc

    mediocre = fit_credit_model(train.iloc[:300], TARGET, True, monotone=MONOTONE, seed=0, max_iter=20)
    r1, auc1 = log(mediocre, {"gold.credit_features": 3})
    assert r1.promoted and r1.version == "1" and r1.decision == "first champion"
    client = registry.configure(s)
    assert client.get_registered_model("credit").aliases == {"champion": 1}  # not also @challenger

    shuffled = train.copy()
    shuffled[TARGET] = np.random.default_rng(0).permutation(shuffled[TARGET].to_numpy())
    worse = fit_credit_model(shuffled, TARGET, True, seed=0, max_iter=20)
    r2, auc2 = log(worse, {"gold.credit_features": 4})
    assert auc2 < auc1 and not r2.promoted and "kept champion v1" in r2.decision

    client = registry.configure(s)
    assert str(client.get_model_version_by_alias("credit", "champion").version) == "1"
    assert str(client.get_model_version_by_alias("credit", "challenger").version) == "2"

    # a better model on a DIFFERENT holdout: the champion is re-evaluated on the new holdout
    better, metrics, r3 = train_and_log(
        df,
        TARGET,
        True,
        monotone=MONOTONE,
        holdout_frac=0.25,
        seed=0,
        data_versions={"gold.credit_features": 5},
        show_progress=False,
        settings=s,
    )
    assert r3.promoted and "re-evaluated" in r3.decision and r3.champion_metric < metrics["auc"]
    # challenger names the latest candidate (v2 while it lost); promoted, v3 carries only champion
    assert client.get_registered_model("credit").aliases == {"champion": 3}
    mv = client.get_model_version_by_alias("credit", "champion")
    assert str(mv.version) == "3" and mv.tags["holdout_metric"] == "auc"
    assert float(mv.tags["holdout_metric_value"]) == pytest.approx(metrics["auc"])
    run = client.get_run(r3.run_id)
    assert json.loads(run.data.params["data_versions"]) == {"gold.credit_features": 5}
    assert run.info.run_name.startswith("credit 20") and run.info.run_name.endswith(
        " gold.credit_features@v5"
    )
    assert "data_fingerprint" in run.data.tags
    arts = {a.path for a in client.list_artifacts(r3.run_id)} | {
        a.path for a in client.list_artifacts(r3.run_id, "plots")
    }
    assert {"model_card.md", "metadata.json", "plots/roc.png", "plots/reliability.png"} <= arts

    champ = registry.load_champion("credit", s)
    assert registry.load_champion("credit", s) is champ  # loaded once
    assert (
        champ.metadata["registry_version"] == "3"
        and champ.metadata["features"] == better.metadata["features"]
    )
    np.testing.assert_array_equal(champ.predict_pd(hold), better.predict_pd(hold))
    # loading (what every serving start does) writes nothing into the registry's artifacts
    assert not list((s.home / "mlartifacts").rglob("registered_model_meta"))


def _tree(root) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file()
    }


def test_a_moved_copy_of_the_home_works_and_leaves_the_original_untouched(tmp_path, monkeypatch):
    """MLflow records absolute artifact paths: a gateway or trainer started on a copy of COFRE_HOME
    must load and write the copy's artifacts, never the original's."""
    import shutil

    original, copy = tmp_path / "original", tmp_path / "moved" / "var"
    df = make_credit_frame(600, seed=5)
    monkeypatch.setenv("COFRE_PROFILE", "embedded")
    monkeypatch.setenv("COFRE_HOME", str(original))
    get_settings.cache_clear()
    registry.clear_cache()
    s = get_settings()
    model = fit_credit_model(df, TARGET, True, monotone=MONOTONE, seed=0, max_iter=10)
    registry.log_training_run("credit", model, params={}, metrics={}, holdout=("auc", 0.7, "fp"), settings=s)
    expected = registry.load_champion("credit", s).predict_pd(df)
    shutil.copytree(original, copy)
    before = _tree(original)

    monkeypatch.setenv("COFRE_HOME", str(copy))
    get_settings.cache_clear()
    registry.clear_cache()
    s2 = get_settings()
    champ = registry.load_champion("credit", s2)  # configure() rebases the copy's store
    np.testing.assert_array_equal(champ.predict_pd(df), expected)
    client = registry.configure(s2)
    mv = client.get_model_version_by_alias("credit", "champion")
    assert str(copy) in client.get_model_version_download_uri("credit", mv.version)
    r = registry.log_training_run(
        "credit", model, params={}, metrics={}, holdout=("auc", 0.6, "fp"), settings=s2
    )
    assert str(copy) in client.get_run(r.run_id).info.artifact_uri
    assert (copy / "mlartifacts" / "credit" / r.run_id).is_dir()
    assert _tree(original) == before  # nothing read from or written into the original
    assert not (original / "mlartifacts" / "credit" / r.run_id).exists()
    shutil.rmtree(original)  # the copy stands alone
    registry.clear_cache()
    np.testing.assert_array_equal(registry.load_champion("credit", s2).predict_pd(df), expected)


def test_unknown_model_name_rejected(tmp_registry):
    with pytest.raises(ValueError, match="unknown registered model"):
        registry.log_training_run("nope", object(), params={}, metrics={}, settings=tmp_registry)


# --- "no champion" means no registered model or no champion alias, nothing else ---------------------


def test_no_champion_only_when_the_model_or_its_alias_is_missing(tmp_registry):
    client = registry.configure(tmp_registry)
    assert registry.current_champion(client, "cofre-nothing-yet") is None  # no registered model
    client.create_registered_model("cofre-no-alias")
    assert registry.current_champion(client, "cofre-no-alias") is None  # a model, no champion alias


def _failing_registry(posts: list[str]):
    """An MLflow tracking server whose reads fail (HTTP 503, as a server whose database is down) and
    whose writes succeed: the registry protocol over real HTTP, failing the way a real one can."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def read(request: Request) -> JSONResponse:
        return JSONResponse(
            {"error_code": "TEMPORARILY_UNAVAILABLE", "message": "backend store unavailable"}, 503
        )

    async def write(request: Request) -> JSONResponse:
        posts.append(request.url.path)
        return JSONResponse({})

    return Starlette(
        routes=[
            Route("/api/2.0/mlflow/{path:path}", read, methods=["GET"]),
            Route("/api/2.0/mlflow/{path:path}", write, methods=["POST", "PATCH", "DELETE"]),
        ]
    )


def test_a_registry_error_is_not_read_as_no_champion(monkeypatch):
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient
    from uvicorn_kit import serve

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    posts: list[str] = []
    with serve(_failing_registry(posts)) as url:
        client = MlflowClient(tracking_uri=url, registry_uri=url)
        with pytest.raises(MlflowException, match="503"):
            registry.current_champion(client, "cofre-credit")
        with pytest.raises(MlflowException, match="503"):
            registry.promote_if_better(client, "cofre-credit", "7", "auc", 0.51, "fp")
    assert posts == []  # the challenger was not made champion


def test_mlflow_ui_command_uses_one_worker_and_this_homes_store(tmp_registry):
    from cofre.commands.models import ui_command

    cmd, env = ui_command("127.0.0.1", 5001, 1)
    assert cmd[1] == "ui" and cmd[cmd.index("--workers") + 1] == "1"
    assert cmd[cmd.index("--backend-store-uri") + 1] == str(tmp_registry.mlflow_tracking_uri)
    assert cmd[cmd.index("--default-artifact-root") + 1].endswith("/mlartifacts")
    assert env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] == "false"
