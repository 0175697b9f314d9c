"""Ranking within the allowed offers: HistGradientBoosting on customer x offer x history features.

:class:`Recommender` applies the eligibility hard filter FIRST (nothing else can enter the output),
then orders the remaining offers by the learnt score, or, when the learnt ranker did not beat it on
the holdout (``ranking == "popularity"``, set by :func:`models.recommend.train.choose_ranking`), by
each product's acceptance rate in training. Features: customer (profile code, score, log income,
savings rate, balance volatility, debt service ratio, questionnaire answers), offer (product code as a
native categorical, kind, risk, liquidity, monthly rate, instalment / income, amount / income, risk
minus the profile's maximum), their fit (the questionnaire's mean answer as a risk appetite in 0..1
and the offer's scaled risk minus it) and implicit feedback (:mod:`models.recommend.history`).

Two objectives (``objective``):

* ``pointwise``: a classifier of acceptance; the score is the acceptance probability;
* ``pairwise``: a classifier of preference between two offers shown to the same customer in the same
  period, trained on every (accepted, declined) pair in both orders (features of both offers and
  their difference); an offer's score is its mean probability of being preferred to each other
  offer of its list (a Borda count over the learnt pairwise preferences).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier

from models.recommend.catalog import BY_CODE, CATALOGUE
from models.recommend.eligibility import Customer, Offer, eligible_offers
from models.recommend.history import HISTORY_COLS, NO_HISTORY, history_for
from models.recommend.profile import MAX_RISK, POINTS, PROFILES
from models.threads import predict_threads

MODEL_VERSION = "recommend-2.0"
OBJECTIVES = ("pointwise", "pairwise")
PRODUCT_INDEX = {p.code: float(i) for i, p in enumerate(CATALOGUE)}
CUSTOMER_COLS = (
    "profile_code",
    "credit_score",
    "monthly_income_cents",
    "existing_instalments_cents",
    "savings_rate",
    "balance_volatility",
    "q1",
    "q2",
    "q3",
    "q4",
    "q5",
)
FEATURES = (
    (
        "product",
        "is_credit",
        "risk",
        "liquidity_days",
        "monthly_rate",
        "risk_gap",
        "appetite",
        "risk_fit",
        "log_liquidity",
        "log_income",
        "dsr",
        "instalment_to_income",
        "amount_to_income",
    )
    + CUSTOMER_COLS[:2]
    + CUSTOMER_COLS[4:]
    + HISTORY_COLS
)
PRODUCT_COL = FEATURES.index("product")


def pair_features(customers: pd.DataFrame, offers: pd.DataFrame) -> np.ndarray:
    """Matrix for (customer, offer) pairs; ``offers.cust_idx`` indexes ``customers`` rows."""
    c = customers.iloc[offers["cust_idx"].to_numpy()].reset_index(drop=True)
    prods = [BY_CODE[k] for k in offers["product"]]
    income = c["monthly_income_cents"].to_numpy(dtype=float)
    prof = c["profile_code"].to_numpy(dtype=float)
    max_risk = np.array([MAX_RISK[PROFILES[int(v)]] if v >= 0 else 0 for v in prof], dtype=float)
    risk = np.array([p.risk for p in prods], dtype=float)
    # risk appetite from the questionnaire: the mean answer, each scaled to 0..1 (NaN without answers)
    appetite = np.mean(
        [c[f"q{q + 1}"].to_numpy(dtype=float) / (len(POINTS[q]) - 1) for q in range(len(POINTS))], axis=0
    )
    cols = {
        "product": offers["product"].map(PRODUCT_INDEX).to_numpy(dtype=float),
        "is_credit": np.array([p.kind == "credit" for p in prods], dtype=float),
        "risk": risk,
        "liquidity_days": np.array([p.liquidity_days for p in prods], dtype=float),
        "monthly_rate": np.array([float(p.monthly_rate) for p in prods]),
        "risk_gap": np.where(risk > 0, risk - max_risk, 0.0),
        "appetite": appetite,
        "risk_fit": np.where(risk > 0, (risk - 1) / 4 - appetite, np.nan),
        "log_liquidity": np.log1p(np.array([p.liquidity_days for p in prods], dtype=float)),
        "log_income": np.log1p(income),
        "dsr": c["existing_instalments_cents"].to_numpy(dtype=float) / np.maximum(income, 1),
        "instalment_to_income": offers["instalment_cents"].to_numpy(dtype=float) / np.maximum(income, 1),
        "amount_to_income": offers["amount_cents"].to_numpy(dtype=float) / np.maximum(income, 1),
    }
    for col in CUSTOMER_COLS[:2] + CUSTOMER_COLS[4:]:
        cols[col] = c[col].to_numpy(dtype=float)
    for col in HISTORY_COLS:  # offers without history columns: a customer without offer history
        cols[col] = (
            offers[col].to_numpy(dtype=float)
            if col in offers.columns
            else np.full(len(offers), NO_HISTORY[col])
        )
    return np.column_stack([cols[f] for f in FEATURES])


def _groups(offers: pd.DataFrame) -> np.ndarray:
    """One list per customer and period: the offers a ranking orders together."""
    keys = [offers["cust_idx"].to_numpy()]
    if "period" in offers.columns:
        keys.append(offers["period"].to_numpy())
    return pd.MultiIndex.from_arrays(keys).factorize()[0] if len(keys) > 1 else pd.factorize(keys[0])[0]


def _pair_matrix(X: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Rows (offer a, offer b): both feature vectors and their difference (the product code excluded)."""
    num = [i for i in range(X.shape[1]) if i != PRODUCT_COL]
    return np.hstack([X[a], X[b], X[a][:, num] - X[b][:, num]])


def _pair_categorical() -> np.ndarray:
    n = len(FEATURES)
    mask = np.zeros(3 * n - 1, dtype=bool)
    mask[[PRODUCT_COL, n + PRODUCT_COL]] = True
    return mask


def _ordered_pairs(groups: np.ndarray, within: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Every ordered pair (i, j), i != j, of rows in the same group (``within``: a row filter for i)."""
    idx = pd.DataFrame({"g": groups, "i": np.arange(len(groups))})
    left = idx if within is None else idx[within]
    m = left.merge(idx.rename(columns={"i": "j"}), on="g")
    m = m[m["i"] != m["j"]]
    return m["i"].to_numpy(), m["j"].to_numpy()


RANKINGS = ("model", "popularity")


class Recommender:
    def __init__(
        self,
        clf: HistGradientBoostingClassifier,
        popularity: dict[str, float],
        metadata: dict[str, Any],
        ranking: str = "model",
        objective: str = "pointwise",
    ) -> None:
        if ranking not in RANKINGS:
            raise ValueError(f"ranking must be one of {RANKINGS}, got {ranking!r}")
        if objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
        self.clf = clf
        self.popularity = popularity
        self.metadata = metadata
        self.ranking = ranking
        self.objective = objective

    def score_pairs(self, customers: pd.DataFrame, offers: pd.DataFrame) -> np.ndarray:
        """Score of each (customer, offer) pair, comparable within a customer's list (same ``cust_idx``
        and ``period``): the learnt acceptance probability (pointwise), the mean learnt preference
        over the other offers of the list (pairwise), or the product's training acceptance rate when
        the recommender ranks by popularity."""
        if getattr(self, "ranking", "model") == "popularity":
            return offers["product"].map(self.popularity).fillna(0.0).to_numpy(dtype=float)
        X = pair_features(customers, offers)
        if getattr(self, "objective", "pointwise") == "pointwise":
            with predict_threads(len(X)):
                return self.clf.predict_proba(X)[:, 1]
        groups = _groups(offers)
        i, j = _ordered_pairs(groups)
        P = _pair_matrix(X, i, j)
        with predict_threads(len(P)):
            p = self.clf.predict_proba(P)[:, 1] if len(P) else np.zeros(0)
        total = np.bincount(i, weights=p, minlength=len(X))
        count = np.bincount(i, minlength=len(X))
        return np.where(count > 0, total / np.maximum(count, 1), 0.5)

    def recommend(
        self,
        customer: Customer,
        features: dict[str, float],
        k: int = 3,
        history: pd.DataFrame | None = None,
    ) -> list[tuple[Offer, float]]:
        """Top-k allowed offers for one customer (``features`` gives the CUSTOMER_COLS values;
        ``history``: the customer's earlier offer events, ``product``/``kind``/``period``/``accepted``,
        none: a customer without offer history)."""
        allowed = eligible_offers(customer)
        if not allowed:
            return []
        row = {c: features.get(c, np.nan) for c in CUSTOMER_COLS}
        row["profile_code"] = PROFILES.index(customer.profile) if customer.profile else -1
        # without a credit analysis the score and the debt are unknown to the ranker (missing values)
        row["credit_score"] = np.nan if customer.credit_score is None else customer.credit_score
        row["monthly_income_cents"] = customer.monthly_income_cents
        row["existing_instalments_cents"] = (
            np.nan if customer.existing_instalments_cents is None else customer.existing_instalments_cents
        )
        offers = pd.DataFrame(
            {
                "cust_idx": 0,
                "product": [o.product for o in allowed],
                "amount_cents": [o.amount_cents for o in allowed],
                "instalment_cents": [o.instalment_cents for o in allowed],
                "kind": [o.kind for o in allowed],
            }
        )
        past = (
            history
            if history is not None
            else pd.DataFrame(columns=["product", "kind", "period", "accepted"])
        )
        offers = offers.join(history_for(past, offers))
        s = self.score_pairs(pd.DataFrame([row]), offers)
        order = np.argsort(-s, kind="stable")[:k]
        return [(allowed[i], float(s[i])) for i in order]

    def predict_frame(self, df: pd.DataFrame) -> pd.DataFrame:
        """Acceptance probability for a frame of (customer columns + offer columns) pairs."""
        pairs = df.reset_index(drop=True).assign(cust_idx=np.arange(len(df)))
        return pd.DataFrame({"accept_probability": self.score_pairs(pairs, pairs)})


def _classifier(
    seed: int, max_iter: int, categorical: np.ndarray, learning_rate: float = 0.08
) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(
        learning_rate=learning_rate,
        max_iter=max_iter,
        max_leaf_nodes=7,
        min_samples_leaf=80,
        l2_regularization=1.0,
        categorical_features=categorical,
        early_stopping=True,
        validation_fraction=0.15,
        n_iter_no_change=20,
        random_state=seed,
    )


def fit_ranker(
    customers: pd.DataFrame,
    events: pd.DataFrame,
    seed: int = 0,
    max_iter: int = 200,
    objective: str = "pointwise",
) -> Recommender:
    """Fit on ``events`` (offers with ``accepted``; history columns if any, see :mod:`.history`)."""
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
    X = pair_features(customers, events)
    y = events["accepted"].to_numpy().astype(int)
    if objective == "pointwise":
        clf = _classifier(seed, max_iter, np.array([f == "product" for f in FEATURES])).fit(X, y)
        rows = len(y)
    else:
        i, j = _ordered_pairs(_groups(events), within=y == 1)
        keep = y[j] == 0
        a, b = i[keep], j[keep]  # (accepted, declined) pairs of the same list
        P = np.vstack([_pair_matrix(X, a, b), _pair_matrix(X, b, a)])
        target = np.r_[np.ones(len(a), dtype=int), np.zeros(len(a), dtype=int)]
        # pairs are many and alike (both orders): a larger step reaches the same fit in fewer rounds
        clf = _classifier(seed, max_iter, _pair_categorical(), learning_rate=0.25).fit(P, target)
        rows = len(target)
    pop = events.groupby("product")["accepted"].mean().to_dict()
    meta = {
        "model": "recommend",
        "model_version": MODEL_VERSION,
        "objective": objective,
        "features": list(FEATURES),
        "train_events": int(len(y)),
        "train_rows": int(rows),
        "train_accept_rate": float(y.mean()),
        "seed": seed,
        "n_iter": int(clf.n_iter_),
    }
    return Recommender(clf, {k: float(v) for k, v in pop.items()}, meta, objective=objective)
