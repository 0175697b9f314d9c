"""Customers of the bank: identity, region, income, salary day and the latent default risk.

The latent risk (Beta distributed, mean about 0.26) is the hidden cause of everything credit-related
in the world: lower and more volatile income, overdraft use, late payments, defaults, bureau score.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from lake.domain.identifiers import DDD_BY_STATE, generate_phones
from sandbox.simulator import vocab
from sandbox.simulator.config import PEOPLE, US_PER_DAY, SimConfig

MEDIAN_INCOME_CENTS = 350_000
SALARY_DAYS = np.array([1, 5, 5, 5, 5, 7, 10, 10, 15, 20, 20, 25, 28], dtype=np.int8)


@dataclass
class Customers:
    """Per-customer arrays (index = customer number) plus the ``customers`` table."""

    n: int
    frame: pl.DataFrame
    customer_id: np.ndarray
    cpf: np.ndarray
    name: np.ndarray
    risk: np.ndarray
    income: np.ndarray  # monthly, cents
    salary_day: np.ndarray
    salaried: np.ndarray  # bool: payroll (FOLHA_PAGAMENTO) vs informal income by PIX
    activity: np.ndarray  # multiplier of discretionary spending
    age: np.ndarray


def full_names(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Names "First Surname Surname" and the indices used (for e-mails)."""
    f = rng.integers(0, len(vocab.FIRST_NAMES), n)
    s1 = rng.integers(0, len(vocab.SURNAMES), n)
    s2 = rng.integers(0, len(vocab.SURNAMES), n)
    name = np.char.add(
        np.char.add(np.char.add(vocab.FIRST_NAMES[f], " "), np.char.add(vocab.SURNAMES[s1], " ")),
        vocab.SURNAMES[s2],
    )
    return name, f, s2


def emails(rng: np.random.Generator, f: np.ndarray, s: np.ndarray, serial: np.ndarray) -> np.ndarray:
    """Distinct lower-case e-mails ``first.surnameSERIAL@domain`` (serial makes them unique)."""
    dom = vocab.EMAIL_DOMAINS[rng.choice(len(vocab.EMAIL_DOMAINS), size=len(f), p=vocab.EMAIL_DOMAIN_P)]
    local = np.char.add(np.char.add(vocab.FIRST_ASCII[f], "."), vocab.SURNAME_ASCII[s])
    return np.char.add(np.char.add(np.char.add(local, serial.astype(str)), "@"), dom)


def phones_for_states(rng: np.random.Generator, states: np.ndarray, unique_ids: np.ndarray) -> np.ndarray:
    ddd = np.empty(len(states), dtype=np.int64)
    for uf, codes in DDD_BY_STATE.items():
        m = states == uf
        ddd[m] = rng.choice(np.array(codes), size=int(m.sum()))
    return generate_phones(rng, len(states), ddds=ddd, unique_ids=unique_ids)


def make_customers(cfg: SimConfig, cpfs: np.ndarray) -> Customers:
    rng = cfg.rng(PEOPLE)
    n = cfg.customers
    idx = np.arange(n)
    risk = rng.beta(1.6, 4.5, n)
    log_inc = np.log(MEDIAN_INCOME_CENTS) - 1.4 * (risk - 0.26) + rng.normal(0, 0.6, n)
    income = np.clip(np.rint(np.exp(log_inc) / 100) * 100, 120_000, 6_000_000).astype(np.int64)
    salary_day = SALARY_DAYS[rng.integers(0, len(SALARY_DAYS), n)]
    salaried = rng.random(n) < (0.85 - 0.5 * risk)
    activity = rng.gamma(4.0, 0.25, n) * (income / MEDIAN_INCOME_CENTS) ** 0.15
    age = np.clip(18 + rng.gamma(2.2, 9.0, n), 18, 85)
    states = vocab.STATES[rng.choice(len(vocab.STATES), size=n, p=vocab.STATE_P)]
    name, f, s = full_names(rng, n)
    email = emails(rng, f, s, idx)
    phone = phones_for_states(rng, states, idx)
    end_day = np.datetime64(cfg.end_date, "D")
    birth = end_day - np.rint(age * 365.25).astype(np.int64).astype("timedelta64[D]")
    start_us = cfg.start_us
    created = start_us - rng.integers(30, 5 * 365, n) * US_PER_DAY + rng.integers(0, US_PER_DAY, n)
    customer_id = np.char.add("CUS", np.char.zfill(idx.astype(str), 8))
    frame = pl.DataFrame(
        {
            "customer_id": customer_id,
            "cpf": cpfs,
            "name": name,
            "email": email,
            "phone": phone,
            "birth_date": birth,
            "state": states,
            "monthly_income_cents": income,
            "salary_day": salary_day,
            "latent_risk": risk,
            "created_at": created,
        }
    ).with_columns(pl.col("created_at").cast(pl.Datetime("us", "UTC")))
    return Customers(
        n=n,
        frame=frame,
        customer_id=customer_id,
        cpf=cpfs,
        name=name,
        risk=risk,
        income=income,
        salary_day=salary_day,
        salaried=salaried,
        activity=activity,
        age=age,
    )
