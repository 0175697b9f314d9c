"""Evaluation metrics shared by the models: AUC, KS, Gini, Brier, AUPRC, ranking metrics.

All functions take plain arrays (labels in {0, 1}, scores = probability of the positive class)
and return Python floats so they can be logged to MLflow and serialised to JSON directly.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score, roc_curve


def ks_statistic(y_true: np.ndarray, score: np.ndarray) -> float:
    """Kolmogorov-Smirnov: max distance between the score CDFs of positives and negatives (= max TPR-FPR)."""
    fpr, tpr, _ = roc_curve(np.asarray(y_true), np.asarray(score))
    return float(np.max(tpr - fpr))


def binary_report(y_true: ArrayLike, score: ArrayLike) -> dict[str, float]:
    """AUC, Gini (= 2*AUC-1), KS, Brier and AUPRC of probabilities ``score`` for labels ``y_true``."""
    y = np.asarray(y_true).astype(int)
    p = np.asarray(score, dtype=float)
    if len(np.unique(y)) < 2:
        raise ValueError("binary_report needs both classes in y_true")
    auc = float(roc_auc_score(y, p))
    return {
        "auc": auc,
        "gini": 2.0 * auc - 1.0,
        "ks": ks_statistic(y, p),
        "brier": float(brier_score_loss(y, p)),
        "auprc": float(average_precision_score(y, p)),
    }


def precision_at_k(relevance_ranked: list[np.ndarray], k: int) -> float:
    """Mean over users of (relevant items among the top k) / k; each array is relevance in ranked order."""
    vals = [float(np.sum(r[:k] > 0)) / k for r in relevance_ranked if len(r)]
    return float(np.mean(vals)) if vals else 0.0


def ndcg_at_k(relevance_ranked: list[np.ndarray], k: int) -> float:
    """Mean NDCG@k (gain = relevance, log2 discount); users without any relevant item are skipped."""
    out = []
    for r in relevance_ranked:
        r = np.asarray(r, dtype=float)
        if r.sum() <= 0:
            continue
        disc = 1.0 / np.log2(np.arange(2, k + 2))
        top = r[:k]
        dcg = float(np.sum(top * disc[: len(top)]))
        ideal = np.sort(r)[::-1][:k]
        idcg = float(np.sum(ideal * disc[: len(ideal)]))
        out.append(dcg / idcg)
    return float(np.mean(out)) if out else 0.0
