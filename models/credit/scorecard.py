"""A WoE scorecard: WoE bins -> logistic regression -> points per attribute bin and Portuguese reasons.

PD: ``logit(PD) = a + sum_j beta_j * woe_j(x)`` (WoE positive = better, so beta_j < 0). Columns whose
information value is below ``min_iv`` are left out, and so are columns whose fitted coefficient comes
out with the wrong sign (a better attribute would then cost points); the regression is refit without
them, as a credit committee would demand.

Points use cofre's score scale (:mod:`models.credit.scoring`: score = OFFSET + FACTOR * ln(good odds)),
with the intercept spread evenly over the p columns kept::

    points(j, bin) = (OFFSET - FACTOR * a) / p - FACTOR * beta_j * woe_j(bin)

so the unrounded points of a row add up exactly to ``OFFSET + FACTOR * ln((1 - PD) / PD)``. The
table (:meth:`Scorecard.points_table`) shows them rounded to integers; a row's table score is the
sum of its rounded points clipped to 0..1000. Reasons (:meth:`Scorecard.reasons`): the columns where
the row's bin earns the fewest points compared with that column's best bin, largest shortfall first.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from models.credit.features import reason_sentence
from models.credit.scoring import FACTOR, OFFSET
from models.credit.woe import WoeBinner


class Scorecard:
    """WoE binning + L2 logistic regression with the points table of a credit scorecard."""

    def __init__(
        self,
        numeric: list[str],
        categorical: list[str],
        *,
        C: float = 1.0,
        monotone: bool = True,
        max_bins: int = 8,
        min_share: float = 0.05,
        min_iv: float = 0.02,
        reasons: dict[str, str] | None = None,
    ) -> None:
        self.numeric = list(numeric)
        self.categorical = list(categorical)
        self.C = C
        self.monotone = monotone
        self.max_bins = max_bins
        self.min_share = min_share
        self.min_iv = min_iv
        self.reason_table = reasons

    def fit(self, df: pd.DataFrame, y: np.ndarray, binner: WoeBinner | None = None) -> Scorecard:
        """Fit on (frame, 0/1 label); ``binner``: bins already fitted on the same rows, to reuse."""
        yv = np.asarray(y, dtype=np.int64)
        self.binner_ = (
            binner
            if binner is not None
            else WoeBinner(
                self.numeric,
                self.categorical,
                max_bins=self.max_bins,
                min_share=self.min_share,
                monotone=self.monotone,
            ).fit(df, yv)
        )
        W = self.binner_.fit_woe_
        feats = self.binner_.features
        keep = [j for j, f in enumerate(feats) if self.binner_.bins_[f].iv >= self.min_iv]
        if not keep:  # nothing informative: keep the single best column so the card is defined
            keep = [int(np.argmax([self.binner_.bins_[f].iv for f in feats]))]
        for _ in range(len(feats)):
            lr = LogisticRegression(C=self.C, solver="newton-cholesky", max_iter=100).fit(W[:, keep], yv)
            wrong = [k for k, b in zip(keep, lr.coef_[0], strict=True) if b >= 0]
            if not wrong or len(wrong) == len(keep):
                break
            keep = [k for k in keep if k not in wrong]
        self.kept_ = [feats[j] for j in keep]
        self.columns_ = keep
        self.lr_ = lr
        self.intercept_ = float(lr.intercept_[0])
        self.coef_ = {f: float(b) for f, b in zip(self.kept_, lr.coef_[0], strict=True)}
        p = len(self.kept_)
        base = (OFFSET - FACTOR * self.intercept_) / p
        self.points_ = {
            f: base - FACTOR * self.coef_[f] * np.asarray(self.binner_.bins_[f].woe) for f in self.kept_
        }
        return self

    def decision_function(self, df: pd.DataFrame) -> np.ndarray:
        """logit(PD) per row."""
        W = self.binner_.transform(df)[:, self.columns_]
        return np.asarray(self.lr_.decision_function(W), dtype=np.float64)

    def predict_pd(self, df: pd.DataFrame) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.decision_function(df)))

    def raw_points(self, df: pd.DataFrame) -> np.ndarray:
        """Unrounded points per row and kept column (rows x len(kept_))."""
        idx = self.binner_.assign(df)[:, self.columns_]
        return np.column_stack([self.points_[f][idx[:, k]] for k, f in enumerate(self.kept_)])

    def table_score(self, df: pd.DataFrame) -> np.ndarray:
        """Score of each row by the rounded points table (what a committee computes by hand)."""
        idx = self.binner_.assign(df)[:, self.columns_]
        pts = np.column_stack([np.rint(self.points_[f])[idx[:, k]] for k, f in enumerate(self.kept_)])
        return np.clip(pts.sum(axis=1), 0, 1000).astype(np.int64)

    def points_table(self) -> pd.DataFrame:
        """One row per (column, attribute bin): rows, bad rate, WoE, coefficient, integer points."""
        tab = self.binner_.table()
        tab = tab[tab["feature"].isin(self.kept_)].copy()
        tab["coefficient"] = tab["feature"].map(self.coef_)
        tab["points"] = [
            int(np.rint(self.points_[f][b])) for f, b in zip(tab["feature"], tab["bin"], strict=True)
        ]
        return tab.reset_index(drop=True)

    def reasons(self, df: pd.DataFrame, top: int = 4, min_points: int = 1) -> list[list[str]]:
        """Portuguese adverse reasons per row, from the points the row's bins lose against the best bins."""
        idx = self.binner_.assign(df)[:, self.columns_]
        out: list[list[str]] = []
        best = np.array([self.points_[f].max() for f in self.kept_])
        pts = self.raw_points(df)
        for r in range(len(df)):
            lost = best - pts[r]
            order = np.argsort(-lost, kind="stable")[:top]
            row: list[str] = []
            for k in order:
                if lost[k] < min_points:
                    break
                f = self.kept_[k]
                label = self.binner_.bins_[f].labels[idx[r, k]]
                sentence = reason_sentence(f, self.reason_table)
                row.append(
                    f"{sentence} ({f}: {label}; {int(np.rint(lost[k]))} pontos abaixo da melhor faixa)"
                )
            out.append(row)
        return out

    def summary(self) -> dict[str, Any]:
        return {
            "kept": list(self.kept_),
            "dropped_low_iv_or_sign": [f for f in self.binner_.features if f not in self.kept_],
            "C": self.C,
            "monotone_bins": self.monotone,
        }
