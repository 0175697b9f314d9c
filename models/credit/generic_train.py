"""Train the generic credit model on a user's frame: nested CV report, final fit, MLflow logging.

:func:`train_generic` is what ``cofre models train-credit --csv`` runs: the outer-fold report of
:func:`models.credit.generic.cross_validate` (chosen model next to its baselines, on the same
folds), the final model from :func:`models.credit.generic.fit_final`, and one MLflow run with the
metrics of all three, the scorecard points table (``scorecard_points.csv``), the per-fold figures
(``cv_report.json``) and the model card. The model is registered under ``name`` (see
:func:`models.registry.derived_name`), never the production ``credit`` unless asked for by name;
it becomes champion of that name only if its CV AUC beats the champion's on the same data and folds.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from models.card import model_card
from models.credit.generic import (
    BASELINES,
    METRIC_KEYS,
    CvReport,
    GenericCreditModel,
    blas_single_threaded,
    cross_validate,
    fit_final,
    make_plan,
)
from models.credit.model import binary_label
from models.fingerprint import data_fingerprint
from models.progress import step

if TYPE_CHECKING:
    from lake.settings import Settings
    from models.registry import RunResult


def guess_target(df: pd.DataFrame) -> str:
    """The label column when none is given: a column named like a label, else the last column."""
    names = ("target", "label", "bad", "default", "defaulted", "class", "risk", "y")
    for col in df.columns:
        if str(col).strip().lower() in names:
            return str(col)
    return str(df.columns[-1])


def guess_positive(s: pd.Series) -> Any:
    """The 'bad' value when none is given: the rarer of exactly two values."""
    counts = s.dropna().value_counts()
    if len(counts) != 2:
        raise ValueError(f"target has {len(counts)} distinct values; give --positive")
    return counts.index[int(np.argmin(counts.to_numpy()))]


def metrics_of(report: CvReport) -> dict[str, float]:
    """Flat MLflow metrics: the model's ``auc``, ``auc_sd``... and each baseline's ``{name}_auc``..."""
    out = dict(report.summary["model"])
    for name in BASELINES:
        out.update({f"{name}_{k}": v for k, v in report.summary[name].items()})
    out["cv_seconds"] = report.seconds
    out["cv_cpu_seconds"] = report.cpu_seconds
    return out


def train_generic(
    df: pd.DataFrame,
    target: str,
    positive: Any,
    *,
    name: str,
    source: str,
    monotone: dict[str, int] | None = None,
    folds: int = 5,
    inner: int = 3,
    seed: int = 0,
    jobs: int = 2,
    mlflow: bool = True,
    register: bool = True,
    settings: Settings | None = None,
    show_progress: bool = True,
) -> tuple[GenericCreditModel, CvReport, RunResult | None]:
    if target not in df.columns:
        raise ValueError(f"target column {target!r} not in the data (columns: {list(df.columns)[:20]})")
    y = binary_label(df[target], positive)
    X = df.drop(columns=[target]).reset_index(drop=True)
    plan = make_plan(X, monotone)
    step(
        f"credit: nested CV ({folds} outer x {inner} inner folds) on {len(X)} rows and the final fit, "
        f"{jobs} threads",
        show_progress,
    )
    with blas_single_threaded(len(X)), ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        final = pool.submit(fit_final, X, y, plan, inner=inner, seed=seed)
        report = cross_validate(X, y, plan, folds=folds, inner=inner, seed=seed, pool=pool)
        model = final.result()
    fp = data_fingerprint(df, extra={"folds": folds, "seed": seed, "target": target})
    model.metadata.update(source=source, registered_name=name, cv_fingerprint=fp)
    if not mlflow:
        return model, report, None
    from models import registry

    metrics = metrics_of(report)
    card = model_card(
        f"{name} (generic credit trainer)",
        summary=f"Credit model trained on {source}; figures are {folds}-fold CV with the model chosen by "
        f"{inner}-fold inner CV on each outer fold's training rows. Chosen on all rows: "
        f"{model.metadata['choice']}.",
        data={
            "source": source,
            "rows": len(X),
            "bad rate": f"{y.mean():.4f}",
            "target": f"{target} == {positive}",
            "dropped columns": plan.dropped,
            "choices per outer fold": "; ".join(report.choices),
        },
        metrics={k: v for k, v in metrics.items() if not k.endswith("seconds")},
        intended_use="Exploration by credit analysts on their own data; compare against the baselines in "
        "the metrics before any use.",
        limits=[
            "Stratified CV on one file: no time-based validation.",
            "Reasons come from the scorecard's points, also when the chosen model is the boosting or a blend.",
        ],
        metadata=model.metadata,
    )
    step(f"credit: logging to MLflow as {name!r}", show_progress)
    run = registry.log_training_run(
        name,
        model,
        params={
            "source": source,
            "target": target,
            "positive": str(positive),
            "folds": folds,
            "inner_folds": inner,
            "seed": seed,
            "monotone": plan.monotone_given,
            "choice": model.metadata["choice"],
        },
        metrics=metrics,
        card_md=card,
        data_fingerprint=fp,
        holdout=(f"cv{folds}_auc", report.summary["model"]["auc"], fp),
        register=register,
        settings=settings,
        artifacts={
            "scorecard_points.csv": model.points_table().to_csv(index=False),
            "cv_report.json": json.dumps(_jsonable(asdict(report)), indent=1),
        },
        custom_name=True,
    )
    return model, report, run


def _jsonable(obj: Any) -> Any:
    return json.loads(json.dumps(obj, default=float))


__all__ = ["METRIC_KEYS", "guess_positive", "guess_target", "metrics_of", "train_generic"]
