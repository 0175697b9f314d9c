"""Counterparties outside the bank: people, card/PIX merchants, employers, billers, fraud receivers.

All of them live in one ``parties`` frame indexed by ``party_idx``; transactions carry the index and
get name, document and PIX key by one join. Each block of indices has one role (see ``Parties``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from lake.domain.identifiers import generate_cnpjs, generate_evps
from sandbox.simulator import vocab
from sandbox.simulator.config import COUNTERPARTIES, US_PER_DAY, SimConfig
from sandbox.simulator.people import emails, full_names, phones_for_states


@dataclass
class Parties:
    frame: pl.DataFrame  # party_idx, name, document, key, key_type
    people: np.ndarray  # party indices of ordinary people (family, friends, landlords, clients)
    merchants_by_mcc: list[np.ndarray]  # party indices of merchants, per MCC_TABLE row
    pix_merchants: np.ndarray  # merchants that take PIX (have a key)
    employers: np.ndarray
    billers: np.ndarray  # one per vocab.BILLS row
    landlords_agency: np.ndarray  # real-estate agencies (rent by boleto)
    fraud: np.ndarray  # receivers used only by fraudsters (mule accounts)


def _people_keys(
    rng: np.random.Generator,
    n: int,
    cpf: np.ndarray,
    phone: np.ndarray,
    email: np.ndarray,
    p: np.ndarray | list[float],
) -> tuple[np.ndarray, np.ndarray]:
    kinds = np.array(["CPF", "PHONE", "EMAIL", "EVP"])
    k = rng.choice(4, size=n, p=p)
    evp = generate_evps(rng, n)
    key = np.where(k == 0, cpf, np.where(k == 1, phone, np.where(k == 2, email, evp)))
    return key, kinds[k]


def _companies(rng: np.random.Generator, n: int, prefixes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s = vocab.SURNAMES[rng.integers(0, len(vocab.SURNAMES), n)]
    suf = vocab.COMPANY_SUFFIX[rng.integers(0, len(vocab.COMPANY_SUFFIX), n)]
    name = np.char.add(np.char.add(np.char.add(np.char.add(prefixes, " "), s), " "), suf)
    return name, generate_cnpjs(rng, n)


def make_parties(cfg: SimConfig, cpfs: np.ndarray) -> Parties:
    """``cpfs``: distinct CPFs for the external people (not shared with customers)."""
    rng = cfg.rng(COUNTERPARTIES)
    n = cfg.customers
    n_people = len(cpfs)
    n_fraud = max(40, n // 40)
    n_people_plain = n_people - n_fraud
    # people (last n_fraud of them are fraud receivers: "laranjas")
    pname, f, s = full_names(rng, n_people)
    serial = np.arange(n, n + n_people)
    pemail = emails(rng, f, s, serial)
    states = vocab.STATES[rng.choice(len(vocab.STATES), size=n_people, p=vocab.STATE_P)]
    pphone = phones_for_states(rng, states, serial)
    key_p = np.where(np.arange(n_people) < n_people_plain, 0, 1)[:, None]
    plain_p, fraud_p = np.array([0.35, 0.35, 0.15, 0.15]), np.array([0.2, 0.15, 0.05, 0.6])
    k1, t1 = _people_keys(rng, n_people, cpfs, pphone, pemail, plain_p)
    k2, t2 = _people_keys(rng, n_people, cpfs, pphone, pemail, fraud_p)
    pkey, ptype = np.where(key_p[:, 0] == 0, k1, k2), np.where(key_p[:, 0] == 0, t1, t2)
    # merchants per MCC
    n_merch = max(300, n // 4)
    per_mcc = np.maximum(3, np.rint(n_merch * np.sqrt(vocab.MCC_P) / np.sqrt(vocab.MCC_P).sum())).astype(int)
    mcc_of = np.repeat(np.arange(len(vocab.MCC_P)), per_mcc)
    mname, mdoc = _companies(rng, len(mcc_of), vocab.MCC_PREFIX[mcc_of])
    takes_pix = rng.random(len(mcc_of)) < 0.6
    mkey = np.where(rng.random(len(mcc_of)) < 0.7, mdoc, generate_evps(rng, len(mcc_of)))
    mtype = np.where(mkey == mdoc, "CNPJ", "EVP")
    # employers, billers, real-estate agencies
    n_emp = max(30, n // 25)
    ename, edoc = _companies(rng, n_emp, np.array(["Grupo"] * n_emp))
    bname = np.array([b[0] for b in vocab.BILLS])
    bdoc = generate_cnpjs(rng, len(bname))
    n_agency = 20
    aname, adoc = _companies(rng, n_agency, np.array(["Imobiliária"] * n_agency))

    blocks = [
        (pname, cpfs, pkey, ptype),
        (mname, mdoc, np.where(takes_pix, mkey, None), np.where(takes_pix, mtype, None)),
        (ename, edoc, np.full(n_emp, None), np.full(n_emp, None)),
        (bname, bdoc, np.full(len(bname), None), np.full(len(bname), None)),
        (aname, adoc, np.full(n_agency, None), np.full(n_agency, None)),
    ]
    sizes = [len(b[0]) for b in blocks]
    off = np.concatenate([[0], np.cumsum(sizes)])
    frame = pl.DataFrame(
        {
            "party_idx": np.arange(off[-1], dtype=np.int32),
            "party_name": np.concatenate([b[0].astype(object) for b in blocks]),
            "party_document": np.concatenate([b[1].astype(object) for b in blocks]),
            "party_key": np.concatenate([b[2].astype(object) for b in blocks]),
            "party_key_type": np.concatenate([b[3].astype(object) for b in blocks]),
        },
        schema={
            "party_idx": pl.Int32,
            "party_name": pl.String,
            "party_document": pl.String,
            "party_key": pl.String,
            "party_key_type": pl.String,
        },
    )
    created = cfg.start_us - rng.integers(1, 4 * 365, off[-1]) * US_PER_DAY
    frame = frame.with_columns(pl.Series("party_key_created", created).cast(pl.Datetime("us", "UTC")))
    m0 = off[1]
    merchants_by_mcc = [m0 + np.flatnonzero(mcc_of == i) for i in range(len(vocab.MCC_P))]
    return Parties(
        frame=frame,
        people=np.arange(0, n_people_plain),
        merchants_by_mcc=merchants_by_mcc,
        pix_merchants=m0 + np.flatnonzero(takes_pix),
        employers=np.arange(off[2], off[3]),
        billers=np.arange(off[3], off[4]),
        landlords_agency=np.arange(off[4], off[5]),
        fraud=np.arange(n_people_plain, n_people),
    )
