"""Legitimate monthly movements of every customer: salary, rent, bills, PIX, card spending, fees.

Each category is drawn for all customers at once (Poisson counts, ``np.repeat`` to rows, vectorised
amounts and times) into one internal frame (``TX_SCHEMA``); world.py adds devices, fraud, ids.
Times are drawn as Brasília wall-clock (weekday/weekend and hour-of-day profiles per category) and
stored in UTC. December has more spending and the 13th salary; salary lands on the salary day
(moved back to Friday on weekends).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from sandbox.simulator import vocab
from sandbox.simulator.accounts import Accounts
from sandbox.simulator.config import (
    COUNTERPARTIES,
    US_PER_DAY,
    US_PER_HOUR,
    US_PER_MIN,
    SimConfig,
    day_us,
    group_cumsum,
    local_to_utc,
)
from sandbox.simulator.parties import Parties
from sandbox.simulator.people import MEDIAN_INCOME_CENTS, Customers

TX_SCHEMA: dict[str, pl.DataType] = {
    "customer_idx": pl.Int32,
    "ts": pl.Int64,
    "amount": pl.Int64,
    "credit": pl.Boolean,
    "type": pl.String,
    "channel": pl.String,
    "description": pl.String,
    "party_idx": pl.Int32,
    "use_key": pl.Boolean,
    "mcc": pl.Int16,
    "on_card": pl.Boolean,
    "app": pl.Boolean,
    "is_fraud": pl.Boolean,
    "fraud_scenario": pl.String,
    "dev_override": pl.String,
}

# relative activity by local hour (0..23)
HOURS_PEOPLE = np.array(
    [0.5, 0.3, 0.15, 0.1, 0.1, 0.2, 0.8, 2, 3, 4, 5, 5, 5.5, 5, 5, 5, 5, 5.5, 6, 6.5, 6, 5, 3.5, 1.5]
)
HOURS_CARD = np.array(
    [0.3, 0.15, 0.1, 0.05, 0.05, 0.2, 0.8, 2.5, 3.5, 4, 4.5, 5.5, 7, 6, 5, 4.5, 4.5, 5, 6, 6.5, 6, 4, 2, 1]
)
HOURS_BILLS = np.array(
    [0.1, 0.05, 0, 0, 0, 0.1, 0.5, 2, 4, 5, 5, 5, 4.5, 4.5, 4.5, 4, 4, 3.5, 3, 3, 2.5, 2, 1, 0.4]
)
N_CONTACTS = 6


def _p(w: np.ndarray) -> np.ndarray:
    return w / w.sum()


@dataclass
class Relations:
    """Static per-customer relationships, drawn once: who they pay and receive from, and how."""

    employer: np.ndarray
    contacts: np.ndarray  # (n, N_CONTACTS) party indices
    renter: np.ndarray
    rent_pix: np.ndarray
    rent_party: np.ndarray
    rent_amount: np.ndarray
    rent_day: np.ndarray
    bills: np.ndarray  # (n, len(BILLS)) bool
    bill_day: np.ndarray  # (n, len(BILLS))
    bill_base: np.ndarray  # (n, len(BILLS)) cents
    fee_package: np.ndarray
    saver: np.ndarray


def make_relations(cfg: SimConfig, cu: Customers, parties: Parties) -> Relations:
    rng = cfg.rng(COUNTERPARTIES, 1)
    n = cu.n
    people = parties.people
    contacts = people[rng.integers(0, len(people), (n, N_CONTACTS))]
    renter = rng.random(n) < 0.45
    rent_pix = rng.random(n) < 0.5
    rent_party = np.where(
        rent_pix,
        people[rng.integers(0, len(people), n)],
        parties.landlords_agency[rng.integers(0, len(parties.landlords_agency), n)],
    )
    rent_amount = (np.rint(cu.income * rng.uniform(0.18, 0.4, n) / 5_000) * 5_000).astype(np.int64)
    nb = len(vocab.BILLS)
    bp = np.array([b[4] for b in vocab.BILLS])
    inc_f = (cu.income / MEDIAN_INCOME_CENTS) ** 0.35
    bill_med = np.array([b[2] for b in vocab.BILLS], dtype=np.float64)
    return Relations(
        employer=parties.employers[rng.integers(0, len(parties.employers), n)],
        contacts=contacts,
        renter=renter,
        rent_pix=rent_pix,
        rent_party=rent_party,
        rent_amount=np.maximum(rent_amount, 30_000),
        rent_day=rng.integers(5, 11, n),
        bills=rng.random((n, nb)) < bp,
        bill_day=rng.integers(5, 26, (n, nb)),
        bill_base=bill_med[None, :] * inc_f[:, None] * rng.lognormal(0, 0.25, (n, nb)),
        fee_package=rng.random(n) < 0.3,
        saver=rng.random(n) < 0.45 * (1 - cu.risk),
    )


@dataclass
class MonthContext:
    m: int
    start_day: np.datetime64
    ndays: int
    weekday: np.ndarray  # per day of month, 0 = Monday
    day_start_us: np.ndarray  # per day of month
    month_of_year: int

    @classmethod
    def build(cls, cfg: SimConfig, m: int) -> MonthContext:
        start, nxt = cfg.month_starts[m], cfg.month_starts[m + 1]
        days = np.arange(start, nxt, dtype="datetime64[D]")
        weekday = (days.astype(np.int64) + 3) % 7
        moy = int(str(start)[5:7])
        return cls(
            m=m,
            start_day=start,
            ndays=len(days),
            weekday=weekday,
            day_start_us=day_us(days),
            month_of_year=moy,
        )

    def day_weights(self, weekend: float) -> np.ndarray:
        w = np.where(self.weekday >= 5, weekend, 1.0)
        if self.month_of_year == 12:  # Christmas run-up
            w = w * np.where(np.arange(self.ndays) < 24, 1.0 + np.arange(self.ndays) / 30, 0.8)
        if self.month_of_year == 11:  # Black Friday: last Friday of November and the weekend after
            fridays = np.flatnonzero(self.weekday == 4)
            bf = fridays[-1]
            w[bf : bf + 3] *= 2.5
        return _p(w)

    def times(self, rng: np.random.Generator, k: int, day_p: np.ndarray, hour_p: np.ndarray) -> np.ndarray:
        day = rng.choice(self.ndays, size=k, p=day_p)
        return self.at(rng, day, rng.choice(24, size=k, p=hour_p))

    def at(self, rng: np.random.Generator, day: np.ndarray, hour: np.ndarray) -> np.ndarray:
        secs = hour.astype(np.int64) * 3600 + rng.integers(0, 3600, len(day))
        return local_to_utc(self.day_start_us[np.clip(day, 0, self.ndays - 1)], secs)

    def business_day(self, dom: np.ndarray) -> np.ndarray:
        """0-based day index for a day of month, moved back to Friday when on a weekend."""
        d = np.clip(dom - 1, 0, self.ndays - 1)
        wd = self.weekday[d]
        return np.maximum(d - np.where(wd == 5, 1, np.where(wd == 6, 2, 0)), 0)


# a column of frame(): an array (one value per row) or a scalar broadcast to every row
Col = np.ndarray | int | bool | str


def frame(
    cust: np.ndarray,
    ts: Col,
    amount: Col,
    credit: Col,
    type_: Col,
    channel: Col,
    desc: Col,
    party: Col | None = None,
    mcc: Col | None = None,
    on_card: Col = False,
    app: Col = False,
    use_key: Col = False,
) -> pl.DataFrame:
    """One category's rows in the internal schema (scalars are broadcast)."""
    k = len(cust)

    def col(v: Col | None, dtype: pl.DataType | type[pl.DataType]) -> pl.Series:
        if v is None:
            return pl.repeat(None, k, dtype=dtype, eager=True)
        if np.isscalar(v) or isinstance(v, str | bool):
            return pl.repeat(v, k, dtype=dtype, eager=True)
        return pl.Series(v).cast(dtype)

    data = {
        "customer_idx": col(cust, pl.Int32),
        "ts": col(ts, pl.Int64),
        "amount": col(amount, pl.Int64),
        "credit": col(credit, pl.Boolean),
        "type": col(type_, pl.String),
        "channel": col(channel, pl.String),
        "description": col(desc, pl.String),
        "party_idx": col(party, pl.Int32),
        "use_key": col(use_key, pl.Boolean),
        "mcc": col(mcc, pl.Int16),
        "on_card": col(on_card, pl.Boolean),
        "app": col(app, pl.Boolean),
        "is_fraud": col(False, pl.Boolean),
        "fraud_scenario": col(None, pl.String),
        "dev_override": col(None, pl.String),
    }
    return pl.DataFrame(data)


def _lognormal_cents(
    rng: np.random.Generator, median: np.ndarray | float, sigma: np.ndarray | float, k: int, floor: int = 100
) -> np.ndarray:
    return np.maximum(np.rint(median * rng.lognormal(0.0, sigma, k)), floor).astype(np.int64)


def card_purchases(
    rng: np.random.Generator,
    ctx: MonthContext,
    cust: np.ndarray,
    income: np.ndarray,
    parties: Parties,
    mcc_idx: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MCC, merchant and amount for card purchases of customers ``cust``."""
    k = len(cust)
    if mcc_idx is None:
        mcc_idx = rng.choice(len(vocab.MCC_P), size=k, p=vocab.MCC_P)
    sizes = np.array([len(b) for b in parties.merchants_by_mcc])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    flat = np.concatenate(parties.merchants_by_mcc)
    merchant = flat[starts[mcc_idx] + (rng.random(k) * sizes[mcc_idx]).astype(np.int64)]
    inc_f = (income[cust] / MEDIAN_INCOME_CENTS) ** 0.3
    amount = _lognormal_cents(rng, vocab.MCC_MEDIAN[mcc_idx] * inc_f, vocab.MCC_SIGMA[mcc_idx], k, 100)
    return vocab.MCC_CODES[mcc_idx], merchant, amount


def month_transactions(
    cfg: SimConfig,
    ctx: MonthContext,
    cu: Customers,
    acc: Accounts,
    rel: Relations,
    parties: Parties,
    rng: np.random.Generator,
) -> pl.DataFrame:
    n = cu.n
    idx = np.arange(n)
    income, risk, act = cu.income, cu.risk, cu.activity * cfg.activity
    season = 1.35 if ctx.month_of_year == 12 else 1.0
    out: list[pl.DataFrame] = []
    p_people, p_card, p_bills = _p(HOURS_PEOPLE), _p(HOURS_CARD), _p(HOURS_BILLS)

    # salary (payroll) or informal income received by PIX
    paid = cu.salaried & (rng.random(n) >= 0.35 * risk**2)
    c = idx[paid]
    vol = 0.03 + 0.35 * risk[c]
    amt = np.rint(income[c] * np.maximum(1 + vol * rng.standard_normal(len(c)), 0.3)).astype(np.int64)
    day = ctx.business_day(cu.salary_day[c].astype(np.int64))
    out.append(
        frame(
            c,
            ctx.at(rng, day, rng.integers(3, 7, len(c))),
            amt,
            True,
            "FOLHA_PAGAMENTO",
            "SALARY",
            "SALARIO",
            party=rel.employer[c],
        )
    )
    if ctx.month_of_year in (11, 12):
        c = idx[cu.salaried]
        dom = np.full(len(c), 30 if ctx.month_of_year == 11 else 20)
        out.append(
            frame(
                c,
                ctx.at(rng, ctx.business_day(dom), rng.integers(3, 7, len(c))),
                np.maximum(income[c] // 2, 100),
                True,
                "FOLHA_PAGAMENTO",
                "SALARY",
                "13 SALARIO",
                party=rel.employer[c],
            )
        )
    inf = idx[~cu.salaried]
    k = rng.integers(2, 7, len(inf))
    c = np.repeat(inf, k)
    share = rng.gamma(2.0, 1.0, len(c))
    share = share / np.repeat(np.add.reduceat(share, np.cumsum(k) - k) if len(k) else share, k)
    total = income[c] * np.maximum(1 + (0.1 + 0.5 * risk[c]) * rng.standard_normal(len(c)), 0.2)
    out.append(
        frame(
            c,
            ctx.times(rng, len(c), ctx.day_weights(0.8), p_people),
            np.maximum(np.rint(total * share), 100).astype(np.int64),
            True,
            "PIX",
            "PIX",
            "PIX RECEBIDO",
            party=parties.people[rng.integers(0, len(parties.people), len(c))],
            use_key=True,
        )
    )

    # PIX received from family and friends
    k = rng.poisson(2.0 * act)
    c = np.repeat(idx, k)
    out.append(
        frame(
            c,
            ctx.times(rng, len(c), ctx.day_weights(1.2), p_people),
            _lognormal_cents(rng, 6_000, 1.0, len(c)),
            True,
            "PIX",
            "PIX",
            "PIX RECEBIDO",
            party=rel.contacts[c, rng.integers(0, N_CONTACTS, len(c))],
            use_key=True,
        )
    )

    # PIX sent: contacts, shops (QR code), one-off people; a few large transfers
    k = rng.poisson(6.5 * act * season)
    c = np.repeat(idx, k)
    u = rng.random(len(c))
    inc_f = (income[c] / MEDIAN_INCOME_CENTS) ** 0.4
    contact = rel.contacts[c, np.minimum(rng.geometric(0.45, len(c)) - 1, N_CONTACTS - 1)]
    shop = parties.pix_merchants[rng.integers(0, len(parties.pix_merchants), len(c))]
    oneoff = parties.people[rng.integers(0, len(parties.people), len(c))]
    party = np.where(u < 0.55, contact, np.where(u < 0.8, shop, oneoff))
    med = np.where(u < 0.55, 7_000, np.where(u < 0.8, 4_500, 9_000)) * inc_f
    amt = _lognormal_cents(rng, med, 1.0, len(c))
    big = rng.random(len(c)) < 0.015
    amt = np.where(big, np.rint(income[c] * rng.uniform(0.4, 2.5, len(c))).astype(np.int64), amt)
    out.append(
        frame(
            c,
            ctx.times(rng, len(c), ctx.day_weights(1.2), p_people),
            amt,
            False,
            "PIX",
            "PIX",
            "PIX ENVIADO",
            party=party,
            app=True,
            use_key=True,
        )
    )

    # legit bursts of small incoming PIX (splitting a bill): many senders, minutes apart
    burst = idx[rng.random(n) < 0.02]
    k = rng.integers(3, 9, len(burst))
    c = np.repeat(burst, k)
    t0 = np.repeat(ctx.times(rng, len(burst), ctx.day_weights(1.5), p_people), k)
    ts = t0 + group_cumsum(rng.integers(1, 20 * US_PER_MIN, len(c)), k)
    out.append(
        frame(
            c,
            ts,
            _lognormal_cents(rng, 4_000, 0.5, len(c)),
            True,
            "PIX",
            "PIX",
            "PIX RECEBIDO",
            party=parties.people[rng.integers(0, len(parties.people), len(c))],
            use_key=True,
        )
    )

    # rent: PIX to a landlord or boleto of a real-estate agency
    c = idx[rel.renter]
    ts = ctx.at(rng, ctx.business_day(rel.rent_day[c]), rng.choice(24, size=len(c), p=p_bills))
    pix = rel.rent_pix[c]
    out.append(
        frame(
            c[pix],
            ts[pix],
            rel.rent_amount[c[pix]],
            False,
            "PIX",
            "PIX",
            "ALUGUEL",
            party=rel.rent_party[c[pix]],
            app=True,
            use_key=True,
        )
    )
    out.append(
        frame(
            c[~pix],
            ts[~pix],
            rel.rent_amount[c[~pix]],
            False,
            "BOLETO",
            "BOLETO",
            "ALUGUEL",
            party=rel.rent_party[c[~pix]],
            app=True,
        )
    )

    # bills: utilities by convênio, the rest by boleto; risky customers pay late more often
    for j, (name, type_, _med, sigma, _prob) in enumerate(vocab.BILLS):
        c = idx[rel.bills[:, j]]
        late = np.where(rng.random(len(c)) < 0.05 + 0.4 * risk[c], rng.integers(1, 15, len(c)), 0)
        day = np.minimum(rel.bill_day[c, j] + late, ctx.ndays)
        amt = _lognormal_cents(rng, rel.bill_base[c, j], sigma * 0.5, len(c))
        out.append(
            frame(
                c,
                ctx.at(rng, ctx.business_day(day), rng.choice(24, size=len(c), p=p_bills)),
                amt,
                False,
                type_,
                "BOLETO",
                name.upper(),
                party=parties.billers[j],
                app=True,
            )
        )

    # card spending: credit card for most holders, debit card otherwise
    k = rng.poisson(12.5 * act * season)
    c = np.repeat(idx, k)
    mcc, merchant, amt = card_purchases(rng, ctx, c, income, parties)
    credit_card = acc.has_card[c] & (rng.random(len(c)) < 0.85)
    ts = ctx.times(rng, len(c), ctx.day_weights(1.3), p_card)
    out.append(
        frame(
            c,
            ts,
            amt,
            False,
            "CARTAO",
            "CARD",
            np.where(credit_card, "COMPRA CARTAO CREDITO", "COMPRA CARTAO DEBITO"),
            party=merchant,
            mcc=mcc,
            on_card=credit_card,
        )
    )

    # cash, TED, fees, interest
    k = rng.poisson(0.35, n)
    c = np.repeat(idx, k)
    out.append(
        frame(
            c,
            ctx.times(rng, len(c), ctx.day_weights(1.1), p_card),
            np.array([5_000, 10_000, 15_000, 20_000, 30_000, 50_000])[rng.integers(0, 6, len(c))],
            False,
            "SAQUE",
            "CARD",
            "SAQUE 24H",
        )
    )
    k = rng.poisson(0.08, n)
    c = np.repeat(idx, k)
    out.append(
        frame(
            c,
            ctx.times(rng, len(c), ctx.day_weights(0.2), p_bills),
            _lognormal_cents(rng, 150_000, 0.8, len(c)),
            False,
            "TED",
            "TED",
            "TED ENVIADA",
            party=parties.people[rng.integers(0, len(parties.people), len(c))],
            app=True,
        )
    )
    c = idx[rel.fee_package]
    out.append(
        frame(
            c,
            ctx.at(rng, np.zeros(len(c), np.int64), np.full(len(c), 2)),
            np.full(len(c), 2_990),
            False,
            "PACOTE_TARIFA_SERVICOS",
            "FEE",
            "TARIFA PACOTE SERVICOS",
        )
    )
    c = idx[rng.random(n) < 0.04]
    out.append(
        frame(
            c,
            ctx.times(rng, len(c), ctx.day_weights(0.2), p_bills),
            rng.integers(500, 1_500, len(c)),
            False,
            "TARIFA_SERVICOS_AVULSOS",
            "FEE",
            "TARIFA AVULSA",
        )
    )
    od = (acc.overdraft_limit > 0) & (rng.random(n) < 0.02 + 0.55 * risk**1.5)
    c = idx[od]
    used = acc.overdraft_limit[c] * rng.uniform(0.05, 0.9, len(c))
    last = np.full(len(c), ctx.ndays - 1)
    out.append(
        frame(
            c,
            ctx.at(rng, last, np.full(len(c), 2)),
            np.maximum(np.rint(used * 0.08), 1).astype(np.int64),
            False,
            "ENCARGOS_JUROS_CHEQUE_ESPECIAL",
            "INTEREST",
            "JUROS CHEQUE ESPECIAL",
        )
    )
    c = idx[rel.saver]
    out.append(
        frame(
            c,
            ctx.at(rng, np.full(len(c), ctx.ndays - 1), np.full(len(c), 3)),
            np.maximum(np.rint(acc.opening_balance[c] * 0.007), 1).astype(np.int64),
            True,
            "RENDIMENTO_APLIC_FINANCEIRA",
            "INTEREST",
            "RENDIMENTO APLICACAO",
        )
    )
    return pl.concat(out)


def loan_movements(credit_payments: pl.DataFrame, lo_us: int, hi_us: int) -> pl.DataFrame:
    """Disbursements and paid instalments booked in [lo_us, hi_us)."""
    p = credit_payments.filter(pl.col("ts").is_between(lo_us, hi_us, closed="left"))
    cust, ts, amt, cr = (p[c].to_numpy() for c in ("customer_idx", "ts", "amount", "credit"))
    return frame(
        cust,
        ts,
        amt,
        cr,
        "OPERACAO_CREDITO",
        "LOAN",
        np.where(cr, "LIBERACAO EMPRESTIMO", "PARCELA EMPRESTIMO"),
        app=False,
    )


def hour_of(ts_us: np.ndarray) -> np.ndarray:
    """Local (Brasília) hour of UTC microsecond timestamps."""
    return ((ts_us - 3 * US_PER_HOUR) // US_PER_HOUR) % 24


__all__ = [
    "TX_SCHEMA",
    "MonthContext",
    "Relations",
    "card_purchases",
    "frame",
    "hour_of",
    "loan_movements",
    "make_relations",
    "month_transactions",
    "US_PER_DAY",
]
