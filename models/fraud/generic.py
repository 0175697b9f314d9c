"""The generic fraud trainer: time split with a label-delay gap, boosting vs a logistic baseline.

Input: the feature frame of :func:`pipelines.gold.transaction_log.log_features` (``customer``,
``time_us``, ``label`` and numeric features). :func:`time_split` numbers the days from the first
one; the last ``test_days`` days are the test, the ``delay_days`` before them are a gap (their
labels would not be known yet when the model is trained), everything earlier trains (at most
``train_days`` days, the latest ones). Both the model (HistGradientBoosting) and the baseline
(logistic regression on log1p-scaled, standardised features) train on the training days only and
are scored on the test days: ROC-AUC, AUPRC and card precision@k per day (per test day, the k
customers with the highest score of the day; the share of them with a fraud that day; the mean
over days; k = 100 by default, as in the fraud-detection literature).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from models.metrics import binary_report

DAY_US = 86_400_000_000
MODEL_VERSION = "fraud-generic-1.0"


@dataclass(frozen=True)
class Split:
    train: np.ndarray
    test: np.ndarray
    train_days: tuple[int, int]
    gap_days: tuple[int, int]
    test_days: tuple[int, int]


def time_split(time_us: np.ndarray, *, train_days: int, delay_days: int, test_days: int) -> Split:
    day = (time_us - time_us.min()) // DAY_US
    last = int(day.max())
    test_from = last - test_days + 1
    gap_from = test_from - delay_days
    train_from = max(0, gap_from - train_days)
    if gap_from - train_from < 1:
        raise ValueError(f"{last + 1} days are too few for {delay_days} gap + {test_days} test days")
    train = np.flatnonzero((day >= train_from) & (day < gap_from))
    test = np.flatnonzero(day >= test_from)
    return Split(train, test, (train_from, gap_from - 1), (gap_from, test_from - 1), (test_from, last))


def card_precision_at_k(
    customer: np.ndarray, day: np.ndarray, label: np.ndarray, score: np.ndarray, k: int
) -> float:
    """Mean over days of: among the day's k customers with the highest max score, the share with a fraud."""
    df = pd.DataFrame({"c": customer, "d": day, "y": label, "s": score})
    per = df.groupby(["d", "c"], sort=False).agg(s=("s", "max"), y=("y", "max")).reset_index()
    vals = []
    for _, g in per.groupby("d", sort=True):
        top = g.nlargest(k, "s", keep="first")
        vals.append(float(top["y"].sum()) / k)
    return float(np.mean(vals)) if vals else 0.0


def _prep(X: pd.DataFrame) -> np.ndarray:
    a = X.to_numpy(dtype=np.float64)
    return np.sign(a) * np.log1p(np.abs(a))


class FraudLogBaseline:
    """Logistic regression on sign(x) log1p|x|, standardised, missing values at the training mean."""

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> FraudLogBaseline:
        a = _prep(X)
        self.mean_ = np.nanmean(a, axis=0)
        self.mean_ = np.where(np.isnan(self.mean_), 0.0, self.mean_)
        a = np.where(np.isnan(a), self.mean_, a)
        self.sd_ = np.where(a.std(axis=0) > 0, a.std(axis=0), 1.0)
        self.lr_ = LogisticRegression(C=1.0, max_iter=3000).fit((a - self.mean_) / self.sd_, y)
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        a = _prep(X)
        a = np.where(np.isnan(a), self.mean_, a)
        return np.asarray(self.lr_.predict_proba((a - self.mean_) / self.sd_)[:, 1])


class GenericFraudModel:
    """Fraud probability of a transaction from its log features (see the module docstring)."""

    def __init__(
        self, features: list[str], clf: HistGradientBoostingClassifier, metadata: dict[str, Any]
    ) -> None:
        self.features = features
        self.clf = clf
        self.metadata = metadata

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.clf.predict_proba(X[self.features].to_numpy(dtype=np.float64))[:, 1])

    def predict_frame(self, df: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"fraud_probability": self.predict_proba(df)})


def fit_model(X: pd.DataFrame, y: np.ndarray, seed: int = 0) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(
        learning_rate=0.08,
        max_iter=300,
        max_leaf_nodes=31,
        min_samples_leaf=50,
        l2_regularization=1.0,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=20,
        scoring="loss",
        random_state=seed,
    ).fit(X.to_numpy(dtype=np.float64), y)


@dataclass
class FraudReport:
    split: Split
    rows: dict[str, int]
    fraud_rate: dict[str, float]
    metrics: dict[str, dict[str, float]]  # "model" / "baseline_logit" -> roc_auc, auprc, card_precision_at_k
    k: int


def train_and_evaluate(
    frame: pd.DataFrame,
    features: list[str],
    *,
    train_days: int = 10_000,
    delay_days: int = 7,
    test_days: int = 14,
    k: int = 100,
    seed: int = 0,
) -> tuple[GenericFraudModel, FraudReport]:
    """Fit model and baseline on the training days; score both on the test days."""
    t = frame["time_us"].to_numpy()
    y = frame["label"].to_numpy().astype(np.int64)
    sp = time_split(t, train_days=train_days, delay_days=delay_days, test_days=test_days)
    Xtr, Xte = frame.iloc[sp.train][features], frame.iloc[sp.test][features]
    ytr, yte = y[sp.train], y[sp.test]
    if ytr.min() == ytr.max() or yte.min() == yte.max():
        raise ValueError("training and test days both need frauds and non-frauds")
    clf = fit_model(Xtr, ytr, seed)
    model = GenericFraudModel(list(features), clf, {})
    scores = {
        "model": model.predict_proba(Xte),
        "baseline_logit": FraudLogBaseline().fit(Xtr, ytr).predict_proba(Xte),
    }
    day = (t[sp.test] - t.min()) // DAY_US
    cust = frame["customer"].to_numpy()[sp.test]
    metrics = {}
    for name, s in scores.items():
        rep = binary_report(yte, s)
        metrics[name] = {
            "roc_auc": rep["auc"],
            "auprc": rep["auprc"],
            f"card_precision_at_{k}": card_precision_at_k(cust, day, yte, s, k),
        }
    model.metadata = {
        "model": "fraud-generic",
        "model_version": MODEL_VERSION,
        "features": list(features),
        "n_iter": int(clf.n_iter_),
        "split_days": {"train": sp.train_days, "gap": sp.gap_days, "test": sp.test_days},
        "delay_days": delay_days,
        "seed": seed,
    }
    report = FraudReport(
        split=sp,
        rows={"train": len(sp.train), "test": len(sp.test)},
        fraud_rate={"train": float(ytr.mean()), "test": float(yte.mean())},
        metrics=metrics,
        k=k,
    )
    return model, report


def log_run(
    model: GenericFraudModel,
    report: FraudReport,
    test_frame: pd.DataFrame,
    *,
    name: str,
    source: str,
    params: dict[str, Any],
    register: bool = True,
    settings: Any = None,
) -> Any:
    """Log the run (metrics of model and baseline) and register ``name``; champion by test AUPRC."""
    import json

    from models import registry
    from models.card import model_card
    from models.fingerprint import data_fingerprint

    flat = {
        f"{k}" if who == "model" else f"{who}_{k}": v
        for who, m in report.metrics.items()
        for k, v in m.items()
    }
    fp = data_fingerprint(test_frame)
    card = model_card(
        f"{name} (generic fraud trainer)",
        summary=f"Fraud model trained on {source}: training days, a {params['delay_days']}-day label-delay gap, "
        f"then {params['test_days']} test days.",
        data={
            "source": source,
            "rows": report.rows,
            "fraud rate": report.fraud_rate,
            "split days": model.metadata["split_days"],
        },
        metrics=flat,
        intended_use="Exploration by fraud analysts on their own transaction logs.",
        limits=[
            "Scores a transaction from log features built by pipelines.gold.transaction_log, not raw requests."
        ],
        metadata=model.metadata,
    )
    return registry.log_training_run(
        name,
        model,
        params=params,
        metrics=flat,
        card_md=card,
        data_fingerprint=fp,
        holdout=("auprc", report.metrics["model"]["auprc"], fp),
        register=register,
        settings=settings,
        artifacts={
            "fraud_report.json": json.dumps({"metrics": report.metrics, "rows": report.rows}, indent=1)
        },
        custom_name=True,
    )
