"""Simulated offer/acceptance events for training and evaluating the ranker (deterministic per seed).

Customers get latent traits: risk appetite ``alpha`` in [0, 1], liquidity need ``lam`` in [0, 1] and
credit need ``cneed`` in [0, 1]. Their questionnaire answers, savings rate and balance volatility are
drawn from those traits, so the CVM 30 profile is observable but noisy. In each of ``periods`` rounds every customer is
shown up to ``offers_per_customer`` products chosen at random AMONG THEIR ELIGIBLE OFFERS ONLY (the hard
filter of :mod:`models.recommend.eligibility`); the traits persist, so earlier answers are implicit
feedback about later ones. Acceptance ~ Bernoulli(sigmoid(logit)) with::

    logit = base[product] - 10 (risk_norm - alpha)^2 - 3 lam * liquidity_norm         (investments)
          = base[product] + 5 cneed - 2.5 - 15 (1 - cneed) * monthly_rate             (credit)
          + N(0, 0.5) noise

All sampling is vectorised numpy with one ``default_rng(seed)``; only the eligibility check runs per
customer (exact Decimal arithmetic).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from models.recommend.catalog import CATALOGUE
from models.recommend.eligibility import Customer, eligible_offers
from models.recommend.profile import POINTS, PROFILES, profile_codes

BASE = {
    "POUPANCA": 0.4,
    "CDB_LIQUIDEZ": 0.6,
    "TESOURO_SELIC": 0.3,
    "LCI": 0.2,
    "LCA": 0.0,
    "CDB_PRE": -0.2,
    "TESOURO_IPCA": 0.0,
    "DEBENTURE": -0.4,
    "MULTIMERCADO": 0.1,
    "FII": 0.2,
    "FUNDO_ACOES": -0.1,
    "ACOES": 0.0,
    "EMPRESTIMO_PESSOAL": 0.0,
    "CONSIGNADO": 0.5,
    "AUMENTO_LIMITE_CARTAO": 0.3,
    "CHEQUE_ESPECIAL": -0.5,
}


def make_customers(n: int, seed: int = 0, today: dt.date = dt.date(2026, 11, 1)) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    alpha = rng.beta(2, 2, n)
    lam = rng.beta(2, 3, n)
    cneed = rng.beta(2, 3, n)
    answers = np.column_stack(
        [
            np.clip(np.rint(alpha * (len(POINTS[q]) - 1) + rng.normal(0, 0.4, n)), 0, len(POINTS[q]) - 1)
            for q in range(5)
        ]
    ).astype(int)
    savings = np.clip(rng.normal(0.15 - 0.12 * cneed, 0.07), -0.2, 0.6)
    vol = np.clip(rng.lognormal(np.log(0.2 + 0.6 * cneed + 0.8 * lam), 0.3), 0, 5)
    code = profile_codes(answers, savings, vol)
    income = np.rint(np.exp(rng.normal(8.3, 0.6, n)) * 100).astype(np.int64)
    score = np.clip(np.rint(rng.normal(640 - 150 * cneed, 130)), 0, 1000).astype(int)
    has_q = rng.random(n) < 0.9
    return pd.DataFrame(
        {
            "customer_id": [f"CUS{i:08d}" for i in range(n)],
            "alpha": alpha,
            "lam": lam,
            "cneed": cneed,
            **{f"q{q + 1}": answers[:, q] for q in range(5)},
            "profile": np.where(has_q, np.array(PROFILES)[code], None),
            "profile_code": np.where(has_q, code, -1),
            "savings_rate": savings,
            "balance_volatility": vol,
            "credit_score": score,
            "monthly_income_cents": income,
            "existing_instalments_cents": (
                income * np.clip(rng.normal(0.1 + 0.15 * cneed, 0.08), 0, 0.6)
            ).astype(np.int64),
            "balance_cents": (income * rng.gamma(1.5, 1.0 + 2 * savings.clip(0))).astype(np.int64),
            "has_card": rng.random(n) < 0.6,
            "payroll_eligible": rng.random(n) < 0.3,
            "as_of": today,
        }
    )


def customer_of(row: Any) -> Customer:  # a row of DataFrame.itertuples()
    return Customer(
        row.customer_id,
        row.profile,
        int(row.credit_score),
        int(row.monthly_income_cents),
        int(row.existing_instalments_cents),
        int(row.balance_cents),
        bool(row.has_card),
        bool(row.payroll_eligible),
    )


def all_offers(customers: pd.DataFrame) -> pd.DataFrame:
    """Every eligible (customer, offer) pair as a long frame (the hard filter applied)."""
    rows = []
    for i, row in enumerate(customers.itertuples(index=False)):
        for o in eligible_offers(customer_of(row)):
            rows.append((i, o.product, o.kind, o.amount_cents, o.instalment_cents, o.term_months))
    return pd.DataFrame(
        rows, columns=["cust_idx", "product", "kind", "amount_cents", "instalment_cents", "term_months"]
    )


def simulate_offers(
    customers: pd.DataFrame, offers_per_customer: int = 6, seed: int = 0, periods: int = 1
) -> pd.DataFrame:
    """Offer events with an ``accepted`` label (only eligible offers are ever shown), ``periods`` rounds:
    in each round (``period`` 0..periods-1) every customer is shown up to ``offers_per_customer`` of
    their eligible offers at random; the latent traits stay, so earlier answers tell about later ones."""
    rng = np.random.default_rng(seed + 1)
    eligible = all_offers(customers)
    offers = pd.concat([eligible.assign(period=t) for t in range(periods)], ignore_index=True)
    offers["rand"] = rng.random(len(offers))
    offers = offers.sort_values(["period", "cust_idx", "rand"], kind="stable")
    offers = offers[offers.groupby(["period", "cust_idx"]).cumcount() < offers_per_customer].drop(
        columns="rand"
    )
    prod = {p.code: p for p in CATALOGUE}
    c = customers.iloc[offers["cust_idx"].to_numpy()]
    risk_norm = (offers["product"].map(lambda k: prod[k].risk).to_numpy() - 1) / 4.0
    liq_norm = np.log1p(offers["product"].map(lambda k: prod[k].liquidity_days).to_numpy()) / np.log1p(1825)
    rate = offers["product"].map(lambda k: float(prod[k].monthly_rate)).to_numpy()
    is_credit = (offers["kind"] == "credit").to_numpy()
    base = offers["product"].map(BASE).to_numpy()
    inv = base - 10 * (risk_norm - c["alpha"].to_numpy()) ** 2 - 3 * c["lam"].to_numpy() * liq_norm
    cred = base + 5 * c["cneed"].to_numpy() - 2.5 - 15 * (1 - c["cneed"].to_numpy()) * rate
    logit = np.where(is_credit, cred, inv) + rng.normal(0, 0.5, len(offers)) - 1.0
    offers["accepted"] = rng.random(len(offers)) < 1 / (1 + np.exp(-logit))
    offers["customer_id"] = c["customer_id"].to_numpy()
    return offers.reset_index(drop=True)
