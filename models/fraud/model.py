"""The fraud model: feature assembly, HistGradientBoosting, cost-based thresholds, decision, reasons.

The input frame carries the fraud_v1 columns (:mod:`models.fraud.features`; on-demand features are
computed by Feast, offline for training and online for scoring). ``FraudModel.predict_frame`` returns
the fraud probability, the decision (approve / review / block by the expected-cost policy of
:mod:`models.fraud.policy`, which weighs the probability against the amount; stored in ``metadata``)
and the top reasons in Portuguese.

The probability never falls when the amount grows: the booster is constrained non-decreasing
(``monotonic_cst``) in the amount and in the amount's ratios to the customer's 30-day mean and
maximum (:data:`MONOTONE_INCREASING`), which all grow with the amount for a fixed context. Without it
the trees learnt from a world where small card tests and large takeovers are both fraud gave R$ 1 a
higher probability than R$ 100 bn. Amounts beyond the training range fall in the last bin of each
feature, so with the constraint they score at least as high as the largest amount seen (a log or a
clip of the amount would change nothing for a tree ensemble: its splits are order-based). Reasons are exact
single-feature counterfactuals (the probability drop when one feature takes its typical
legitimate value: the median of legitimate transactions for numbers, the most frequent bucket for
hashed categoricals), one ``predict_proba`` on 1 + n_features rows.

One transaction (the gateway's request path): ``FraudModel.score_row(row)`` gives what
``predict_frame`` gives for a one-row frame, without pandas/polars: :func:`assemble_row` builds the
feature vector in plain Python (same values as :func:`assemble`, tested) and small batches are
predicted by :class:`models.hgb_compiled.CompiledHGB` (equal to scikit-learn's ``predict_proba``,
tested); rows the plain path does not cover (unusual value types) take the frame path.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier

from models.fingerprint import data_fingerprint, to_pandas
from models.fraud.features import AGGREGATES, HASHED, ON_DEMAND, REASONS
from models.fraud.hashing import bucket_code, bucket_codes
from models.fraud.policy import DecisionPolicy
from models.fraud.threshold import CostParams, choose_thresholds
from models.hgb_compiled import compile_hgb
from models.runtime import predict_threads

MODEL_VERSION = "fraud-2.0"  # 2.0: fraud_v1 (Feast) features
N_BUCKETS = 128
COMPILED_MAX_ROWS = 256  # below this, the compiled evaluator is faster than scikit-learn's
_NUMERIC_TYPES = (bool, int, float, np.bool_, np.integer, np.floating)
_NUMERIC: tuple[str, ...] = AGGREGATES + ON_DEMAND  # the numeric columns of assemble, in order
MONOTONE_INCREASING = ("amount_cents", "amount_to_mean_30d", "amount_to_max_30d")


def assemble(df, n_buckets: int = N_BUCKETS) -> tuple[np.ndarray, list[str]]:
    """Feature matrix (numeric aggregates + on-demand + hashed buckets) and its column names."""
    pdf = to_pandas(df)
    numeric = list(AGGREGATES) + list(ON_DEMAND)
    missing = [c for c in numeric + list(HASHED) if c not in pdf.columns]
    if missing:
        raise ValueError(f"fraud features missing from the frame: {missing}")
    num = np.column_stack([_numeric(pdf[c]) for c in numeric])
    hashed = bucket_codes(pdf[list(HASHED)], list(HASHED), n_buckets)
    return np.hstack([num, hashed]), numeric + list(HASHED)


def assemble_row(row, n_buckets: int = N_BUCKETS) -> np.ndarray | None:
    """:func:`assemble` of ``pd.DataFrame([row])`` as a (1, n_features) matrix, in plain Python.

    None when a value is of a type this path does not reproduce (then use :func:`assemble`): numbers
    (bool, int within int64, float, numpy scalars) and None for numeric columns, str or None for
    hashed ones.
    """
    out = np.empty((1, len(_NUMERIC) + len(HASHED)))
    vec = out[0]
    for j, c in enumerate(_NUMERIC):
        if c not in row:
            return None
        v = row[c]
        if v is None:
            vec[j] = np.nan
        elif isinstance(v, _NUMERIC_TYPES) and not (isinstance(v, int) and not -(2**63) <= v < 2**63):
            vec[j] = float(v)
        else:
            return None
    for k, c in enumerate(HASHED):
        if c not in row:
            return None
        v = row[c]
        if v is not None and not isinstance(v, str):
            return None
        vec[len(_NUMERIC) + k] = bucket_code(c, v, n_buckets)
    return out


def _numeric(s: pd.Series) -> np.ndarray:
    """Float column (booleans 0/1, None/NA -> NaN), also for object columns coming from Feast."""
    if s.dtype == object:
        s = s.map(lambda v: float(v) if isinstance(v, bool | np.bool_) else v)
    return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


class FraudModel:
    def __init__(self, clf: HistGradientBoostingClassifier, reference: np.ndarray, metadata: dict[str, Any]):
        self.clf = clf
        self.reference = reference
        self.metadata = metadata

    def predict_proba(self, df) -> np.ndarray:
        X, _ = assemble(df, self.metadata["n_buckets"])
        return self._proba(X)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_compiled", None)  # rebuilt on first use
        state.pop("_policy", None)
        return state

    @cached_property
    def _policy(self) -> DecisionPolicy:
        return DecisionPolicy.from_metadata(self.metadata)

    @cached_property
    def _compiled(self):
        """The flattened evaluator of ``clf`` (None when it cannot reproduce it), built on first use."""
        return compile_hgb(self.clf)

    def _proba(self, X: np.ndarray) -> np.ndarray:
        if len(X) < COMPILED_MAX_ROWS:
            c = self._compiled
            if c is not None:
                return c.predict_proba1(X)
        with predict_threads(len(X)):
            return self.clf.predict_proba(X)[:, 1]

    def score_row(self, row) -> dict[str, Any]:
        """``predict_frame(pd.DataFrame([row])).iloc[0]`` as a dict (fraud_probability, decision, reasons)."""
        x = assemble_row(row, self.metadata["n_buckets"])
        if x is None:
            out = self.predict_frame(pd.DataFrame([dict(row)])).iloc[0]
            return {
                "fraud_probability": float(out["fraud_probability"]),
                "decision": str(out["decision"]),
                "reasons": str(out["reasons"]),
            }
        p = self._proba(x)
        dec = str(self.decide(p, x[0, _NUMERIC.index("amount_cents")])[0])
        reasons = "; ".join(r[1] for r in self.reasons_encoded(x[0])) if dec != "approve" else ""
        return {"fraud_probability": float(p[0]), "decision": dec, "reasons": reasons}

    def decide(self, score, amount_cents) -> np.ndarray:
        """approve / review / block from the probability and the amount (the stored policy)."""
        return self._policy.decide(score, amount_cents)

    def reasons_encoded(self, x: np.ndarray, top: int = 3) -> list[tuple[str, str, float]]:
        d = x.shape[0]
        batch = np.repeat(x[None, :], d + 1, axis=0)
        batch[np.arange(d) + 1, np.arange(d)] = self.reference
        p = self._proba(batch)
        drop = p[0] - p[1:]
        feats = self.metadata["features"]
        out = []
        for j in np.argsort(-drop, kind="stable")[:top]:
            if drop[j] <= 1e-6:
                break
            out.append((feats[j], REASONS.get(feats[j], feats[j]), float(drop[j])))
        return out

    def predict_frame(self, df) -> pd.DataFrame:
        X, _ = assemble(df, self.metadata["n_buckets"])
        p = self._proba(X)
        dec = self.decide(p, X[:, _NUMERIC.index("amount_cents")])
        reasons = [
            "; ".join(r[1] for r in self.reasons_encoded(X[i])) if dec[i] != "approve" else ""
            for i in range(len(X))
        ]
        return pd.DataFrame({"fraud_probability": p, "decision": dec, "reasons": reasons})


def fit_fraud_model(
    train,
    validation,
    *,
    label: str = "is_fraud",
    costs: CostParams = CostParams(),
    seed: int = 0,
    n_buckets: int = N_BUCKETS,
    max_iter: int = 300,
    block_min_probability: float = 0.5,
) -> FraudModel:
    """Fit on ``train`` (monotone in the amount features); decisions by the expected-cost policy.

    The later ``validation`` period reports the policy's cost next to the best global thresholds'
    (``t_review``/``t_block``, kept for comparison: they ignore the amount of each transfer).
    """
    tr, va = to_pandas(train), to_pandas(validation)
    X, names = assemble(tr, n_buckets)
    y = tr[label].astype(bool).to_numpy()
    is_cat = np.array([n in HASHED for n in names])
    # a column without any value in the training period (HGB cannot bin it): constant 0 for fitting;
    # at prediction time its NaNs take the missing-value branch
    X[:, np.isnan(X).all(axis=0)] = 0.0
    clf = HistGradientBoostingClassifier(
        learning_rate=0.08,
        max_iter=max_iter,
        max_leaf_nodes=31,
        min_samples_leaf=20,
        l2_regularization=1.0,
        categorical_features=is_cat,
        monotonic_cst=[1 if n in MONOTONE_INCREASING else 0 for n in names],
        early_stopping=True,
        validation_fraction=0.15,
        n_iter_no_change=30,
        scoring="average_precision",
        random_state=seed,
    ).fit(X, y)
    Xv, _ = assemble(va, n_buckets)
    pv = clf.predict_proba(Xv)[:, 1]
    yv, av = va[label].astype(bool).to_numpy(), va["amount_cents"].to_numpy(dtype=float)
    t_review, t_block, cost = choose_thresholds(pv, yv, av, costs)
    policy = DecisionPolicy(costs, block_min_probability)
    policy_cost = _cost(policy.decide(pv, av), yv, av, costs)
    ref = np.empty(X.shape[1])
    legit = X[~y]
    for j in range(X.shape[1]):
        col = legit[:, j][~np.isnan(legit[:, j])]
        if col.size == 0:
            ref[j] = np.nan
        elif is_cat[j]:
            v, c = np.unique(col, return_counts=True)
            ref[j] = v[np.argmax(c)]
        else:
            ref[j] = np.median(col)
    meta = {
        "model": "fraud",
        "model_version": MODEL_VERSION,
        "features": names,
        "hashed": list(HASHED),
        "n_buckets": n_buckets,
        "t_review": t_review,
        "t_block": t_block,
        "threshold": t_block,
        "validation_cost_cents": cost,
        "validation_cost_policy_cents": policy_cost,
        "decision_policy": policy.as_dict(),
        "costs": costs.as_dict(),
        "train_rows": int(len(y)),
        "train_fraud_rate": float(y.mean()),
        "train_fingerprint": data_fingerprint(tr),
        "seed": seed,
        "n_iter": int(clf.n_iter_),
    }
    return FraudModel(clf, ref, meta)


def _cost(dec: np.ndarray, fraud: np.ndarray, amount: np.ndarray, c: CostParams) -> float:
    """Total cost in cents of the decisions ``dec`` (the cost model of :mod:`models.fraud.threshold`)."""
    review, block = dec == "review", dec == "block"
    return float(
        amount[fraud & (dec == "approve")].sum()
        + review.sum() * c.review_cost_cents
        + (review & ~fraud).sum() * c.review_friction_cents
        + amount[fraud & review].sum() * (100 - c.review_catch_pct) / 100
        + (block & ~fraud).sum() * c.block_friction_cents
    )
