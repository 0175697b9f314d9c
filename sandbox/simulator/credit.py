"""Loans, their instalments and the monthly bureau (Serasa-like) scores, all driven by latent risk.

* Who defaults: exactly ``round(default_rate * loans)`` contracts, drawn without replacement with
  probability rising steeply with the latent risk (so the rate matches the configuration and the
  default rate increases with risk).
* Defaulted loans stop paying at instalment 1-3 (90+ days past due within 6 months of the contract);
  the others pay, late more often and longer the riskier the customer (never 90+ days).
* Score: 0..1000, decreasing in the latent risk, with monthly noise, a dent in months with late
  payments and a drop after a default. Bands: 0-300 baixo, 301-500 regular, 501-700 bom, 701-1000 muito bom.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from sandbox.simulator.config import (
    BRT_OFFSET_US,
    CREDIT,
    SCORES,
    US_PER_DAY,
    US_PER_HOUR,
    SimConfig,
    add_months,
    day_us,
)
from sandbox.simulator.people import Customers

TS = pl.Datetime("us", "UTC")
SUBTYPES = np.array(
    [
        "CREDITO_PESSOAL_SEM_CONSIGNACAO",
        "CREDITO_PESSOAL_COM_CONSIGNACAO",
        "MICROCREDITO_PRODUTIVO_ORIENTADO",
        "HOME_EQUITY",
    ]
)
BASE_RATE = np.array([0.045, 0.018, 0.03, 0.012])  # monthly interest by subtype
TERMS = np.array([6, 12, 18, 24, 36, 48], dtype=np.int16)


def score_band(score: np.ndarray | int) -> np.ndarray:
    """Serasa band of a score: baixo (0-300), regular (301-500), bom (501-700), muito bom (701-1000)."""
    s = np.asarray(score)
    return np.select([s <= 300, s <= 500, s <= 700], ["baixo", "regular", "bom"], "muito bom")


@dataclass
class Credit:
    loans: pl.DataFrame
    instalments: pl.DataFrame
    payments: pl.DataFrame  # customer_idx, ts, amount, kind (disbursement / instalment)
    default_us: np.ndarray  # per customer: first missed due date (µs) or int64 max
    late_months: pl.DataFrame  # customer_idx, month index with a late payment


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p / (1 - p))


def make_credit(cfg: SimConfig, cu: Customers) -> Credit:
    rng = cfg.rng(CREDIT)
    n = cu.n
    take = rng.random(n) < 0.30 + 0.40 * cu.risk
    holders = np.flatnonzero(take)
    m = len(holders)
    risk = cu.risk[holders]
    income = cu.income[holders]
    sub = rng.choice(4, size=m, p=[0.6, 0.25, 0.05, 0.10])
    sub = np.where((sub == 3) & (risk > 0.35), 0, sub)
    term = TERMS[rng.integers(0, len(TERMS), m)]
    rate = np.round(BASE_RATE[sub] * (0.7 + 1.6 * risk) * rng.uniform(0.9, 1.1, m), 4)
    mult = np.where(sub == 3, rng.uniform(8, 30, m), rng.uniform(0.8, 6, m))
    principal = (np.rint(income * mult / 10_000) * 10_000).astype(np.int64)
    # contracts from 6 months before the start (loans already running when the world begins)
    # to 7 months before the end (label observable), so most fall inside the observed months
    start_day = cfg.month_starts[0]
    last_day = np.datetime64(cfg.end_date, "D") - 7 * 30
    first_day = min(start_day - 6 * 30, last_day - 60)
    span = int((last_day - first_day).astype(int))
    c_day = first_day + rng.integers(0, span, m).astype("timedelta64[D]")
    contracted = day_us(c_day) + BRT_OFFSET_US + rng.integers(9 * US_PER_HOUR, 18 * US_PER_HOUR, m)
    first_due = add_months(c_day, 1)
    # instalment by the Price table
    pmt = np.rint(principal * rate / (1 - (1 + rate) ** (-term.astype(np.float64)))).astype(np.int64)

    # who defaults: exact count, weighted by a steep function of risk
    k = int(round(cfg.default_rate * m))
    w = 1 / (1 + np.exp(-(2.2 * (_logit(np.clip(risk, 1e-4, 1 - 1e-4)) - _logit(0.26)) - 2.0)))
    defaulted = np.zeros(m, dtype=bool)
    if k > 0:
        defaulted[rng.choice(m, size=k, replace=False, p=w / w.sum())] = True
    stop_at = np.where(defaulted, rng.integers(1, 4, m), 10_000)  # first unpaid instalment number

    # instalments
    rows = np.repeat(np.arange(m), term)
    num = (np.arange(len(rows)) - np.repeat(np.cumsum(term) - term, term) + 1).astype(np.int16)
    due = add_months(first_due[rows], num - 1)
    due_us = day_us(due)
    r_risk = risk[rows]
    late = rng.random(len(rows)) < 0.04 + 0.45 * r_risk
    days_late = np.where(late, np.minimum(rng.geometric(1 / (2 + 25 * r_risk)), 75), 0)
    unpaid_default = num >= stop_at[rows]
    pay_us = (
        due_us
        + days_late * US_PER_DAY
        + BRT_OFFSET_US
        + rng.integers(8 * US_PER_HOUR, 21 * US_PER_HOUR, len(rows))
    )
    paid = (~unpaid_default) & (pay_us < cfg.end_us)
    amount = pmt[rows]
    fee = np.rint(amount * (0.02 + 0.01 * days_late / 30)).astype(np.int64)
    paid_cents = np.where(paid, amount + np.where(days_late > 0, fee, 0), 0)
    end_day_us = cfg.end_us - US_PER_DAY
    overdue_days = np.maximum((end_day_us - due_us) // US_PER_DAY, 0)
    days_late_out = np.where(paid, days_late, overdue_days).astype(np.int32)

    contract_id = np.char.add("CTR", np.char.zfill(holders.astype(str), 8))
    instalments = pl.DataFrame(
        {
            "contract_id": contract_id[rows],
            "number": num,
            "due_date": due,
            "amount_cents": amount,
            "paid_at": np.where(paid, pay_us, 0),
            "paid_cents": paid_cents,
            "days_late": days_late_out,
        }
    ).with_columns(pl.when(pl.Series(paid)).then(pl.col("paid_at")).otherwise(None).cast(TS).alias("paid_at"))
    outstanding = np.bincount(rows, weights=np.where(paid, 0, amount).astype(np.float64), minlength=m)
    loans = pl.DataFrame(
        {
            "contract_id": contract_id,
            "customer_id": cu.customer_id[holders],
            "product_subtype": SUBTYPES[sub],
            "contract_amount_cents": principal,
            "outstanding_cents": np.rint(outstanding).astype(np.int64),
            "instalments": term,
            "monthly_rate": rate,
            "contracted_at": contracted,
            "first_due_date": first_due,
            "defaulted_6m": defaulted,
        }
    ).with_columns(pl.col("contracted_at").cast(TS))

    # money movements: disbursement and paid instalments
    payments = pl.concat(
        [
            pl.DataFrame(
                {"customer_idx": holders, "ts": contracted, "amount": principal, "credit": np.ones(m, bool)}
            ),
            pl.DataFrame(
                {
                    "customer_idx": holders[rows][paid],
                    "ts": pay_us[paid],
                    "amount": paid_cents[paid],
                    "credit": np.zeros(int(paid.sum()), bool),
                }
            ),
        ]
    ).with_columns(pl.col("customer_idx").cast(pl.Int32))

    default_us = np.full(n, np.iinfo(np.int64).max)
    first_miss = np.flatnonzero(unpaid_default & (num == stop_at[rows]))
    default_us[holders[rows[first_miss]]] = np.minimum(
        default_us[holders[rows[first_miss]]], due_us[first_miss]
    )
    month_edges = day_us(cfg.month_starts) + BRT_OFFSET_US
    lm = late & paid
    late_months = pl.DataFrame(
        {
            "customer_idx": holders[rows][lm],
            "month": np.searchsorted(month_edges, pay_us[lm], side="right") - 1,
        }
    ).unique()
    return Credit(
        loans=loans,
        instalments=instalments,
        payments=payments,
        default_us=default_us,
        late_months=late_months,
    )


def make_scores(cfg: SimConfig, cu: Customers, credit: Credit) -> pl.DataFrame:
    """One score per customer per month, consulted on the last day of the month."""
    rng = cfg.rng(SCORES)
    n, months = cu.n, cfg.months
    r = np.clip(cu.risk, 1e-4, 1 - 1e-4)
    base = -1.7 * (_logit(r) - _logit(0.26)) + 0.75 + rng.normal(0, 0.35, n)
    noise = np.cumsum(rng.normal(0, 0.08, (n, months)), axis=1)
    z = base[:, None] + noise
    score = 1000 / (1 + np.exp(-z))
    month_end_us = day_us(cfg.month_starts[1:]) - 12 * US_PER_HOUR
    after_default = credit.default_us[:, None] <= month_end_us[None, :]
    score = score - 280 * after_default
    lm = credit.late_months.filter(pl.col("month").is_between(0, months - 1))
    dent = np.zeros((n, months))
    dent[lm["customer_idx"].to_numpy(), lm["month"].to_numpy()] = 60
    score = np.clip(np.rint(score - dent), 0, 1000).astype(np.int16)
    return pl.DataFrame(
        {
            "customer_id": np.repeat(cu.customer_id, months),
            "cpf": np.repeat(cu.cpf, months),
            "score": score.ravel(),
            "consulted_at": np.tile(month_end_us, n),
        }
    ).with_columns(pl.col("consulted_at").cast(TS))
