"""Credit training entry points: stratified k-fold CV, holdout evaluation and MLflow logging.

* :func:`cross_validate` - k-fold stratified CV of the credit pipeline on any frame; AUC, KS,
  Gini, Brier per fold and mean +- sd (used by ``cofre models train-credit``).
* :func:`train_and_log` - the main pipeline: holdout (the latest ``holdout_frac`` by ``time_col``
  when given, else stratified random), fit on the rest, metrics + plots + model card, register as
  ``credit`` challenger, promote to champion if it beats the champion's AUC on the same holdout.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold, train_test_split

from models.card import model_card
from models.credit.model import CreditModel, binary_label, fit_credit_model
from models.credit.scoring import pd_to_score
from models.fingerprint import Frame, data_fingerprint, to_pandas
from models.metrics import binary_report
from models.plots import standard_figures
from models.progress import progress, step

if TYPE_CHECKING:
    from lake.settings import Settings

CV_KEYS = ("auc", "ks", "gini", "brier")


def cross_validate(
    df: Frame,
    target: str,
    positive: Any,
    *,
    monotone: dict[str, int] | None = None,
    folds: int = 5,
    seed: int = 0,
    show_progress: bool = True,
) -> dict[str, Any]:
    pdf = to_pandas(df).reset_index(drop=True)
    y = binary_label(pdf[target], positive)
    skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    per_fold = []
    for k, (tr, te) in enumerate(progress(skf.split(pdf, y), "credit CV folds", folds, show_progress)):
        m = fit_credit_model(pdf.iloc[tr], target, positive, monotone=monotone, seed=seed)
        rep = binary_report(y[te], m.predict_pd(pdf.iloc[te]))
        per_fold.append({"fold": k, "n_test": int(len(te)), **{key: rep[key] for key in CV_KEYS}})
    out: dict[str, Any] = {}
    for key in CV_KEYS:
        vals = np.array([f[key] for f in per_fold])
        out[key] = float(vals.mean())
        out[f"{key}_sd"] = float(vals.std(ddof=1)) if len(vals) > 1 else 0.0
    out["folds"] = per_fold
    return out


def split_holdout(
    pdf: pd.DataFrame, y: np.ndarray, holdout_frac: float, seed: int, time_col: str | None
) -> tuple[np.ndarray, np.ndarray]:
    idx = np.arange(len(pdf))
    if time_col:
        order = np.argsort(pdf[time_col].to_numpy(), kind="stable")
        cut = int(round(len(idx) * (1 - holdout_frac)))
        return order[:cut], order[cut:]
    tr, te = train_test_split(idx, test_size=holdout_frac, stratify=y, random_state=seed)
    return np.sort(tr), np.sort(te)


def train_and_log(
    df: Frame,
    target: str = "defaulted_6m",
    positive: Any = True,
    *,
    monotone: dict[str, int] | None = None,
    reasons: dict[str, str] | None = None,
    data_versions: dict[str, int] | None = None,
    time_col: str | None = None,
    holdout_frac: float = 0.2,
    seed: int = 0,
    register: bool = True,
    show_progress: bool = True,
    settings: Settings | None = None,
) -> tuple[CreditModel, dict[str, float], Any]:
    """Fit, evaluate on the holdout and log to MLflow; returns (model, holdout metrics, RunResult)."""
    from models import registry

    pdf = to_pandas(df).reset_index(drop=True)
    y = binary_label(pdf[target], positive)
    tr, te = split_holdout(pdf, y, holdout_frac, seed, time_col)
    drop = [time_col] if time_col else []
    train_df, hold_df = pdf.iloc[tr].drop(columns=drop), pdf.iloc[te].drop(columns=drop)
    step(f"credit: fitting on {len(tr)} rows, holdout {len(te)} rows", show_progress)
    model = fit_credit_model(train_df, target, positive, monotone=monotone, reasons=reasons, seed=seed)
    p = model.predict_pd(hold_df)
    metrics = binary_report(y[te], p)
    hold_fp = data_fingerprint(hold_df)
    model.metadata["holdout_fingerprint"] = hold_fp
    figures = standard_figures(y[te], p, score=pd_to_score(p))
    card = model_card(
        "credit",
        summary="Probability of default (90+ days past due) within 6 months, mapped to a 0-1000 score "
        "(higher = lower risk) with Serasa bands and adverse reasons in Portuguese.",
        data={
            "rows (train/holdout)": f"{len(tr)}/{len(te)}",
            "target": target,
            "positive rate": f"{y.mean():.4f}",
            "data_versions": data_versions or {},
            "holdout": f"latest {holdout_frac:.0%} by {time_col}" if time_col else "stratified random",
            "train fingerprint": model.metadata["train_fingerprint"],
        },
        metrics=metrics,
        intended_use="Credit suitability pre-screening for personal credit offers of cofre customers; "
        "input to eligibility rules with affordability checks, never the sole decision.",
        limits=[
            "Trained on simulated data until real outcomes exist.",
            "Monotone constraints encode policy, not learnt facts.",
            "Reasons are single-feature counterfactuals against a reference 'good' profile.",
            "Not validated for business (CNPJ) customers.",
        ],
        metadata=model.metadata,
    )

    def evaluate(champion: CreditModel) -> float:
        return binary_report(y[te], champion.predict_pd(hold_df))["auc"]

    step("credit: logging to MLflow", show_progress)
    result = registry.log_training_run(
        "credit",
        model,
        params={
            "seed": seed,
            "holdout_frac": holdout_frac,
            "target": target,
            "monotone": model.metadata["monotone"],
            "calibration": model.metadata["calibration"],
        },
        metrics=metrics,
        figures=figures,
        card_md=card,
        data_versions=data_versions,
        data_fingerprint=model.metadata["train_fingerprint"],
        holdout=("auc", metrics["auc"], hold_fp),
        evaluate=evaluate,
        register=register,
        settings=settings,
    )
    return model, metrics, result
