"""The credit pipeline: encoder -> monotone HistGradientBoosting -> calibration -> score, band, reasons.

:func:`fit_credit_model` trains on ANY mixed frame (numeric + categorical, missing values) with a
binary label; monotone constraints are given as ``{feature: +1 | -1}`` (+1: a higher value may only
raise PD). Calibration is ``CalibratedClassifierCV(ensemble=False)``: the calibrator is fitted on
out-of-fold booster scores of stratified training folds, and one booster is refit on all data (one
booster keeps single-request latency low). Sigmoid (Platt) is the default: it is strictly increasing
in the booster's log-odds (checked at fit time; isotonic is also accepted and is non-decreasing),
and the booster is monotone in every constrained feature, so PD stays monotone in each of them.
Isotonic's plateaus make many single-feature counterfactuals tie, which blurs the reasons below.

Adverse reasons (:meth:`CreditModel.explain`): for each feature, the PD change when that one feature
is replaced by a reference "good" value learnt at training (constrained +1: the 10th percentile;
-1: the 90th percentile; unconstrained numeric: the median of non-defaulters; categorical: the most
frequent category among non-defaulters). It is exact for the deployed model (no approximation, it
queries the model itself) and costs one ``predict_proba`` on (1 + n_features) rows. Only features
whose replacement would RAISE the score are given, largest first, as Portuguese sentences.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold

from models.credit.features import reason_sentence
from models.credit.scoring import band, pd_to_score
from models.fingerprint import Frame, data_fingerprint, to_pandas
from models.runtime import predict_threads
from models.tabular import TabularEncoder

MODEL_VERSION = "credit-1.0"


@dataclass(frozen=True)
class Reason:
    feature: str
    sentence: str
    score_points: int  # points the score would gain if this feature had its reference value
    pd_delta: float


def binary_label(y: ArrayLike, positive: object) -> np.ndarray:
    """1 where the label equals ``positive`` (compared as strings too, for CSV input), else 0."""
    s = pd.Series(np.asarray(y, dtype=object))
    if s.isna().any():
        raise ValueError(f"target has {int(s.isna().sum())} missing values")
    out = (s == positive) | (s.astype(str) == str(positive))
    lab = out.to_numpy().astype(np.int64)
    if lab.min() == lab.max():
        raise ValueError(f"target has a single class after mapping positive={positive!r}")
    return lab


class CreditModel:
    """A fitted credit model: PD, 0-1000 score, band, adverse reasons; carries its metadata."""

    def __init__(
        self,
        encoder: TabularEncoder,
        clf: CalibratedClassifierCV,
        reference: np.ndarray,
        monotone: dict[str, int],
        reasons: dict[str, str] | None,
        metadata: dict[str, Any],
    ) -> None:
        self.encoder = encoder
        self.clf = clf
        self.reference = reference
        self.monotone = monotone
        self.reasons = reasons
        self.metadata = metadata

    @property
    def features(self) -> list[str]:
        return list(self.encoder.features_)

    def predict_pd_encoded(self, X: np.ndarray) -> np.ndarray:
        with predict_threads(len(X)):
            return self.clf.predict_proba(X)[:, 1]

    def predict_pd(self, df: Frame) -> np.ndarray:
        return self.predict_pd_encoded(self.encoder.transform(df))

    def score(self, df: Frame) -> np.ndarray:
        return pd_to_score(self.predict_pd(df))

    def explain(self, row: Frame | dict[str, Any], top: int = 4, min_points: int = 1) -> list[Reason]:
        """Adverse reasons for ONE applicant (a one-row frame or a dict)."""
        if isinstance(row, dict):
            row = pd.DataFrame([row])
        x = self.encoder.transform(row)
        if x.shape[0] != 1:
            raise ValueError("explain() takes exactly one row")
        return self._explain_encoded(x[0], top, min_points)

    def _explain_encoded(self, x: np.ndarray, top: int, min_points: int) -> list[Reason]:
        d = x.shape[0]
        batch = np.repeat(x[None, :], d + 1, axis=0)
        idx = np.arange(d)
        batch[idx + 1, idx] = self.reference
        p = self.predict_pd_encoded(batch)
        s = pd_to_score(p)
        gains = s[1:] - s[0]
        order = np.argsort(-gains, kind="stable")
        out = []
        for j in order[:top]:
            if gains[j] < min_points:
                break
            feat = self.features[j]
            out.append(
                Reason(feat, reason_sentence(feat, self.reasons), int(gains[j]), float(p[0] - p[j + 1]))
            )
        return out

    def predict_frame(self, df: Frame) -> pd.DataFrame:
        """PD, score, band and the top adverse reasons (joined by '; ') for each row."""
        X = self.encoder.transform(df)
        p = self.predict_pd_encoded(X)
        s = pd_to_score(p)
        reasons = ["; ".join(r.sentence for r in self._explain_encoded(X[i], 4, 1)) for i in range(len(X))]
        return pd.DataFrame({"pd": p, "score": s, "band": [band(v) for v in s], "reasons": reasons})


def fit_credit_model(
    df: Frame,
    target: str,
    positive: Any = True,
    *,
    monotone: dict[str, int] | None = None,
    reasons: dict[str, str] | None = None,
    seed: int = 0,
    calibration: str = "sigmoid",
    calibration_cv: int = 3,
    max_iter: int = 300,
) -> CreditModel:
    """Train the calibrated monotone credit model on a frame holding features and ``target``."""
    pdf = to_pandas(df)
    if target not in pdf.columns:
        raise ValueError(f"target column {target!r} not in the frame")
    y = binary_label(pdf[target], positive)
    X_df = pdf.drop(columns=[target])
    enc = TabularEncoder().fit(X_df)
    X = enc.transform(X_df)
    mono_all = dict(monotone or {})
    unknown = [c for c in mono_all if c not in X_df.columns]
    if unknown:
        raise ValueError(f"monotone constraints on unknown columns {unknown}")
    bad = [c for c in mono_all if c not in enc.plan_.numeric]
    if bad:
        raise ValueError(f"monotone constraints only apply to numeric kept columns; got {bad}")
    cst = np.array([int(mono_all.get(f, 0)) for f in enc.features_])
    hgb = HistGradientBoostingClassifier(
        learning_rate=0.06,
        max_iter=max_iter,
        max_leaf_nodes=15,
        min_samples_leaf=30,
        l2_regularization=1.0,
        categorical_features=enc.is_categorical_,
        monotonic_cst=cst,
        early_stopping=True,
        validation_fraction=0.15,
        n_iter_no_change=25,
        random_state=seed,
    )
    n_min = int(min(np.bincount(y)))
    cv = StratifiedKFold(n_splits=max(2, min(calibration_cv, n_min)), shuffle=True, random_state=seed)
    clf = CalibratedClassifierCV(hgb, method=calibration, cv=cv, ensemble=False).fit(X, y)
    _check_calibrator_increasing(clf)
    ref = _reference_values(X, y, enc, cst)
    meta = {
        "model": "credit",
        "model_version": MODEL_VERSION,
        "features": list(enc.features_),
        "categorical": list(enc.plan_.categorical),
        "dropped_columns": dict(enc.plan_.dropped),
        "monotone": {f: int(c) for f, c in zip(enc.features_, cst, strict=True) if c},
        "target": target,
        "positive": str(positive),
        "calibration": f"{calibration}, {cv.n_splits} stratified folds",
        "score_mapping": "score = round(340.7 + 86.56 * ln((1-PD)/PD)), clipped 0..1000 (PDO 60, 600 @ 20:1)",
        "train_rows": int(len(y)),
        "train_positive_rate": float(y.mean()),
        "train_fingerprint": data_fingerprint(pdf),
        "seed": seed,
    }
    return CreditModel(
        enc, clf, ref, {f: int(c) for f, c in zip(enc.features_, cst, strict=True)}, reasons, meta
    )


def _reference_values(X: np.ndarray, y: np.ndarray, enc: TabularEncoder, cst: np.ndarray) -> np.ndarray:
    good = X[y == 0]
    ref = np.empty(X.shape[1])
    for j in range(X.shape[1]):
        col = good[:, j]
        col = col[~np.isnan(col)]
        if col.size == 0:
            ref[j] = np.nan
        elif enc.is_categorical_[j]:
            vals, counts = np.unique(col, return_counts=True)
            ref[j] = vals[np.argmax(counts)]
        elif cst[j] > 0:
            ref[j] = np.quantile(col, 0.10)
        elif cst[j] < 0:
            ref[j] = np.quantile(col, 0.90)
        else:
            ref[j] = np.median(col)
    return ref


def _check_calibrator_increasing(clf: CalibratedClassifierCV) -> None:
    """Refuse a calibration that would break monotonicity (a decreasing map of the booster score)."""
    grid = np.linspace(-20, 20, 401)
    for cc in clf.calibrated_classifiers_:
        out = cc.calibrators[0].predict(grid)
        if np.any(np.diff(out) < -1e-12):
            raise RuntimeError("calibration map is not non-decreasing: the model would break monotonicity")
