"""Accounts, credit cards, the customers' own PIX keys and end-of-period balances.

Every customer has a checking account (``CONTA_DEPOSITO_A_VISTA``, suffix ``-1``); some also a
savings account (``-2``). Card holding, card limit and overdraft limit depend on income and risk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from lake.domain.identifiers import cnpj_check_digits, generate_evps, int_to_digits
from sandbox.simulator.config import ACCOUNTS, PIXKEYS, US_PER_DAY, SimConfig
from sandbox.simulator.people import Customers

BRAND_NAME = "Cofre"
COMPE_CODE = "989"
BRANCH_CODE = "0001"
COFRE_CNPJ = "48215937" + "0001" + cnpj_check_digits("482159370001")
TS = pl.Datetime("us", "UTC")


@dataclass
class Accounts:
    accounts: pl.DataFrame
    cards: pl.DataFrame
    checking_id: np.ndarray  # per customer
    card_id: np.ndarray  # per customer, None without a credit card
    has_card: np.ndarray
    overdraft_limit: np.ndarray  # per customer, cents
    opening_balance: np.ndarray  # per customer, cents


def make_accounts(cfg: SimConfig, cu: Customers) -> Accounts:
    rng = cfg.rng(ACCOUNTS)
    n = cu.n
    idx = np.arange(n)
    serial = np.char.zfill(idx.astype(str), 8)
    checking = np.char.add(np.char.add("ACC", serial), "-1")
    savings_mask = rng.random(n) < 0.35 * (1 - cu.risk)
    created_us = cu.frame["created_at"].cast(pl.Int64).to_numpy()
    od_mask = rng.random(n) < 0.75 - 0.2 * cu.risk
    od_limit = np.where(od_mask, np.rint(cu.income * rng.uniform(0.3, 1.2, n) / 10_000) * 10_000, 0).astype(
        np.int64
    )
    number = (idx * 7_919 + 1_000_003) % 100_000_000
    digits = int_to_digits(number, 8)
    check = (digits @ np.arange(9, 1, -1)) % 11 % 10

    def acc_frame(mask: np.ndarray, suffix: str, type_: str, limit: np.ndarray, offset: int) -> pl.DataFrame:
        m = np.flatnonzero(mask)
        return pl.DataFrame(
            {
                "account_id": np.char.add(np.char.add("ACC", serial[m]), suffix),
                "customer_id": cu.customer_id[m],
                "number": np.char.zfill(((number[m] + offset) % 100_000_000).astype(str), 8),
                "check_digit": ((check[m] + offset) % 10).astype(str),
                "overdraft_limit_cents": limit[m],
                "opened_at": created_us[m],
            }
        ).with_columns(
            pl.lit(BRAND_NAME).alias("brand_name"),
            pl.lit(COFRE_CNPJ).alias("company_cnpj"),
            pl.lit(type_).alias("type"),
            pl.lit("INDIVIDUAL").alias("subtype"),
            pl.lit(COMPE_CODE).alias("compe_code"),
            pl.lit(BRANCH_CODE).alias("branch_code"),
            pl.lit("BRL").alias("currency"),
            pl.col("opened_at").cast(TS),
        )

    accounts = pl.concat(
        [
            acc_frame(np.ones(n, bool), "-1", "CONTA_DEPOSITO_A_VISTA", od_limit, 0),
            acc_frame(savings_mask, "-2", "CONTA_POUPANCA", np.zeros(n, np.int64), 50_000_000),
        ]
    ).sort("account_id")

    has_card = rng.random(n) < 0.85 - 0.35 * cu.risk
    tier = np.clip(np.log(cu.income / 150_000) / np.log(4) * 1.6 + rng.normal(0, 0.4, n), 0, 3.99).astype(int)
    products = np.array(["CLASSIC_NACIONAL", "GOLD", "PLATINUM", "BLACK"])
    networks = np.array(["MASTERCARD", "VISA", "ELO"])
    limit = np.rint(cu.income * (0.5 + 2.5 * (1 - cu.risk)) * rng.uniform(0.6, 1.4, n) / 10_000) * 10_000
    card_id = np.where(has_card, np.char.add("CC", serial), None)
    cm = np.flatnonzero(has_card)
    cards = pl.DataFrame(
        {
            "credit_card_account_id": card_id[cm].astype(str),
            "customer_id": cu.customer_id[cm],
            "product_type": products[tier[cm]],
            "network": networks[rng.choice(3, size=len(cm), p=[0.45, 0.4, 0.15])],
            "credit_limit_cents": np.maximum(limit[cm], 30_000).astype(np.int64),
            "opened_at": created_us[cm] + rng.integers(0, 90, len(cm)) * US_PER_DAY,
        }
    ).with_columns(pl.lit(BRAND_NAME).alias("brand_name"), pl.col("opened_at").cast(TS))
    opening = np.rint(cu.income * rng.gamma(1.5, 0.5 * (1.2 - cu.risk), n)).astype(np.int64)
    return Accounts(
        accounts=accounts,
        cards=cards,
        checking_id=checking,
        card_id=card_id,
        has_card=has_card,
        overdraft_limit=od_limit,
        opening_balance=opening,
    )


def make_customer_keys(cfg: SimConfig, cu: Customers, acc: Accounts) -> pl.DataFrame:
    """The customers' own PIX keys: each has at least one (CPF, phone, e-mail and/or EVP)."""
    rng = cfg.rng(PIXKEYS)
    n = cu.n
    has = rng.random((n, 4)) < np.array([0.75, 0.6, 0.45, 0.3])
    has[~has.any(axis=1), 3] = True
    f = cu.frame
    values = [cu.cpf, f["phone"].to_numpy(), f["email"].to_numpy(), generate_evps(rng, n)]
    types = ["CPF", "PHONE", "EMAIL", "EVP"]
    created = f["created_at"].cast(pl.Int64).to_numpy()
    parts = []
    for j in range(4):
        m = np.flatnonzero(has[:, j])
        parts.append(
            pl.DataFrame(
                {
                    "key": values[j][m],
                    "customer_id": cu.customer_id[m],
                    "account_id": acc.checking_id[m],
                    "owner_name": cu.name[m],
                    "owner_document": cu.cpf[m],
                    "created_at": created[m] + rng.integers(1, 30, len(m)) * US_PER_DAY,
                }
            ).with_columns(pl.lit(types[j]).alias("key_type"))
        )
    return pl.concat(parts).with_columns(pl.col("created_at").cast(TS))


def make_balances(
    cfg: SimConfig, acc: Accounts, net_flow: np.ndarray, rng: np.random.Generator
) -> pl.DataFrame:
    """Balances at the end of the period: opening balance plus the net of all checking movements.

    A negative result means the customer is using the overdraft: the available amount is then zero.
    Savings accounts keep most of their opening balance (the simulator moves no money there).
    """
    ending = acc.opening_balance + net_flow
    accounts = acc.accounts
    ids = accounts["account_id"].to_numpy()
    is_checking = np.char.endswith(ids.astype(str), "-1")
    owner = accounts["customer_id"].str.slice(3, 8).cast(pl.Int64).to_numpy()
    avail = np.where(is_checking, np.maximum(ending[owner], 0), np.rint(acc.opening_balance[owner] * 0.8))
    blocked = np.where(rng.random(len(ids)) < 0.02, rng.integers(1_000, 50_000, len(ids)), 0)
    invested = np.where(is_checking & (rng.random(len(ids)) < 0.3), np.rint(avail * 0.5), 0)
    return pl.DataFrame(
        {
            "account_id": ids,
            "available_cents": avail.astype(np.int64),
            "blocked_cents": blocked.astype(np.int64),
            "automatically_invested_cents": invested.astype(np.int64),
            "updated_at": np.full(len(ids), cfg.end_us - 1),
        }
    ).with_columns(pl.col("updated_at").cast(TS))
