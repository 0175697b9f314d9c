"""The generic credit trainer for any tabular file: nested CV, honest baselines, a scorecard, one chosen model.

Candidates (each a family with a small grid, all fitted on training rows only):

* ``hgb``: HistGradientBoosting on the ordinal encoding (:class:`models.tabular.TabularEncoder`),
  monotone in every numeric column whose training-fold Spearman trend with the label is clear
  (|rho| > 2 / sqrt(n); user constraints override), two regularisation settings, and the number of
  boosting rounds read off the staged predictions (one fit per setting);
* ``scorecard``: :class:`models.credit.scorecard.Scorecard` (WoE bins -> L2 logistic regression),
  C in a small grid, monotone or free bins;
* ``logit``: one-hot logistic regression (median-imputed, standardised numbers + missing flags),
  C in a small grid;
* ``blend``: the equal-weight average of the three families' best standardised log-odds.

:func:`select` runs the inner CV (``inner`` stratified folds of the TRAINING rows only), keeps the best
setting per family by out-of-fold AUC, scores the blend on the same out-of-fold log-odds, and
picks a candidate: the blend (robust on small data: it averages out the families' errors) unless
a single family is better by more than ``TOLERANCE`` AUC, then the first such family in
``PREFERENCE`` order (scorecard, logit, hgb). Its PD is Platt-calibrated on those
out-of-fold log-odds. :func:`cross_validate` repeats that inside every outer fold and reports, on
the SAME outer folds, the chosen model next to the two baselines credit teams compare against:
one-hot logistic regression (C = 1) and the WoE scorecard (C = 1, monotone bins), with AUC, KS,
Brier and Gini per fold. :func:`fit_final` selects on all rows and refits; the result is a
:class:`GenericCreditModel` (PD, 0-1000 score, band, reasons from its scorecard's points).

Training runs on one OpenMP thread per worker thread for data of this size (< ``MULTI_THREAD_ROWS`` rows): on
small data OpenMP thread pools cost more than they save and spin on a busy machine; BLAS runs on one
thread for the whole training (:func:`blas_single_threaded`). Outer folds and the final fit run on
``jobs`` threads (the boosting's native code releases the GIL).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from models.credit.scorecard import Scorecard
from models.credit.scoring import band, pd_to_score
from models.credit.woe import WoeBinner
from models.metrics import binary_report
from models.tabular import TabularEncoder, lookup_codes, plan_columns
from models.threads import one_thread_below

MODEL_VERSION = "credit-generic-1.0"
Family = Literal["scorecard", "logit", "hgb", "blend"]
PREFERENCE: tuple[Family, ...] = ("blend", "scorecard", "logit", "hgb")
TOLERANCE = 0.005
MULTI_THREAD_ROWS = 20_000
HGB_SETTINGS: tuple[dict[str, float], ...] = (
    {"max_leaf_nodes": 4, "min_samples_leaf": 20, "l2_regularization": 1.0},
    {"max_leaf_nodes": 8, "min_samples_leaf": 40, "l2_regularization": 10.0},
)
HGB_MAX_ITER = 80
HGB_CHECKPOINTS = tuple(range(10, HGB_MAX_ITER + 1, 10))
HGB_LEARNING_RATE = 0.15
SCORECARD_GRID: tuple[dict[str, Any], ...] = tuple(
    {"C": c, "monotone": m} for c in (0.1, 1.0) for m in (True, False)
)
LOGIT_GRID: tuple[dict[str, Any], ...] = (
    {"bins": 0, "C": 0.03},
    {"bins": 0, "C": 0.3},
    {"bins": 6, "C": 0.01},
    {"bins": 6, "C": 0.03},
    {"bins": 6, "C": 0.1},
)
BASELINES: dict[str, str] = {
    "logit_onehot": "one-hot logistic regression (C=1)",
    "scorecard_woe": "WoE scorecard logistic regression (C=1, monotone bins)",
}
METRIC_KEYS = ("auc", "ks", "brier", "gini")


def blas_single_threaded(n_rows: int) -> contextlib.AbstractContextManager[object]:
    """One BLAS thread for the whole training of small data (BLAS limits are process-wide).

    The Newton solves of the logistic regressions multiply matrices just large enough for OpenBLAS to
    start its threads, which then spin waiting on each other: on a shared machine that multiplied the
    wall time. Enter it once around everything that trains (never per worker thread: the limit is
    process-wide and nested exits from several threads would restore it out of order).
    """
    return one_thread_below(n_rows, MULTI_THREAD_ROWS, user_api="blas")


def single_threaded(n_rows: int) -> contextlib.AbstractContextManager[object]:
    """One OpenMP thread for small data (see the module docstring).

    OpenMP's thread count is per calling thread, so every worker thread sets it for itself; BLAS
    limits are process-wide and are left alone (the matrices here are below BLAS's threading sizes).
    """
    return one_thread_below(n_rows, MULTI_THREAD_ROWS)


class Member(Protocol):
    def decision_function(self, df: pd.DataFrame) -> np.ndarray: ...


class LogitMember:
    """One-hot logistic regression on a mixed frame, linear or additive (binned) in the numbers.

    Numbers: median-imputed, plus a missing flag for columns with missing values; with ``bins = 0``
    each number enters linearly (the textbook one-hot baseline); with ``bins > 0`` each number enters
    as its training quantile position (0..1, robust to skew) plus one indicator per training-quantile
    bin (at most ``bins + 1`` bins; one per value for numbers with few distinct values), so steps,
    U-shapes and thresholds are learnt as an additive model. Categories: one indicator per value seen
    at least ``min_count`` times in training (the rest, unseen values and missing values share the
    all-zero row). All columns standardised on the training rows; L2 penalty ``1 / C``.
    """

    def __init__(
        self, numeric: list[str], categorical: list[str], C: float, min_count: int = 5, bins: int = 0
    ) -> None:
        self.numeric, self.categorical, self.C, self.min_count, self.bins = (
            list(numeric),
            list(categorical),
            C,
            min_count,
            bins,
        )

    def fit(self, df: pd.DataFrame, y: np.ndarray, design: LogitMember | None = None) -> LogitMember:
        """Fit on (frame, 0/1 label); ``design``: a member with the same ``bins`` already fitted on the
        same rows whose design (levels, bins, standardisation) is reused, so only the regression runs."""
        if design is not None and design.bins == self.bins:
            for attr in ("median_", "flags_", "levels_", "quantiles_", "edges_", "mean_", "sd_", "fit_z_"):
                setattr(self, attr, getattr(design, attr))
        else:
            num = self._numbers(df)
            self.median_ = np.nanmedian(num, axis=0) if num.shape[1] else np.zeros(0)
            self.median_ = np.where(np.isnan(self.median_), 0.0, self.median_)
            self.flags_ = np.isnan(num).any(axis=0)
            self.quantiles_: list[np.ndarray] = []
            self.edges_: list[np.ndarray] = []
            if self.bins:
                for j in range(num.shape[1]):
                    x = num[:, j][~np.isnan(num[:, j])]
                    self.quantiles_.append(np.quantile(x, np.linspace(0, 1, 65)) if x.size else np.zeros(2))
                    self.edges_.append(_cut_points(x, self.bins))
            self.levels_: dict[str, dict[str, int]] = {}
            for col in self.categorical:
                counts = df[col].dropna().astype(str).value_counts()
                kept = sorted(v for v, c in counts.items() if c >= self.min_count)
                self.levels_[col] = {v: i for i, v in enumerate(kept)}
            M = self._design(df, num)
            self.mean_ = M.mean(axis=0)
            self.sd_ = np.where(M.std(axis=0) > 0, M.std(axis=0), 1.0)
            self.fit_z_ = (M - self.mean_) / self.sd_
        self.lr_ = logistic(self.C).fit(self.fit_z_, y)
        return self

    def _numbers(self, df: pd.DataFrame) -> np.ndarray:
        if not self.numeric:
            return np.zeros((len(df), 0))
        return np.column_stack(
            [
                pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
                for c in self.numeric
            ]
        )

    def _design(self, df: pd.DataFrame, num: np.ndarray) -> np.ndarray:
        miss = np.isnan(num)
        filled = np.where(miss, self.median_, num)
        blocks = [miss[:, self.flags_].astype(np.float64)]
        if not self.bins:
            blocks.append(filled)
        for j in range(num.shape[1] if self.bins else 0):
            q = self.quantiles_[j]
            blocks.append(np.interp(filled[:, j], q, np.linspace(0, 1, len(q)))[:, None])
            edges = self.edges_[j]
            idx = np.searchsorted(edges, filled[:, j], side="right")
            block = np.zeros((len(df), len(edges) + 1))
            block[np.arange(len(df)), idx] = 1.0
            blocks.append(block)
        for col in self.categorical:
            levels = self.levels_[col]
            block = np.zeros((len(df), len(levels)))
            codes = lookup_codes(df[col], levels, -1.0)  # missing values: NaN, the all-zero row
            hit = codes >= 0
            block[np.nonzero(hit)[0], codes[hit].astype(np.int64)] = 1.0
            blocks.append(block)
        return np.hstack(blocks)

    def decision_function(self, df: pd.DataFrame) -> np.ndarray:
        M = self._design(df, self._numbers(df))
        return np.asarray(self.lr_.decision_function((M - self.mean_) / self.sd_), dtype=np.float64)


def logistic(C: float) -> LogisticRegression:
    """L2 logistic regression solved by Newton steps with a Cholesky solve: on the few hundred columns
    of these designs it converges in a handful of iterations, far fewer than L-BFGS (same optimum)."""
    return LogisticRegression(C=C, solver="newton-cholesky", max_iter=100)


def _cut_points(x: np.ndarray, bins: int) -> np.ndarray:
    """Cut points of ``x`` into at most ``bins`` training-quantile bins (one per value when few values)."""
    uniq = np.unique(x)
    if uniq.size <= 1:
        return np.zeros(0)
    if uniq.size <= bins:
        return (uniq[:-1] + uniq[1:]) / 2.0
    qs = np.quantile(x, np.linspace(0, 1, bins + 1)[1:-1])
    return np.unique(qs[(qs > uniq[0]) & (qs <= uniq[-1])])


class HgbMember:
    """Monotone HistGradientBoosting on the ordinal encoding of the frame."""

    def __init__(self, monotone: dict[str, int], setting: dict[str, float], max_iter: int, seed: int) -> None:
        self.monotone, self.setting, self.max_iter, self.seed = dict(monotone), dict(setting), max_iter, seed

    def fit(self, df: pd.DataFrame, y: np.ndarray) -> HgbMember:
        self.encoder_ = TabularEncoder().fit(df)
        X = self.encoder_.transform(df)
        cst = [int(self.monotone.get(f, 0)) for f in self.encoder_.features_]
        self.clf_ = HistGradientBoostingClassifier(
            learning_rate=HGB_LEARNING_RATE,
            max_iter=self.max_iter,
            max_bins=64,
            categorical_features=self.encoder_.is_categorical_,
            monotonic_cst=cst,
            early_stopping=False,
            random_state=self.seed,
            **self.setting,  # type: ignore[arg-type]
        ).fit(X, y)
        return self

    def staged(self, df: pd.DataFrame, checkpoints: tuple[int, ...]) -> dict[int, np.ndarray]:
        X = self.encoder_.transform(df)
        out: dict[int, np.ndarray] = {}
        for i, d in enumerate(self.clf_.staged_decision_function(X), start=1):
            if i in checkpoints:
                out[i] = np.asarray(d, dtype=np.float64).ravel()
        return out

    def decision_function(self, df: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.clf_.decision_function(self.encoder_.transform(df)), dtype=np.float64).ravel()


def auto_monotone(
    df: pd.DataFrame, y: np.ndarray, numeric: list[str], given: dict[str, int]
) -> dict[str, int]:
    """Directions for numeric columns whose rank correlation with the label is clear; ``given`` wins."""
    out: dict[str, int] = {}
    n = len(y)
    ry = pd.Series(y).rank().to_numpy()
    for col in numeric:
        x = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        ok = ~np.isnan(x)
        if ok.sum() < 10 or np.std(x[ok]) == 0:
            continue
        rho = float(np.corrcoef(pd.Series(x[ok]).rank().to_numpy(), ry[ok])[0, 1])
        if abs(rho) > 2.0 / np.sqrt(n):
            out[col] = 1 if rho > 0 else -1
    out.update({c: d for c, d in given.items() if c in numeric})
    return out


@dataclass(frozen=True)
class Choice:
    """A selected candidate: its family, the settings of each member, blend weights and Platt map."""

    family: Family
    members: dict[str, dict[str, Any]]
    weights: dict[str, float]
    platt: tuple[float, float]
    inner_auc: float
    inner_table: dict[str, float] = field(default_factory=dict)

    def describe(self) -> str:
        if self.family == "blend":
            return "blend(" + ", ".join(f"{k}={w:g}" for k, w in self.weights.items() if w) + ")"
        prm = self.members[self.family]
        return f"{self.family}({', '.join(f'{k}={v}' for k, v in prm.items() if not k.startswith('_'))})"


def rankdata(s: np.ndarray) -> np.ndarray:
    """Ranks 1..n of ``s``, ties sharing their average rank (as scipy.stats.rankdata)."""
    _, inv, counts = np.unique(s, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    return ((ends - counts + 1 + ends) / 2.0)[inv]


def _auc(y: np.ndarray, s: np.ndarray) -> float:
    """ROC AUC by the rank-sum formula (ties get average ranks), without sklearn's per-call checks."""
    r = rankdata(s)
    n1 = int(y.sum())
    n0 = len(y) - n1
    return float((r[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


@dataclass
class Plan:
    numeric: list[str]
    categorical: list[str]
    dropped: dict[str, str]
    monotone_given: dict[str, int]


def make_plan(X: pd.DataFrame, monotone: dict[str, int] | None = None) -> Plan:
    """Column types from the features alone (no label): numeric, categorical, dropped with reasons."""
    cp = plan_columns(X)
    given = dict(monotone or {})
    unknown = [c for c in given if c not in cp.numeric]
    if unknown:
        raise ValueError(f"monotone constraints only apply to kept numeric columns; got {unknown}")
    return Plan(list(cp.numeric), list(cp.categorical), dict(cp.dropped), given)


def _build(family: str, params: dict[str, Any], plan: Plan, mono: dict[str, int], seed: int) -> Any:
    if family == "scorecard":
        return Scorecard(plan.numeric, plan.categorical, C=params["C"], monotone=params["monotone"])
    if family == "logit":
        return LogitMember(plan.numeric, plan.categorical, C=params["C"], bins=params["bins"])
    setting = {k: params[k] for k in HGB_SETTINGS[0]}
    return HgbMember(mono, setting, int(params["max_iter"]), seed)


def select(X: pd.DataFrame, y: np.ndarray, plan: Plan, *, inner: int = 3, seed: int = 0) -> Choice:
    """Inner CV on training rows only: the best setting per family, the blends, one choice."""
    n = len(y)
    oof: dict[tuple[str, str], np.ndarray] = {}
    params: dict[tuple[str, str], dict[str, Any]] = {}
    skf = StratifiedKFold(n_splits=inner, shuffle=True, random_state=seed + 1)
    for tr, te in skf.split(X, y):
        Xtr, Xte, ytr = X.iloc[tr], X.iloc[te], y[tr]
        binners: dict[bool, WoeBinner] = {}
        for sp in SCORECARD_GRID:
            key = ("scorecard", repr(sp))
            params[key] = dict(sp)
            card = Scorecard(plan.numeric, plan.categorical, C=sp["C"], monotone=sp["monotone"])
            card.fit(Xtr, ytr, binner=binners.get(sp["monotone"]))
            binners[sp["monotone"]] = card.binner_
            oof.setdefault(key, np.zeros(n))[te] = card.decision_function(Xte)
        designs: dict[int, LogitMember] = {}
        for lp in LOGIT_GRID:
            key = ("logit", repr(lp))
            params[key] = dict(lp)
            member = LogitMember(plan.numeric, plan.categorical, lp["C"], bins=lp["bins"])
            member.fit(Xtr, ytr, design=designs.get(lp["bins"]))
            designs.setdefault(lp["bins"], member)
            oof.setdefault(key, np.zeros(n))[te] = member.decision_function(Xte)
        mono = auto_monotone(Xtr, ytr, plan.numeric, plan.monotone_given)
        for si, setting in enumerate(HGB_SETTINGS):
            m = HgbMember(mono, setting, HGB_MAX_ITER, seed).fit(Xtr, ytr)
            for it, d in m.staged(Xte, HGB_CHECKPOINTS).items():
                key = ("hgb", f"{si}:{it}")
                params[key] = {**setting, "max_iter": it}
                oof.setdefault(key, np.zeros(n))[te] = d
    aucs = {k: _auc(y, v) for k, v in oof.items()}
    best: dict[str, tuple[str, str]] = {}
    for fam in ("scorecard", "logit", "hgb"):
        keys = [k for k in oof if k[0] == fam]
        best[fam] = max(keys, key=lambda k: aucs[k])
    cands: list[tuple[Family, dict[str, float], np.ndarray, float]] = []
    for fam in ("scorecard", "logit", "hgb"):
        cands.append((fam, {fam: 1.0}, oof[best[fam]], aucs[best[fam]]))  # type: ignore[arg-type]
    # the blend: equal weights on standardised log-odds (a weight is a share of the ranking signal).
    # Equal weights, not weights searched on the inner folds: on small data a searched weight follows
    # the inner folds' noise, and it lost to the plain average on the outer folds.
    z = {fam: _standardise(oof[best[fam]]) for fam in best}
    w = {fam: round(1.0 / len(best), 4) for fam in best}
    s = sum(w[f] * z[f] for f in w)
    cands.append(("blend", w, s, _auc(y, s)))
    by_family = {c[0]: c for c in cands}
    top = max(c[3] for c in cands)
    chosen = next(by_family[fam] for fam in PREFERENCE if by_family[fam][3] >= top - TOLERANCE)
    fam, weights, score, auc = chosen
    members = {f: params[best[f]] for f in weights if weights[f]}
    scales = {f: (float(np.mean(oof[best[f]])), float(np.std(oof[best[f]]) or 1.0)) for f in best}
    for f in members:
        members[f] = {**members[f], "_scale": scales[f]}
    platt = LogisticRegression(C=1e4).fit(score.reshape(-1, 1), y)
    table = {f"{f}:{best[f][1]}": aucs[best[f]] for f in best}
    return Choice(
        family=fam,
        members=members,
        weights={f: w for f, w in weights.items() if w},
        platt=(float(platt.coef_[0, 0]), float(platt.intercept_[0])),
        inner_auc=auc,
        inner_table=table,
    )


def _standardise(v: np.ndarray) -> np.ndarray:
    sd = float(np.std(v)) or 1.0
    return (v - float(np.mean(v))) / sd


class FittedChoice:
    """The members of a :class:`Choice` refit on all training rows; PD = Platt(blended log-odds)."""

    def __init__(self, choice: Choice, X: pd.DataFrame, y: np.ndarray, plan: Plan, seed: int) -> None:
        self.choice = choice
        mono = auto_monotone(X, y, plan.numeric, plan.monotone_given)
        self.monotone = mono if "hgb" in choice.members else {}
        self.members: dict[str, Any] = {}
        for fam, prm in choice.members.items():
            p = {k: v for k, v in prm.items() if k != "_scale"}
            self.members[fam] = _build(fam, p, plan, mono, seed).fit(X, y)

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        if self.choice.family != "blend":
            return self.members[self.choice.family].decision_function(X)
        s = np.zeros(len(X))
        for fam, w in self.choice.weights.items():
            mu, sd = self.choice.members[fam]["_scale"]
            s += w * (self.members[fam].decision_function(X) - mu) / sd
        return s

    def predict_pd(self, X: pd.DataFrame) -> np.ndarray:
        a, b = self.choice.platt
        return 1.0 / (1.0 + np.exp(-(a * self.decision_function(X) + b)))


def _baselines(plan: Plan) -> dict[str, Any]:
    return {
        "logit_onehot": LogitMember(plan.numeric, plan.categorical, C=1.0),
        "scorecard_woe": Scorecard(plan.numeric, plan.categorical, C=1.0, monotone=True),
    }


def _summary(rows: list[dict[str, Any]], name: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for k in METRIC_KEYS:
        v = np.array([r[k] for r in rows if r["name"] == name])
        out[k] = float(v.mean())
        out[f"{k}_sd"] = float(v.std(ddof=1)) if len(v) > 1 else 0.0
    return out


@dataclass
class CvReport:
    """Outer-fold figures of the chosen model and the baselines on the same folds."""

    folds: int
    rows: int
    bad_rate: float
    summary: dict[str, dict[str, float]]
    per_fold: list[dict[str, Any]]
    choices: list[str]
    seconds: float
    cpu_seconds: float

    def table(self) -> str:
        lines = [f"{'model':16s} {'AUC':>14s} {'KS':>14s} {'Brier':>14s}"]
        for name, s in self.summary.items():
            lines.append(
                f"{name:16s} " + " ".join(f"{s[k]:.4f} ± {s[k + '_sd']:.4f}" for k in ("auc", "ks", "brier"))
            )
        return "\n".join(lines)


def _outer_folds(y: np.ndarray, folds: int, seed: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    yield from StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(np.zeros(len(y)), y)


def outer_fold(
    X: pd.DataFrame, y: np.ndarray, plan: Plan, tr: np.ndarray, te: np.ndarray, *, inner: int, seed: int
) -> tuple[dict[str, np.ndarray], Choice]:
    """PD of the test rows ``te`` from the model chosen and fitted on ``tr`` alone, and from each baseline."""
    Xtr, Xte, ytr = X.iloc[tr], X.iloc[te], y[tr]
    with single_threaded(len(X)):  # OpenMP's thread count is per calling thread: set it here
        choice = select(Xtr, ytr, plan, inner=inner, seed=seed)
        preds = {"model": FittedChoice(choice, Xtr, ytr, plan, seed).predict_pd(Xte)}
        for name, base in _baselines(plan).items():
            preds[name] = 1.0 / (1.0 + np.exp(-base.fit(Xtr, ytr).decision_function(Xte)))
    return preds, choice


def cross_validate(
    X: pd.DataFrame,
    y: np.ndarray,
    plan: Plan,
    *,
    folds: int = 5,
    inner: int = 3,
    seed: int = 0,
    jobs: int = 2,
    pool: ThreadPoolExecutor | None = None,
) -> CvReport:
    """Nested CV: the chosen model and both baselines scored on the same outer folds.

    ``jobs`` threads work on outer folds at once (the boosting's native code runs without the GIL);
    results do not depend on it. ``pool``: an executor to share (e.g. with the final fit) instead.
    """
    t0, c0 = time.perf_counter(), time.process_time()
    X = X.reset_index(drop=True)
    rows: list[dict[str, Any]] = []
    choices: list[str] = []

    def one_fold(k: int, tr: np.ndarray, te: np.ndarray) -> tuple[list[dict[str, Any]], str]:
        preds, choice = outer_fold(X, y, plan, tr, te, inner=inner, seed=seed)
        out = []
        for name, p in preds.items():
            rep = binary_report(y[te], p)
            out.append({"fold": k, "name": name, "n_test": len(te), **{m: rep[m] for m in METRIC_KEYS}})
        return out, choice.describe()

    own = pool is None
    ex = ThreadPoolExecutor(max_workers=max(1, jobs)) if pool is None else pool
    blas = blas_single_threaded(len(y)) if own else contextlib.nullcontext()
    try:
        with blas:
            futures = [
                ex.submit(one_fold, k, tr, te) for k, (tr, te) in enumerate(_outer_folds(y, folds, seed))
            ]
            for fut in futures:
                fold_rows, described = fut.result()
                rows.extend(fold_rows)
                choices.append(described)
    finally:
        if own:
            ex.shutdown()
    summary = {name: _summary(rows, name) for name in ("model", *BASELINES)}
    return CvReport(
        folds=folds,
        rows=len(y),
        bad_rate=float(y.mean()),
        summary=summary,
        per_fold=rows,
        choices=choices,
        seconds=time.perf_counter() - t0,
        cpu_seconds=time.process_time() - c0,
    )


class GenericCreditModel:
    """A credit model trained by :func:`fit_final`: PD, 0-1000 score, band and scorecard reasons."""

    def __init__(
        self, fitted: FittedChoice, scorecard: Scorecard, plan: Plan, metadata: dict[str, Any]
    ) -> None:
        self.fitted = fitted
        self.scorecard = scorecard
        self.plan = plan
        self.metadata = metadata
        for card in (scorecard, *fitted.members.values()):
            if isinstance(card, Scorecard):  # the training rows' WoE matrix is not part of the model
                card.binner_.fit_woe_ = np.zeros((0, len(card.binner_.features)))
            if isinstance(card, LogitMember):  # nor the training rows' design matrix
                card.fit_z_ = np.zeros((0, card.fit_z_.shape[1]))

    @property
    def features(self) -> list[str]:
        return self.plan.numeric + self.plan.categorical

    def predict_pd(self, df: pd.DataFrame) -> np.ndarray:
        return self.fitted.predict_pd(df)

    def score(self, df: pd.DataFrame) -> np.ndarray:
        return pd_to_score(self.predict_pd(df))

    def points_table(self) -> pd.DataFrame:
        return self.scorecard.points_table()

    def predict_frame(self, df: pd.DataFrame) -> pd.DataFrame:
        """PD, score, band and the scorecard's adverse reasons (joined by '; ') per row."""
        p = self.predict_pd(df)
        s = pd_to_score(p)
        reasons = ["; ".join(r) for r in self.scorecard.reasons(df)]
        return pd.DataFrame({"pd": p, "score": s, "band": [band(v) for v in s], "reasons": reasons})


def fit_final(
    X: pd.DataFrame,
    y: np.ndarray,
    plan: Plan,
    *,
    inner: int = 3,
    seed: int = 0,
    reasons: dict[str, str] | None = None,
) -> GenericCreditModel:
    """Select on all rows (inner CV), refit the choice and its scorecard on all rows."""
    X = X.reset_index(drop=True)
    with single_threaded(len(X)):
        choice = select(X, y, plan, inner=inner, seed=seed)
        fitted = FittedChoice(choice, X, y, plan, seed)
        if "scorecard" in fitted.members:
            card: Scorecard = fitted.members["scorecard"]
        else:
            best = max(
                (k for k in choice.inner_table if k.startswith("scorecard:")),
                key=choice.inner_table.__getitem__,
            )
            sp = eval_grid_key(best)
            card = Scorecard(plan.numeric, plan.categorical, C=sp["C"], monotone=sp["monotone"]).fit(X, y)
    card.reason_table = reasons
    meta: dict[str, Any] = {
        "model": "credit-generic",
        "model_version": MODEL_VERSION,
        "choice": choice.describe(),
        "choice_inner_auc": choice.inner_auc,
        "inner_family_auc": choice.inner_table,
        "features": plan.numeric + plan.categorical,
        "categorical": plan.categorical,
        "dropped_columns": plan.dropped,
        "monotone": fitted.monotone,
        "scorecard": card.summary(),
        "train_rows": int(len(y)),
        "train_positive_rate": float(y.mean()),
        "seed": seed,
    }
    return GenericCreditModel(fitted, card, plan, meta)


def eval_grid_key(key: str) -> dict[str, Any]:
    """The scorecard grid entry named by an ``inner_table`` key ``scorecard:{...}``."""
    text = key.split(":", 1)[1]
    for sp in SCORECARD_GRID:
        if repr(sp) == text:
            return dict(sp)
    raise KeyError(key)
