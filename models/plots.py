"""Evaluation plots as matplotlib figures (Agg backend): ROC, PR, reliability curve, score distributions,
and the recommender's ranking quality against its popularity baseline.

Each function returns a ``Figure``; :func:`models.registry.log_training_run` logs them as PNG images.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike
from sklearn.calibration import calibration_curve
from sklearn.metrics import precision_recall_curve, roc_curve


def roc_figure(y: ArrayLike, p: ArrayLike, title: str = "ROC") -> Figure:
    fpr, tpr, _ = roc_curve(y, p)
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot(fpr, tpr, lw=1.5)
    ax.plot([0, 1], [0, 1], "k--", lw=0.8)
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title=title)
    fig.tight_layout()
    return fig


def pr_figure(y: ArrayLike, p: ArrayLike, title: str = "Precision-recall") -> Figure:
    prec, rec, _ = precision_recall_curve(y, p)
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot(rec, prec, lw=1.5)
    ax.axhline(float(np.mean(y)), color="k", ls="--", lw=0.8)
    ax.set(xlabel="recall", ylabel="precision", title=title, ylim=(0, 1.02))
    fig.tight_layout()
    return fig


def reliability_figure(
    y: ArrayLike, p: ArrayLike, n_bins: int = 10, title: str = "Reliability (calibration)"
) -> Figure:
    frac_pos, mean_pred = calibration_curve(y, p, n_bins=n_bins, strategy="quantile")
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot(mean_pred, frac_pos, "o-", lw=1.5)
    hi = max(float(np.max(mean_pred)), float(np.max(frac_pos)), 1e-3)
    ax.plot([0, hi], [0, hi], "k--", lw=0.8)
    ax.set(xlabel="mean predicted probability", ylabel="observed frequency", title=title)
    fig.tight_layout()
    return fig


def score_distribution_figure(
    y: ArrayLike, s: ArrayLike, title: str = "Score distribution", bins: int = 40
) -> Figure:
    y = np.asarray(y).astype(bool)
    s = np.asarray(s, dtype=float)
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    ax.hist(s[~y], bins=bins, alpha=0.6, density=True, label="negative")
    ax.hist(s[y], bins=bins, alpha=0.6, density=True, label="positive")
    ax.set(xlabel="score", ylabel="density", title=title)
    ax.legend()
    fig.tight_layout()
    return fig


def standard_figures(y: ArrayLike, p: ArrayLike, score: ArrayLike | None = None) -> dict[str, Figure]:
    """The four standard plots keyed by artifact file name."""
    return {
        "roc.png": roc_figure(y, p),
        "pr.png": pr_figure(y, p),
        "reliability.png": reliability_figure(y, p),
        "score_distribution.png": score_distribution_figure(y, p if score is None else score),
    }


def ranking_figure(metrics: dict[str, float], k: int, title: str = "Ranking on the holdout") -> Figure:
    """precision@k and NDCG@k of the learnt ranker, the served ranking and the popularity baseline."""
    names = (f"precision_at_{k}", f"ndcg_at_{k}")
    rows = [
        ("learnt", [metrics.get(f"learnt_{n}", metrics.get(n, 0.0)) for n in names]),
        ("served", [metrics.get(n, 0.0) for n in names]),
        ("popularity", [metrics.get(f"baseline_{n}", 0.0) for n in names]),
    ]
    x = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    for i, (label, values) in enumerate(rows):
        ax.bar(x + (i - 1) * 0.27, values, width=0.27, label=label)
    ax.set_xticks(x, [f"precision@{k}", f"NDCG@{k}"])
    ax.set(ylabel="holdout value", title=title, ylim=(0, 1.02))
    ax.legend()
    fig.tight_layout()
    return fig
