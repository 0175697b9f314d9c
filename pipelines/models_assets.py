"""Dagster assets ``models/fraud``, ``models/credit``, ``models/recommend``: train from the lake, register in MLflow.

Each asset reads its training set through Feast's point-in-time join over the gold Delta tables
(:mod:`models.from_lake`), downstream of ``features/feast_online_store`` (definitions applied, online
values fresh for serving) and of the gold tables it reads; it logs the Delta versions read, registers
the model as challenger and promotes it to champion when it beats the champion on the same holdout.
``recommend`` also depends on ``credit`` (credit scores of the customers). ``models_job`` runs them.
"""

from typing import TYPE_CHECKING

import dagster as dg

if TYPE_CHECKING:
    from models.from_lake import LakeRun

FEAST = dg.AssetKey(["features", "feast_online_store"])
GOLD_TX = dg.AssetKey(["gold", "transaction_features"])
GOLD_DAY = dg.AssetKey(["gold", "customer_day"])
GOLD_CREDIT = dg.AssetKey(["gold", "credit_features"])
GOLD_PAIRS = dg.AssetKey(["gold", "counterparty_pairs"])


# the MLflow UI that `make mlflow` starts (links in the materialisation metadata point there)
MLFLOW_UI = "http://127.0.0.1:5000"


def mlflow_run_url(run_id: str) -> str | None:
    """The run's page in the MLflow UI (its experiment looked up in the tracking store), None if unknown."""
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    from lake.settings import get_settings

    try:
        exp = MlflowClient(get_settings().mlflow_tracking_uri).get_run(run_id).info.experiment_id
    except MlflowException:  # a run id the store does not know: no link rather than a failed asset
        return None
    return f"{MLFLOW_UI}/#/experiments/{exp}/runs/{run_id}"


def _result(run: "LakeRun") -> dg.MaterializeResult:
    s = run.summary()
    url = mlflow_run_url(str(s["run_id"])) if s["run_id"] else None
    meta = {
        "rows": dg.MetadataValue.int(int(s["rows"])),
        "data_versions": dg.MetadataValue.json({k: v for k, v in s["data_versions"].items()}),
        "registry_version": dg.MetadataValue.text(str(s["version"])),
        "promoted": dg.MetadataValue.bool(bool(s["promoted"])),
        "decision": dg.MetadataValue.text(str(s["decision"])),
        "mlflow_run_id": dg.MetadataValue.text(str(s["run_id"])),
        "dagster/row_count": dg.MetadataValue.int(int(s["rows"])),
    }
    if url:
        meta["mlflow_run"] = dg.MetadataValue.url(url)
    for k, v in s["metrics"].items():
        meta[f"metric/{k}"] = dg.MetadataValue.float(float(v))
    return dg.MaterializeResult(metadata=meta)


def _train(context: dg.AssetExecutionContext, name: str) -> dg.MaterializeResult:
    from lake.settings import get_settings
    from models.from_lake import TRAINERS
    from pipelines.common.output import to_step_log

    with to_step_log(context):  # the trainers' progress lines and MLflow's messages -> the step's log
        run = TRAINERS[name](get_settings())
    context.log.debug(f"{name}: {run.summary()}")
    return _result(run)


@dg.asset(
    key=dg.AssetKey(["models", "fraud"]),
    deps=[FEAST, GOLD_TX, GOLD_DAY, GOLD_PAIRS],
    group_name="models",
    kinds={"mlflow", "sklearn"},
    description="Fraud model (fraud_v1 features) registered in MLflow",
)
def fraud_model(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return _train(context, "fraud")


@dg.asset(
    key=dg.AssetKey(["models", "credit"]),
    deps=[FEAST, GOLD_CREDIT, GOLD_DAY],
    group_name="models",
    kinds={"mlflow", "sklearn"},
    description="Credit suitability model (credit_v1) registered in MLflow",
)
def credit_model(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return _train(context, "credit")


@dg.asset(
    key=dg.AssetKey(["models", "recommend"]),
    deps=[FEAST, GOLD_CREDIT, GOLD_DAY, dg.AssetKey(["models", "credit"])],
    group_name="models",
    kinds={"mlflow", "sklearn"},
    description="Offer ranker over lake customers (credit score from the credit champion)",
)
def recommend_model(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return _train(context, "recommend")


ASSETS = [fraud_model, credit_model, recommend_model]
models_job = dg.define_asset_job(
    "models_job",
    selection=dg.AssetSelection.groups("models"),
    description="train fraud, credit, recommend from the lake and register them",
)

defs = dg.Definitions(assets=ASSETS, jobs=[models_job])  # this domain, merged by pipelines.definitions
