"""Test fixture: a small deterministic *generated* world conforming to lake.domain.world_schema.

Stands in for the simulator (sandbox.simulator) in the sandbox tests: every row is drawn
from a seeded numpy Generator, CPFs get real mod-11 check digits from the small helper below, and
every table is passed through ``conform`` so dtypes match the contract exactly.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl

from lake.domain import world_schema as ws

FIRST = ["João", "Maria", "José", "Ana", "Conceição", "Antônio", "Luíza", "Sérgio", "Bárbara", "Raí"]
LAST = ["Silva", "Souza", "Gonçalves", "Araújo", "Magalhães", "Pereira", "Lima", "Fávero", "Nóbrega"]
STATES = ["SP", "RJ", "MG", "BA", "RS", "PR", "PE", "DF"]
BANK_CNPJ = "12345678000195"
BRAND = "Cofre Banco"


def _cpf_digits(base9: str) -> str:
    ds = [int(c) for c in base9]
    for start in (10, 11):
        rest = sum(d * w for d, w in zip(ds, range(start, 1, -1), strict=False)) % 11
        ds.append(0 if rest < 2 else 11 - rest)
    return "".join(map(str, ds))


def _cpf(rng: np.random.Generator) -> str:
    while True:
        base = "".join(str(int(d)) for d in rng.integers(0, 10, 9))
        if len(set(base)) > 1:
            return _cpf_digits(base)


def _uuid(rng: np.random.Generator) -> str:
    return str(uuid.UUID(bytes=bytes(rng.integers(0, 256, 16, dtype=np.uint8)), version=4))


def make_world(
    n_customers: int = 20, seed: int = 7, months: int = 12, end: date = date(2026, 10, 31)
) -> dict[str, pl.DataFrame]:
    """A world of ``n_customers`` with accounts, cards, PIX keys, transactions, loans and scores."""
    rng = np.random.default_rng(seed)
    end_ts = datetime(end.year, end.month, end.day, 23, 0, tzinfo=UTC)
    start_ts = end_ts - timedelta(days=30 * months)
    span_s = int((end_ts - start_ts).total_seconds())
    rows: dict[str, list[dict]] = {t: [] for t in ws.WORLD_SCHEMA}
    ext_keys = []
    for k in range(8):  # people outside the bank, counterparties of PIX
        cpf = _cpf(rng)
        key = cpf if k % 2 == 0 else f"contato{k}@exemplo.com.br"
        ext_keys.append((key, "CPF" if k % 2 == 0 else "EMAIL", f"{FIRST[k % len(FIRST)]} Externo", cpf))
        rows["pix_keys"].append(
            dict(
                key=key,
                key_type=ext_keys[-1][1],
                customer_id=None,
                account_id=None,
                owner_name=ext_keys[-1][2],
                owner_document=cpf,
                created_at=start_ts,
            )
        )

    def ts() -> datetime:
        return start_ts + timedelta(
            seconds=int(rng.integers(0, span_s)), microseconds=int(rng.integers(0, 10**6))
        )

    tx_n = 0
    for i in range(n_customers):
        cid = f"CUS{i:08d}"
        cpf = _cpf(rng)
        name = f"{FIRST[int(rng.integers(len(FIRST)))]} {LAST[int(rng.integers(len(LAST)))]}"
        income = int(rng.integers(150_000, 2_500_000))
        risk = float(rng.random())
        rows["customers"].append(
            dict(
                customer_id=cid,
                cpf=cpf,
                name=name,
                email=f"cliente{i}@exemplo.com.br",
                phone=f"+55119{int(rng.integers(10**7, 10**8))}",
                birth_date=date(1960 + int(rng.integers(0, 40)), 1 + i % 12, 1 + i % 28),
                state=STATES[int(rng.integers(len(STATES)))],
                monthly_income_cents=income,
                salary_day=int(rng.integers(1, 29)),
                latent_risk=risk,
                created_at=start_ts - timedelta(days=400),
            )
        )
        n_acc = 1 + int(rng.integers(0, 2))
        for j in range(n_acc):
            aid = f"ACC-{i:06d}-{j}"
            rows["accounts"].append(
                dict(
                    account_id=aid,
                    customer_id=cid,
                    brand_name=BRAND,
                    company_cnpj=BANK_CNPJ,
                    type=ws.ACCOUNT_TYPES[j % 3],
                    subtype=ws.ACCOUNT_SUBTYPES[int(rng.integers(3))],
                    compe_code="341",
                    branch_code=f"{int(rng.integers(1, 9999)):04d}",
                    number=f"{int(rng.integers(10**7, 10**10))}",
                    check_digit=str(int(rng.integers(0, 10))),
                    currency="BRL",
                    overdraft_limit_cents=int(rng.integers(0, 5)) * 50_000,
                    opened_at=start_ts - timedelta(days=300),
                )
            )
            rows["balances"].append(
                dict(
                    account_id=aid,
                    available_cents=int(rng.integers(-20_000, 2_000_000)),
                    blocked_cents=int(rng.integers(0, 3)) * 1_000,
                    automatically_invested_cents=int(rng.integers(0, 500_000)),
                    updated_at=end_ts,
                )
            )
            if j == 0:
                for key, ktype in (
                    (cpf, "CPF"),
                    (f"cliente{i}@exemplo.com.br", "EMAIL"),
                    (_uuid(rng), "EVP"),
                ):
                    rows["pix_keys"].append(
                        dict(
                            key=key,
                            key_type=ktype,
                            customer_id=cid,
                            account_id=aid,
                            owner_name=name,
                            owner_document=cpf,
                            created_at=start_ts,
                        )
                    )
            for _ in range(int(rng.integers(25, 70))):
                tx_n += 1
                kind = int(rng.integers(0, 5))
                ext = ext_keys[int(rng.integers(len(ext_keys)))]
                if kind <= 1:  # PIX in or out
                    credit = kind == 0
                    rows["transactions"].append(
                        dict(
                            transaction_id=f"TX{tx_n:010d}",
                            customer_id=cid,
                            account_id=aid,
                            credit_card_account_id=None,
                            booked_at=ts(),
                            amount_cents=int(rng.integers(100, 300_000)),
                            credit_debit_type="CREDITO" if credit else "DEBITO",
                            type="PIX",
                            channel="PIX",
                            description="Pix recebido" if credit else "Pix enviado",
                            counterparty_key=ext[0],
                            counterparty_name=ext[2],
                            counterparty_document=ext[3],
                            mcc=None,
                            device_id=f"DEV{i}",
                            is_new_device=False,
                            is_fraud=False,
                            fraud_scenario=None,
                        )
                    )
                else:
                    typ, chan, cd = [
                        ("BOLETO", "BOLETO", "DEBITO"),
                        ("FOLHA_PAGAMENTO", "SALARY", "CREDITO"),
                        ("TARIFA_SERVICOS_AVULSOS", "FEE", "DEBITO"),
                    ][kind - 2]
                    rows["transactions"].append(
                        dict(
                            transaction_id=f"TX{tx_n:010d}",
                            customer_id=cid,
                            account_id=aid,
                            credit_card_account_id=None,
                            booked_at=ts(),
                            amount_cents=int(rng.integers(100, 500_000)),
                            credit_debit_type=cd,
                            type=typ,
                            channel=chan,
                            description=f"{typ.lower()} {tx_n}",
                            counterparty_key=None,
                            counterparty_name=None,
                            counterparty_document=None,
                            mcc=None,
                            device_id=f"DEV{i}",
                            is_new_device=False,
                            is_fraud=False,
                            fraud_scenario=None,
                        )
                    )
        if rng.random() < 0.7:
            ccid = f"CC-{i:06d}"
            rows["cards"].append(
                dict(
                    credit_card_account_id=ccid,
                    customer_id=cid,
                    brand_name=BRAND,
                    product_type=["CLASSIC_NACIONAL", "GOLD", "PLATINUM"][int(rng.integers(3))],
                    network=["VISA", "MASTERCARD", "ELO"][int(rng.integers(3))],
                    credit_limit_cents=int(rng.integers(1, 20)) * 100_000,
                    opened_at=start_ts - timedelta(days=200),
                )
            )
            for _ in range(int(rng.integers(10, 40))):
                tx_n += 1
                fee = rng.random() < 0.1
                rows["transactions"].append(
                    dict(
                        transaction_id=f"TX{tx_n:010d}",
                        customer_id=cid,
                        account_id=None,
                        credit_card_account_id=ccid,
                        booked_at=ts(),
                        amount_cents=int(rng.integers(500, 80_000)),
                        credit_debit_type="DEBITO",
                        type="CARTAO",
                        channel="FEE" if fee else "CARD",
                        description="Anuidade" if fee else f"Loja {tx_n}",
                        counterparty_key=None,
                        counterparty_name=None if fee else f"Loja {tx_n % 50}",
                        counterparty_document=None,
                        mcc=None if fee else int(rng.choice([5411, 5812, 5999, 4121])),
                        device_id=f"DEV{i}",
                        is_new_device=bool(rng.random() < 0.05),
                        is_fraud=False,
                        fraud_scenario=None,
                    )
                )
        for _ in range(int(rng.integers(3, 10))):
            rows["logins"].append(dict(customer_id=cid, at=ts(), device_id=f"DEV{i}", is_new_device=False))
        if rng.random() < 0.6:
            lid = f"LN-{i:06d}"
            n_inst = int(rng.integers(6, 25))
            amount = int(rng.integers(10, 300)) * 10_000
            rate = float(rng.choice([0.019, 0.029, 0.045]))
            contracted = start_ts + timedelta(days=int(rng.integers(0, 120)))
            first_due = (contracted + timedelta(days=30)).date()
            inst_amount = amount // n_inst + 1_000
            paid_total = 0
            for n in range(1, n_inst + 1):
                due = first_due + timedelta(days=30 * (n - 1))
                late = int(rng.choice([0, 0, 0, 5, 40]))
                paid = due + timedelta(days=late) <= end
                paid_cents = inst_amount + (late * 100 if paid and late else 0) if paid else 0
                paid_total += paid_cents
                rows["loan_instalments"].append(
                    dict(
                        contract_id=lid,
                        number=n,
                        due_date=due,
                        amount_cents=inst_amount,
                        paid_at=datetime(due.year, due.month, due.day, 12, tzinfo=UTC) + timedelta(days=late)
                        if paid
                        else None,
                        paid_cents=paid_cents,
                        days_late=late if paid else max(0, (end - due).days),
                    )
                )
            rows["loans"].append(
                dict(
                    contract_id=lid,
                    customer_id=cid,
                    product_subtype=ws.LOAN_SUBTYPES[int(rng.integers(len(ws.LOAN_SUBTYPES)))],
                    contract_amount_cents=amount,
                    outstanding_cents=max(0, inst_amount * n_inst - paid_total),
                    instalments=n_inst,
                    monthly_rate=rate,
                    contracted_at=contracted,
                    first_due_date=first_due,
                    defaulted_6m=bool(rng.random() < risk * 0.3),
                )
            )
        score = int(1000 * (1 - risk))
        for m in range(months):
            score = int(np.clip(score + rng.integers(-40, 41), 0, 1000))
            rows["bureau_scores"].append(
                dict(
                    customer_id=cid, cpf=cpf, score=score, consulted_at=start_ts + timedelta(days=30 * m + 1)
                )
            )
    return {
        t: ws.conform(t, pl.DataFrame(r, schema=ws.WORLD_SCHEMA[t]) if r else ws.empty_frame(t))
        for t, r in rows.items()
    }
