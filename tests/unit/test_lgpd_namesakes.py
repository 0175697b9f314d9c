"""LGPD access and erasure select lake rows by proven identifiers only.

Reported defect: the lake was matched by the name and the e-mail the login typed. A verified customer
called "Maria Silva" got every other Maria Silva's bronze payloads in their access export and erased
them (and nulled other people's counterparty names) on erasure; a login that typed a victim's e-mail
(never verified) reached the victim's rows the same way. Names are shared and contacts are typed
without proof: they may null a column in a row a proven identifier selected, never select one.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import polars as pl
from lgpd_kit import _fill
from serving_kit import make_settings, new_cpf

from lake import delta
from lake.erasure import Subject, erase_subject, subject_rows
from lake.pseudonym import pseudonymise_one

NAME = "Maria Silva"
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def _bronze(cpf: str, payload: dict) -> pl.DataFrame:
    return _fill(
        "bronze.serasa_scores",
        [
            {
                "record_id": uuid.uuid4().hex,
                "source": "serasa",
                "request_id": "r",
                "pulled_at": NOW,
                "ingest_date": NOW.date(),
                "payload": json.dumps(payload),
                "cpf": cpf,
                "consulted_at": NOW,
            }
        ],
    )


def _world(tmp_path):
    """The subject, a namesake with another CPF, a victim whose e-mail the subject typed, and a
    third customer who paid the namesake (counterparty name = the shared name)."""
    s = make_settings(tmp_path)
    key = s.pseudonym_key_bytes()
    subject_cpf, namesake_cpf, victim_cpf, payer_cpf = new_cpf(), new_cpf(), new_cpf(), new_cpf()
    victim_email = f"vitima.{victim_cpf}@exemplo.com.br"
    for cpf, payload in (
        (subject_cpf, {"cpf": subject_cpf, "name": NAME, "score": 700}),
        (namesake_cpf, {"cpf": namesake_cpf, "name": NAME, "score": 510}),
        (victim_cpf, {"cpf": victim_cpf, "name": "Vera Lucia", "email": victim_email, "score": 820}),
    ):
        delta.append("bronze.serasa_scores", _bronze(cpf, payload), s)
    payer_pk = pseudonymise_one(payer_cpf, "cpf", key=key)
    delta.append(
        "silver.transactions",
        _fill(
            "silver.transactions",
            [
                {
                    "transaction_id": "tx-namesake",
                    "source": "ACCOUNT",
                    "customer_pk": payer_pk,
                    "customer_key": int(payer_pk[:15], 16),
                    "booked_at": NOW,
                    "booked_month": "2026-03",
                    "amount_cents": 1234,
                    "signed_amount_cents": -1234,
                    "counterparty_pk": pseudonymise_one(
                        str(uuid.uuid4()), "pix_key", key_type="EVP", key=key
                    ),
                    "counterparty_name_pk": pseudonymise_one(NAME, "name", key=key),
                    "source_record_id": "r",
                    "ingested_at": NOW,
                }
            ],
        ),
        s,
    )
    subject = Subject(
        cpf=subject_cpf, names=[NAME], emails=[victim_email], pix_keys=[("EMAIL", victim_email)]
    )
    return s, subject, {"subject": subject_cpf, "namesake": namesake_cpf, "victim": victim_cpf}


def _cpfs(s) -> set[str]:
    return set(delta.read("bronze.serasa_scores", settings=s).get_column("cpf").to_list())


def test_access_export_holds_only_the_subjects_rows(tmp_path):
    s, subject, cpfs = _world(tmp_path)
    found = subject_rows(subject, s)
    assert set(found) == {"bronze.serasa_scores"}, found.keys()
    assert found["bronze.serasa_scores"].get_column("cpf").to_list() == [cpfs["subject"]]


def test_erasure_leaves_namesakes_and_typed_contacts_victims_intact(tmp_path):
    s, subject, cpfs = _world(tmp_path)
    report = erase_subject(subject, s)
    assert _cpfs(s) == {cpfs["namesake"], cpfs["victim"]}
    assert report["bronze.serasa_scores"]["deleted"] == 1
    tx = delta.read("silver.transactions", settings=s)
    assert tx.get_column("counterparty_name_pk").null_count() == 0, (
        "a namesake's counterparty name was nulled"
    )
    assert "silver.transactions" not in report


def test_a_typed_name_goes_with_a_row_a_proven_identifier_selected(tmp_path):
    """The subject's EVP key (bank-generated: proven) in another person's row: the link and the name
    next to it are nulled, the row itself (the other person's transaction) stays."""
    s = make_settings(tmp_path)
    key = s.pseudonym_key_bytes()
    evp, payer_cpf = str(uuid.uuid4()), new_cpf()
    payer_pk = pseudonymise_one(payer_cpf, "cpf", key=key)
    row = {
        "transaction_id": "tx-1",
        "source": "ACCOUNT",
        "customer_pk": payer_pk,
        "customer_key": int(payer_pk[:15], 16),
        "booked_at": NOW,
        "booked_month": "2026-03",
        "amount_cents": 500,
        "signed_amount_cents": -500,
        "counterparty_pk": pseudonymise_one(evp, "pix_key", key_type="EVP", key=key),
        "counterparty_name_pk": pseudonymise_one(NAME, "name", key=key),
        "source_record_id": "r",
        "ingested_at": NOW,
    }
    delta.append("silver.transactions", _fill("silver.transactions", [row]), s)
    erase_subject(Subject(cpf=new_cpf(), names=[NAME], pix_keys=[("EVP", evp)]), s)
    tx = delta.read("silver.transactions", settings=s)
    assert tx.height == 1
    assert tx.row(0, named=True)["counterparty_pk"] is None
    assert tx.row(0, named=True)["counterparty_name_pk"] is None
    assert tx.row(0, named=True)["customer_pk"] == payer_pk
