"""Fraud training: time-based split, metrics (AUPRC, ROC-AUC, recall per scenario), MLflow logging.

Split by ``booked_at``: the last ``test_months`` months are the test (holdout) period, the month
before them is the validation period (threshold choice), everything earlier trains the booster
(histories shorter than that are split 60/20/20 by time quantiles).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from models.card import model_card
from models.fingerprint import data_fingerprint, to_pandas
from models.fraud.model import FraudModel, fit_fraud_model
from models.fraud.threshold import CostParams
from models.metrics import binary_report
from models.plots import standard_figures
from models.progress import step


def time_split(df: pd.DataFrame, test_months: int = 2, val_months: int = 1, ts_col: str = "booked_at"):
    ts = pd.to_datetime(df[ts_col], utc=True)
    month = ts.dt.tz_localize(None).dt.to_period("M")
    months = sorted(month.unique())
    if len(months) < test_months + val_months + 1:
        # short histories (tiny test worlds): same order, by time quantiles 60/20/20
        if len(df) < 50:
            raise ValueError(
                f"need at least {test_months + val_months + 1} months or 50 rows, got {len(df)} rows"
            )
        a, b = ts.quantile(0.6), ts.quantile(0.8)
        return df[ts < a], df[(ts >= a) & (ts < b)], df[ts >= b]
    test_from = months[-test_months]
    val_from = months[-test_months - val_months]
    return df[month < val_from], df[(month >= val_from) & (month < test_from)], df[month >= test_from]


def evaluate(model: FraudModel, test: pd.DataFrame) -> dict[str, float]:
    p = model.predict_proba(test)
    y = test["is_fraud"].astype(bool).to_numpy()
    rep = binary_report(y, p)
    dec = model.decide(p, test["amount_cents"].to_numpy(dtype=float))
    out = {
        "auprc": rep["auprc"],
        "roc_auc": rep["auc"],
        "brier": rep["brier"],
        "recall_block": float((dec[y] == "block").mean()),
        "recall_block_or_review": float((dec[y] != "approve").mean()),
        "block_rate": float((dec == "block").mean()),
        "review_rate": float((dec == "review").mean()),
    }
    scen = test["fraud_scenario"].to_numpy()
    for s in sorted({v for v in scen[y] if v is not None and v == v}):
        m = y & (scen == s)
        out[f"recall_block_or_review_{s}"] = float((dec[m] != "approve").mean())
        out[f"recall_block_{s}"] = float((dec[m] == "block").mean())
    return out


def train_and_log(
    df,
    *,
    data_versions: dict[str, int] | None = None,
    costs: CostParams = CostParams(),
    seed: int = 0,
    register: bool = True,
    show_progress: bool = True,
    settings=None,
) -> tuple[FraudModel, dict[str, float], Any]:
    from models import registry

    pdf = to_pandas(df)
    train, val, test = time_split(pdf)
    step(f"fraud: train {len(train)}, validation {len(val)}, test {len(test)} rows", show_progress)
    model = fit_fraud_model(train, val, costs=costs, seed=seed)
    metrics = evaluate(model, test)
    hold_fp = data_fingerprint(test)
    model.metadata["holdout_fingerprint"] = hold_fp
    y = test["is_fraud"].astype(bool).to_numpy()
    p = model.predict_proba(test)
    card = model_card(
        "fraud",
        summary="Transaction fraud probability with a cost-based approve/review/block decision.",
        data={
            "rows (train/val/test)": f"{len(train)}/{len(val)}/{len(test)}",
            "fraud rate": f"{y.mean():.4%}",
            "split": "time-based by booked_at (test = last 2 months, validation = month before)",
            "data_versions": data_versions or {},
            "costs (cents)": costs.as_dict(),
        },
        metrics=metrics,
        intended_use="Real-time screening of PIX/card/TED payments; 'review' routes to an analyst queue.",
        limits=[
            "Trained on simulated scenarios; new fraud patterns are not covered.",
            "Thresholds depend on the cost parameters; revisit them with real loss data.",
        ],
        metadata=model.metadata,
    )

    def evaluate_champion(champion) -> float:
        return binary_report(y, champion.predict_proba(test))["auprc"]

    step("fraud: logging to MLflow", show_progress)
    result = registry.log_training_run(
        "fraud",
        model,
        params={"seed": seed, "n_buckets": model.metadata["n_buckets"], **costs.as_dict()},
        metrics={k: v for k, v in metrics.items() if np.isfinite(v)},
        figures=standard_figures(y, p),
        card_md=card,
        data_versions=data_versions,
        data_fingerprint=model.metadata["train_fingerprint"],
        holdout=("auprc", metrics["auprc"], hold_fp),
        evaluate=evaluate_champion,
        register=register,
        settings=settings,
    )
    return model, metrics, result
