"""MLflow helpers: tracking set-up from settings, run logging, registration and champion/challenger.

* :func:`configure` points MLflow at ``settings.mlflow_tracking_uri`` (embedded: SQLite file;
  stack: PostgreSQL) and, when ``settings.mlflow_artifacts_uri`` is ``s3://``, exports
  ``MLFLOW_S3_ENDPOINT_URL`` and the AWS keys from settings for boto3.
* :func:`log_training_run` logs params, metrics, figures, a model card, the input Delta table
  versions (``data_versions``), a data fingerprint and the model (pyfunc flavour, explicit
  ``pip_requirements`` so logging does not spend seconds inferring them), registers it under one of
  :data:`MODEL_NAMES`, gives the new version the alias ``challenger`` and promotes it with
  :func:`promote_if_better`.
* Promotion compares a holdout metric stored as version tags (``holdout_metric``,
  ``holdout_metric_value``, ``holdout_fingerprint``). Metrics are only compared on the same
  holdout: if the champion was measured on another holdout, it is loaded and re-evaluated on the
  challenger's holdout through the caller's ``evaluate`` callback.
* :func:`load_champion` loads a model once per process (loading costs seconds) from the version's
  own storage location, not through a ``models:/`` URI (which writes ``registered_model_meta`` into
  the artifact folder on every load: a serving start must not write into the registry).
* After a promotion the champion does not also carry ``challenger``: that alias names a version that
  was registered and lost (or is waiting to be compared).
* Runs are named ``<model> <UTC time> <input table>@v<version>...`` (not MLflow's random names).
* A local store is relocatable: MLflow records absolute artifact paths, so :func:`configure`
  rebases the paths recorded in the SQLite store onto the current ``COFRE_HOME`` when the home was
  moved or copied (:func:`relocate`); a copy then reads and writes its own artifacts only.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import mlflow
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from lake.settings import Settings, get_settings
from models.base import CofreModel, PyfuncAdapter

MODEL_NAMES = ("fraud", "credit", "recommend")
# names of models trained by the generic trainers on a user's file (``credit-german``, ``--name x``)
CUSTOM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
CHAMPION = "champion"
CHALLENGER = "challenger"

_PIP_PACKAGES = ("scikit-learn", "numpy", "pandas", "scipy", "polars", "cloudpickle", "mlflow")


def _pip_requirements() -> list[str]:
    reqs = []
    for pkg in _PIP_PACKAGES:
        try:
            reqs.append(f"{pkg}=={importlib_metadata.version(pkg)}")
        except importlib_metadata.PackageNotFoundError:
            continue
    return reqs


def derived_name(family: str, source: str) -> str:
    """A registered-model name for a generic trainer's file: ``{family}-{slug of the file stem}``.

    Never a production name: ``credit`` trained on ``credit.csv`` becomes ``credit-credit``.
    """
    slug = re.sub(r"[^a-z0-9]+", "-", Path(source).stem.lower()).strip("-")[:60] or "data"
    return f"{family}-{slug}"


def _artifact_root(settings: Settings) -> str:
    uri = str(settings.mlflow_artifacts_uri)
    if "://" in uri:
        return uri.rstrip("/")
    path = Path(uri).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path.as_uri()


# (table, column) of the paths MLflow's SQL store records for artifacts
_PATH_COLUMNS = (
    ("experiments", "artifact_location"),
    ("runs", "artifact_uri"),
    ("model_versions", "storage_location"),
    ("model_versions", "source"),
    ("logged_models", "artifact_location"),
)
_RELOCATED: set[tuple[str, str]] = set()


def relocate(settings: Settings) -> tuple[str, str] | None:
    """Rebase the artifact paths of a local SQLite store onto the current artifact root.

    The recorded root is found from the experiments named like the models (artifact location
    ``<root>/<name>``, as :func:`ensure_experiment` creates them). When it differs from the current
    root (the home was moved or copied), every recorded path under it is rewritten in one
    transaction, so the copy's registry points at the copy's artifacts and never at the original.
    Returns ``(old_root, new_root)`` when something was rewritten, else None."""
    import sqlite3

    uri = str(settings.mlflow_tracking_uri)
    artifacts = str(settings.mlflow_artifacts_uri)
    if not uri.startswith("sqlite:///") or "://" in artifacts:
        return None
    db = Path(uri.removeprefix("sqlite:///"))
    new_root = _artifact_root(settings)
    if (str(db), new_root) in _RELOCATED or not db.is_file():
        return None
    con = sqlite3.connect(db, timeout=30)
    try:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "experiments" not in tables:
            return None
        old_root = None
        for name, location in con.execute("SELECT name, artifact_location FROM experiments"):
            if name in MODEL_NAMES and location and location.endswith("/" + name):
                old_root = location[: -len(name) - 1]
                break
        # only a moved or copied home (the artifacts came along) is rebased; a store whose artifacts
        # root was changed by configuration keeps pointing at the artifacts where they are
        if old_root is None or old_root == new_root or not _artifacts_came_along(settings, con):
            _RELOCATED.add((str(db), new_root))
            return None
        with con:
            for table, column in _PATH_COLUMNS:
                if table not in tables:
                    continue
                con.execute(
                    f"UPDATE {table} SET {column} = ? || substr({column}, ?) "  # nosec B608 # fixed table/column names, values bound
                    f"WHERE substr({column}, 1, ?) = ?",
                    (new_root, len(old_root) + 1, len(old_root), old_root),
                )
    finally:
        con.close()
    _RELOCATED.add((str(db), new_root))
    return old_root, new_root


def _artifacts_came_along(settings: Settings, con: Any) -> bool:
    """Every model experiment's folder exists under the current artifact root."""
    root = Path(str(settings.mlflow_artifacts_uri)).resolve()
    names = [r[0] for r in con.execute("SELECT name FROM experiments") if r[0] in MODEL_NAMES]
    return bool(names) and all((root / n).is_dir() for n in names)


def configure(settings: Settings | None = None) -> MlflowClient:
    """Point MLflow at the configured tracking/registry store; return a client for it."""
    s = settings or get_settings()
    uri = str(s.mlflow_tracking_uri)
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        relocate(s)
    if str(s.mlflow_artifacts_uri).startswith("s3://"):
        if s.s3_endpoint:
            os.environ["MLFLOW_S3_ENDPOINT_URL"] = s.s3_endpoint
        os.environ["AWS_ACCESS_KEY_ID"] = s.s3_access_key
        os.environ["AWS_SECRET_ACCESS_KEY"] = s.s3_secret_key.get_secret_value()
        os.environ["AWS_DEFAULT_REGION"] = s.s3_region
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def ensure_experiment(name: str, settings: Settings | None = None) -> str:
    """Id of experiment ``name``, created with ``artifact_location`` under the artifacts URI."""
    s = settings or get_settings()
    client = configure(s)
    exp = client.get_experiment_by_name(name)
    if exp is not None:
        return exp.experiment_id
    return client.create_experiment(name, artifact_location=f"{_artifact_root(s)}/{name}")


@dataclass
class RunResult:
    run_id: str
    model_name: str
    version: str | None
    promoted: bool
    decision: str
    challenger_metric: float | None = None
    champion_metric: float | None = None


def log_training_run(
    model_name: str,
    model: CofreModel,
    *,
    params: dict[str, Any],
    metrics: dict[str, float],
    figures: dict[str, Any] | None = None,
    card_md: str | None = None,
    data_versions: dict[str, int] | None = None,
    data_fingerprint: str | None = None,
    holdout: tuple[str, float, str] | None = None,
    higher_is_better: bool = True,
    evaluate: Callable[[CofreModel], float] | None = None,
    register: bool = True,
    experiment: str | None = None,
    settings: Settings | None = None,
    artifacts: dict[str, str] | None = None,
    custom_name: bool = False,
) -> RunResult:
    """Log one training run; optionally register the model and run champion/challenger promotion.

    ``holdout`` is ``(metric_name, value, holdout_fingerprint)``; ``evaluate(model) -> value`` re-scores
    a (champion) model on the same holdout when the champion was measured on a different one.
    ``artifacts`` are extra text files (path in the run -> content). ``custom_name``: the name is a
    generic trainer's (any :data:`CUSTOM_NAME`), not one of the production :data:`MODEL_NAMES`.
    """
    if custom_name:
        if not CUSTOM_NAME.match(model_name):
            raise ValueError(f"invalid model name {model_name!r}: letters, digits, '.', '_', '-' (1-100)")
    elif register and model_name not in MODEL_NAMES:
        raise ValueError(f"unknown registered model {model_name!r}; expected one of {MODEL_NAMES}")
    s = settings or get_settings()
    client = configure(s)
    exp_id = ensure_experiment(experiment or model_name, s)

    with mlflow.start_run(experiment_id=exp_id, run_name=run_name(model_name, data_versions)) as run:
        mlflow.log_params(
            {k: (json.dumps(v) if isinstance(v, (dict, list)) else v) for k, v in params.items()}
        )
        mlflow.log_metrics({k: float(v) for k, v in metrics.items()})
        if data_versions is not None:
            dv = json.dumps(data_versions, sort_keys=True)
            mlflow.log_param("data_versions", dv)
            mlflow.set_tag("data_versions", dv)
        if data_fingerprint:
            mlflow.set_tag("data_fingerprint", data_fingerprint)
        if figures:  # pyplot costs about a second to import: only when there is a figure to close
            import matplotlib.pyplot as plt

            for fname, fig in figures.items():
                mlflow.log_figure(fig, f"plots/{fname}")
                plt.close(fig)
        if card_md:
            mlflow.log_text(card_md, "model_card.md")
        for path, text in (artifacts or {}).items():
            mlflow.log_text(text, path)
        mlflow.log_dict(_jsonable(model.metadata), "metadata.json")
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=PyfuncAdapter(model),
            pip_requirements=_pip_requirements(),
        )
        run_id = run.info.run_id
    if not register:
        return RunResult(run_id, model_name, None, False, "not registered")
    mv = mlflow.register_model(info.model_uri, model_name)
    version = str(mv.version)
    if card_md:
        client.update_model_version(model_name, version, description=card_md[:4000])
    client.set_model_version_tag(model_name, version, "run_id", run_id)
    if data_fingerprint:
        client.set_model_version_tag(model_name, version, "data_fingerprint", data_fingerprint)
    client.set_registered_model_alias(model_name, CHALLENGER, version)
    if holdout is None:
        return RunResult(run_id, model_name, version, False, "no holdout metric: left as challenger")
    metric, value, fp = holdout
    _tag_holdout(client, model_name, version, metric, value, fp)
    return promote_if_better(
        client,
        model_name,
        version,
        metric,
        value,
        fp,
        higher_is_better=higher_is_better,
        evaluate=evaluate,
        run_id=run_id,
    )


def run_name(model_name: str, data_versions: dict[str, int] | None, now: datetime | None = None) -> str:
    """``fraud 2026-12-03T14:05Z gold.transaction_features@v3``: the model, when, and on which data."""
    when = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%MZ")
    data = " ".join(f"{t}@v{v}" for t, v in sorted((data_versions or {}).items()))
    return f"{model_name} {when} {data}".strip()[:250]


def _promote(client: MlflowClient, name: str, version: str) -> None:
    """``champion`` moves to ``version``; ``challenger`` no longer names it (nor any version then)."""
    client.set_registered_model_alias(name, CHAMPION, version)
    try:
        if str(client.get_model_version_by_alias(name, CHALLENGER).version) == str(version):
            client.delete_registered_model_alias(name, CHALLENGER)
    except MlflowException:
        pass  # no challenger alias


def _tag_holdout(client: MlflowClient, name: str, version: str, metric: str, value: float, fp: str) -> None:
    client.set_model_version_tag(name, version, "holdout_metric", metric)
    client.set_model_version_tag(name, version, "holdout_metric_value", repr(float(value)))
    client.set_model_version_tag(name, version, "holdout_fingerprint", fp)


def current_champion(client: MlflowClient, name: str):
    """The champion ModelVersion of ``name``, or None."""
    try:
        return client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        return None


def promote_if_better(
    client: MlflowClient,
    name: str,
    version: str,
    metric: str,
    value: float,
    holdout_fingerprint: str,
    *,
    higher_is_better: bool = True,
    evaluate: Callable[[CofreModel], float] | None = None,
    run_id: str = "",
) -> RunResult:
    """Move alias ``champion`` to ``version`` iff it strictly beats the champion on the same holdout."""
    champ = current_champion(client, name)
    if champ is None:
        _promote(client, name, version)
        client.set_model_version_tag(name, version, "promotion", "first champion")
        return RunResult(run_id, name, version, True, "first champion", value, None)
    if str(champ.version) == str(version):
        return RunResult(run_id, name, version, True, "already champion", value, value)
    tags = champ.tags or {}
    same = tags.get("holdout_fingerprint") == holdout_fingerprint and tags.get("holdout_metric") == metric
    if same:
        champ_value = float(tags["holdout_metric_value"])
        how = "stored metric on the same holdout"
    elif evaluate is not None:
        try:
            champ_value = float(evaluate(load_version(name, str(champ.version))))
        except Exception as exc:  # a champion on other features cannot be scored on this holdout
            decision = f"not compared: champion v{champ.version} cannot be evaluated on this holdout ({exc})"
            client.set_model_version_tag(name, version, "promotion", decision[:5000])
            return RunResult(run_id, name, version, False, decision, value, None)
        how = "champion re-evaluated on the challenger's holdout"
    else:
        client.set_model_version_tag(name, version, "promotion", "not compared: different holdout")
        return RunResult(
            run_id, name, version, False, "different holdout and no evaluate callback", value, None
        )
    better = value > champ_value if higher_is_better else value < champ_value
    decision = (
        f"{'promoted' if better else 'kept champion v' + str(champ.version)}: "
        f"{metric} {value:.6f} vs {champ_value:.6f} ({how})"
    )
    if better:
        _promote(client, name, version)
    client.set_model_version_tag(name, version, "promotion", decision)
    return RunResult(run_id, name, version, better, decision, value, champ_value)


def _load(uri: str, registry_version: str | None) -> CofreModel:
    pyfunc = mlflow.pyfunc.load_model(uri)
    model = pyfunc.unwrap_python_model().model
    if registry_version is not None:
        model.metadata["registry_version"] = registry_version
    return model


def load_version(name: str, version: str, settings: Settings | None = None) -> CofreModel:
    """Load one registered version (not cached) from its storage location."""
    client = configure(settings)
    return _load(client.get_model_version_download_uri(name, version), version)


_CACHE: dict[tuple[str, str, str], CofreModel] = {}
_LOCK = threading.Lock()


def load_alias(name: str, alias: str, settings: Settings | None = None) -> CofreModel:
    """Load the version behind ``alias`` once per process (cached by tracking URI, name, alias)."""
    s = settings or get_settings()
    key = (str(s.mlflow_tracking_uri), name, alias)
    with _LOCK:
        if key not in _CACHE:
            client = configure(s)
            mv = client.get_model_version_by_alias(name, alias)
            # the version's own location, not models:/ (which writes registered_model_meta there)
            uri = client.get_model_version_download_uri(name, str(mv.version))
            _CACHE[key] = _load(uri, str(mv.version))
        return _CACHE[key]


def load_champion(name: str, settings: Settings | None = None) -> CofreModel:
    """The champion of ``name`` (loaded once per process; see :func:`clear_cache`)."""
    return load_alias(name, CHAMPION, settings)


def clear_cache() -> None:
    with _LOCK:
        _CACHE.clear()


def _jsonable(obj: Any) -> Any:
    return json.loads(json.dumps(obj, default=str))
