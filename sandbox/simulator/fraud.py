"""Labelled fraud scenarios injected into a month at a target share of the rows.

* account_takeover: a login from a new device, then 1-4 PIX at night (mostly) to a never-seen key,
  draining 0.6-3 months of income.
* pix_scam ("falso parente"): the victim, on their own phone, in the daytime, sends 2-5 escalating PIX
  to one first-time key within a couple of hours; older customers are targeted more.
* card_testing: a burst of 5-15 tiny credit-card authorisations seconds apart at digital-goods /
  subscription / betting MCCs, sometimes followed by a large purchase.
* mule_account: a (usually young) customer receives 8-20 PIX from distinct senders over a day or two,
  then fans the money out in a few PIX to other mule keys within the hour.

Legit traffic has look-alikes (new phones, first-time keys, large transfers, night PIX, small card
purchases at the same MCCs, bursts of small incoming PIX), so the labels are learnable, not trivial.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from sandbox.simulator import vocab
from sandbox.simulator.accounts import Accounts
from sandbox.simulator.config import BRT_OFFSET_US, US_PER_DAY, US_PER_MIN, SimConfig, group_cumsum
from sandbox.simulator.devices import LOGIN_SCHEMA
from sandbox.simulator.parties import Parties
from sandbox.simulator.people import Customers
from sandbox.simulator.transactions import MonthContext, card_purchases, frame

SHARES = {"account_takeover": 0.25, "pix_scam": 0.30, "card_testing": 0.30, "mule_account": 0.15}
MEAN_ROWS = {"account_takeover": 2.5, "pix_scam": 3.5, "card_testing": 10.5, "mule_account": 17.5}
US_PER_SEC = 1_000_000


def _stochastic_round(rng: np.random.Generator, x: float) -> int:
    return int(np.floor(x) + (rng.random() < x - np.floor(x)))


def _bursts(
    rng: np.random.Generator, t0: np.ndarray, sizes: np.ndarray, gap_lo: int, gap_hi: int
) -> np.ndarray:
    return np.repeat(t0, sizes) + group_cumsum(rng.integers(gap_lo, gap_hi, int(sizes.sum())), sizes)


def _label(df: pl.DataFrame, scenario: str) -> pl.DataFrame:
    return df.with_columns(pl.lit(True).alias("is_fraud"), pl.lit(scenario).alias("fraud_scenario"))


def month_fraud(
    cfg: SimConfig,
    ctx: MonthContext,
    cu: Customers,
    acc: Accounts,
    parties: Parties,
    n_legit: int,
    rng: np.random.Generator,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Fraud rows (internal transaction schema) and the fraudsters' logins for one month."""
    target = n_legit * cfg.fraud_rate / (1 - cfg.fraud_rate)
    k = {s: _stochastic_round(rng, target * SHARES[s] / MEAN_ROWS[s]) for s in SHARES}
    n = cu.n
    hi = int(ctx.day_start_us[-1]) + US_PER_DAY + BRT_OFFSET_US
    out: list[pl.DataFrame] = []
    logins: list[pl.DataFrame] = []
    fraud_keys = parties.fraud

    def start_times(m: int, hours: np.ndarray, last_day_margin: int) -> np.ndarray:
        day = rng.integers(0, max(ctx.ndays - last_day_margin, 1), m)
        return ctx.at(rng, day, hours)

    # account takeover
    m = k["account_takeover"]
    if m:
        v = rng.integers(0, n, m)
        night = rng.random(m) < 0.75
        t0 = start_times(m, np.where(night, rng.integers(0, 5, m), rng.integers(8, 23, m)), 1)
        sizes = rng.integers(1, 5, m)
        ts = _bursts(rng, t0 + 2 * US_PER_MIN, sizes, US_PER_MIN, 8 * US_PER_MIN)
        c = np.repeat(v, sizes)
        total = np.repeat(cu.income[v] * rng.uniform(0.6, 3.0, m) / sizes, sizes)
        amt = np.maximum(np.rint(total * rng.uniform(0.7, 1.3, len(c)) / 100) * 100, 20_000).astype(np.int64)
        recv = np.repeat(fraud_keys[rng.integers(0, len(fraud_keys), m)], sizes)
        recv = np.where(rng.random(len(c)) < 0.3, fraud_keys[rng.integers(0, len(fraud_keys), len(c))], recv)
        dev = np.char.add(f"FDV{ctx.m:03d}-", np.arange(m).astype(str))
        out.append(
            _label(
                frame(c, ts, amt, False, "PIX", "PIX", "PIX ENVIADO", party=recv, app=True, use_key=True),
                "account_takeover",
            ).with_columns(pl.Series("dev_override", np.repeat(dev, sizes)))
        )
        logins.append(
            pl.DataFrame(
                {
                    "customer_idx": v.astype(np.int32),
                    "ts": t0,
                    "device_id": dev,
                    "is_new_device": np.ones(m, bool),
                }
            )
        )

    # PIX scam (falso parente)
    m = k["pix_scam"]
    if m:
        w = (cu.age / 40.0) ** 2
        v = rng.choice(n, size=m, p=w / w.sum())
        t0 = start_times(m, rng.integers(9, 20, m), 1)
        sizes = rng.integers(2, 6, m)
        ts = _bursts(rng, t0, sizes, 5 * US_PER_MIN, 40 * US_PER_MIN)
        c = np.repeat(v, sizes)
        pos = group_cumsum(np.ones(len(c), np.int64), sizes) - 1
        base = np.repeat(cu.income[v] * rng.uniform(0.15, 0.6, m), sizes)
        amt = np.maximum(np.rint(base * (1 + 0.3 * pos) / 5_000) * 5_000, 5_000).astype(np.int64)
        recv = np.repeat(fraud_keys[rng.integers(0, len(fraud_keys), m)], sizes)
        out.append(
            _label(
                frame(c, ts, amt, False, "PIX", "PIX", "PIX ENVIADO", party=recv, app=True, use_key=True),
                "pix_scam",
            )
        )

    # card testing
    m = k["card_testing"]
    holders = np.flatnonzero(acc.has_card)
    if m and len(holders):
        v = holders[rng.integers(0, len(holders), m)]
        hour_p = np.where(np.arange(24) < 6, 3.0, 1.0)
        t0 = start_times(m, rng.choice(24, size=m, p=hour_p / hour_p.sum()), 1)
        sizes = rng.integers(5, 16, m)
        ts = _bursts(rng, t0, sizes, 5 * US_PER_SEC, 120 * US_PER_SEC)
        c = np.repeat(v, sizes)
        mcc_idx = np.repeat(vocab.TESTING_MCC_IDX[rng.integers(0, len(vocab.TESTING_MCC_IDX), m)], sizes)
        mcc, merchant, _ = card_purchases(rng, ctx, c, cu.income, parties, mcc_idx)
        amt = rng.integers(100, 1_000, len(c))
        out.append(
            _label(
                frame(
                    c,
                    ts,
                    amt,
                    False,
                    "CARTAO",
                    "CARD",
                    "COMPRA CARTAO CREDITO",
                    party=merchant,
                    mcc=mcc,
                    on_card=True,
                ),
                "card_testing",
            )
        )
        cash = rng.random(m) < 0.5
        if cash.any():
            cv = v[cash]
            last = ts[np.cumsum(sizes) - 1][cash]
            cm_idx = vocab.CASHOUT_MCC_IDX[rng.integers(0, len(vocab.CASHOUT_MCC_IDX), len(cv))]
            mcc, merchant, _ = card_purchases(rng, ctx, cv, cu.income, parties, cm_idx)
            out.append(
                _label(
                    frame(
                        cv,
                        last + rng.integers(5, 30, len(cv)) * US_PER_MIN,
                        rng.integers(80_000, 300_000, len(cv)),
                        False,
                        "CARTAO",
                        "CARD",
                        "COMPRA CARTAO CREDITO",
                        party=merchant,
                        mcc=mcc,
                        on_card=True,
                    ),
                    "card_testing",
                )
            )

    # mule account
    m = k["mule_account"]
    if m:
        w = np.exp(-(cu.age - 18) / 12.0)
        v = rng.choice(n, size=m, p=w / w.sum())
        t0 = start_times(m, rng.integers(8, 22, m), 3)
        n_in = rng.integers(8, 21, m)
        ts_in = _bursts(rng, t0, n_in, 10 * US_PER_MIN, 180 * US_PER_MIN)
        c_in = np.repeat(v, n_in)
        amt_in = rng.integers(20_000, 200_000, len(c_in))
        senders = parties.people[rng.integers(0, len(parties.people), len(c_in))]
        out.append(
            _label(
                frame(c_in, ts_in, amt_in, True, "PIX", "PIX", "PIX RECEBIDO", party=senders, use_key=True),
                "mule_account",
            )
        )
        ends = np.cumsum(n_in) - 1
        total_in = np.add.reduceat(amt_in, np.cumsum(n_in) - n_in)
        n_out = rng.integers(2, 6, m)
        t_out0 = ts_in[ends] + rng.integers(10, 60, m) * US_PER_MIN
        ts_out = _bursts(rng, t_out0, n_out, 2 * US_PER_MIN, 15 * US_PER_MIN)
        c_out = np.repeat(v, n_out)
        amt_out = np.maximum(np.rint(np.repeat(total_in * 0.95 / n_out, n_out)), 100).astype(np.int64)
        new_dev = rng.random(m) < 0.3
        dev = np.where(new_dev, np.char.add(f"MDV{ctx.m:03d}-", np.arange(m).astype(str)), None)
        out.append(
            _label(
                frame(
                    c_out,
                    ts_out,
                    amt_out,
                    False,
                    "PIX",
                    "PIX",
                    "PIX ENVIADO",
                    party=fraud_keys[rng.integers(0, len(fraud_keys), len(c_out))],
                    app=True,
                    use_key=True,
                ),
                "mule_account",
            ).with_columns(pl.Series("dev_override", np.repeat(dev, n_out).tolist(), dtype=pl.String))
        )
        nd = np.flatnonzero(new_dev)
        logins.append(
            pl.DataFrame(
                {
                    "customer_idx": v[nd].astype(np.int32),
                    "ts": t_out0[nd] - US_PER_MIN,
                    "device_id": dev[nd].astype(str),
                    "is_new_device": np.ones(len(nd), bool),
                }
            )
        )

    tx = (
        pl.concat(out)
        if out
        else frame(
            np.zeros(0, np.int32), np.zeros(0, np.int64), np.zeros(0, np.int64), False, "PIX", "PIX", ""
        )
    )
    tx = tx.filter(pl.col("ts") < hi)
    lg = pl.concat([x.cast(LOGIN_SCHEMA) for x in logins]) if logins else pl.DataFrame(schema=LOGIN_SCHEMA)
    return tx, lg
