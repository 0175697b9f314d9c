"""Ranking within the allowed offers: HistGradientBoosting on customer x product features.

:class:`Recommender` applies the eligibility hard filter FIRST (nothing else can enter the output),
then orders the remaining offers by the learnt acceptance probability, or, when the learnt ranker did
not beat it on the holdout (``ranking == "popularity"``, set by
:func:`models.recommend.train.choose_ranking`), by each product's acceptance rate in training. Features: customer (profile
code, score, log income, savings rate, balance volatility, debt service ratio, questionnaire answers),
product (code as a native categorical, kind, risk, liquidity, monthly rate) and interactions (risk
minus the profile's maximum, instalment / income, amount / income).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier

from models.recommend.catalog import BY_CODE, CATALOGUE
from models.recommend.eligibility import Customer, Offer, eligible_offers
from models.recommend.profile import MAX_RISK, PROFILES
from models.runtime import predict_threads

MODEL_VERSION = "recommend-1.0"
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
        "log_income",
        "dsr",
        "instalment_to_income",
        "amount_to_income",
    )
    + CUSTOMER_COLS[:2]
    + CUSTOMER_COLS[4:]
)


def pair_features(customers: pd.DataFrame, offers: pd.DataFrame) -> np.ndarray:
    """Matrix for (customer, offer) pairs; ``offers.cust_idx`` indexes ``customers`` rows."""
    c = customers.iloc[offers["cust_idx"].to_numpy()].reset_index(drop=True)
    prods = [BY_CODE[k] for k in offers["product"]]
    income = c["monthly_income_cents"].to_numpy(dtype=float)
    prof = c["profile_code"].to_numpy(dtype=float)
    max_risk = np.array([MAX_RISK[PROFILES[int(v)]] if v >= 0 else 0 for v in prof], dtype=float)
    risk = np.array([p.risk for p in prods], dtype=float)
    cols = {
        "product": offers["product"].map(PRODUCT_INDEX).to_numpy(dtype=float),
        "is_credit": np.array([p.kind == "credit" for p in prods], dtype=float),
        "risk": risk,
        "liquidity_days": np.array([p.liquidity_days for p in prods], dtype=float),
        "monthly_rate": np.array([float(p.monthly_rate) for p in prods]),
        "risk_gap": np.where(risk > 0, risk - max_risk, 0.0),
        "log_income": np.log1p(income),
        "dsr": c["existing_instalments_cents"].to_numpy(dtype=float) / np.maximum(income, 1),
        "instalment_to_income": offers["instalment_cents"].to_numpy(dtype=float) / np.maximum(income, 1),
        "amount_to_income": offers["amount_cents"].to_numpy(dtype=float) / np.maximum(income, 1),
    }
    for col in CUSTOMER_COLS[:2] + CUSTOMER_COLS[4:]:
        cols[col] = c[col].to_numpy(dtype=float)
    return np.column_stack([cols[f] for f in FEATURES])


RANKINGS = ("model", "popularity")


class Recommender:
    def __init__(
        self,
        clf: HistGradientBoostingClassifier,
        popularity: dict[str, float],
        metadata: dict[str, Any],
        ranking: str = "model",
    ):
        if ranking not in RANKINGS:
            raise ValueError(f"ranking must be one of {RANKINGS}, got {ranking!r}")
        self.clf = clf
        self.popularity = popularity
        self.metadata = metadata
        self.ranking = ranking

    def score_pairs(self, customers: pd.DataFrame, offers: pd.DataFrame) -> np.ndarray:
        """Acceptance score of each (customer, offer) pair: the learnt probability, or the product's
        training acceptance rate when the recommender ranks by popularity."""
        if getattr(self, "ranking", "model") == "popularity":
            return offers["product"].map(self.popularity).fillna(0.0).to_numpy(dtype=float)
        X = pair_features(customers, offers)
        with predict_threads(len(X)):
            return self.clf.predict_proba(X)[:, 1]

    def recommend(
        self, customer: Customer, features: dict[str, float], k: int = 3
    ) -> list[tuple[Offer, float]]:
        """Top-k allowed offers for one customer (``features`` gives the CUSTOMER_COLS values)."""
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
            }
        )
        s = self.score_pairs(pd.DataFrame([row]), offers)
        order = np.argsort(-s, kind="stable")[:k]
        return [(allowed[i], float(s[i])) for i in order]

    def predict_frame(self, df: pd.DataFrame) -> pd.DataFrame:
        """Acceptance probability for a frame of (customer columns + offer columns) pairs."""
        pairs = df.reset_index(drop=True).assign(cust_idx=np.arange(len(df)))
        return pd.DataFrame({"accept_probability": self.score_pairs(pairs, pairs)})


def fit_ranker(
    customers: pd.DataFrame, events: pd.DataFrame, seed: int = 0, max_iter: int = 200
) -> Recommender:
    X = pair_features(customers, events)
    y = events["accepted"].to_numpy().astype(int)
    clf = HistGradientBoostingClassifier(
        learning_rate=0.08,
        max_iter=max_iter,
        max_leaf_nodes=15,
        min_samples_leaf=40,
        l2_regularization=1.0,
        categorical_features=np.array([f == "product" for f in FEATURES]),
        early_stopping=True,
        validation_fraction=0.15,
        n_iter_no_change=20,
        random_state=seed,
    ).fit(X, y)
    pop = events.groupby("product")["accepted"].mean().to_dict()
    meta = {
        "model": "recommend",
        "model_version": MODEL_VERSION,
        "features": list(FEATURES),
        "train_events": int(len(y)),
        "train_accept_rate": float(y.mean()),
        "seed": seed,
        "n_iter": int(clf.n_iter_),
    }
    return Recommender(clf, {k: float(v) for k, v in pop.items()}, meta)
