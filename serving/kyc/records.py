"""Contacts on record for a CPF: the keyed hashes of the e-mail and phone that the bank's customer
records (``silver.customers``) hold for the CPF's pseudonym.

The lake holds no clear contact, so the bank cannot read one out; a contact the person types is
proven to be on record when its pseudonym equals the recorded one. That is enough to send a code
there: the person controls the destination only if it really is theirs on record.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from lake import delta
from lake.pseudonym import pseudonymise_one
from lake.settings import Settings

CUSTOMERS = "silver.customers"


@dataclass(frozen=True)
class ContactsOnRecord:
    email_pks: frozenset[str]
    phone_pks: frozenset[str]

    @property
    def known(self) -> bool:
        return bool(self.email_pks or self.phone_pks)


def contacts_on_record(settings: Settings, customer_pk: str) -> ContactsOnRecord:
    if not delta.exists(CUSTOMERS, settings):
        return ContactsOnRecord(frozenset(), frozenset())
    rows = (
        delta.scan(CUSTOMERS, settings=settings)
        .filter(pl.col("customer_pk") == customer_pk)
        .select("email_pk", "phone_pk")
        .collect()
    )
    return ContactsOnRecord(
        frozenset(rows["email_pk"].drop_nulls().to_list()), frozenset(rows["phone_pk"].drop_nulls().to_list())
    )


def is_on_record(records: ContactsOnRecord, channel: str, destination: str, key: bytes) -> bool:
    kind = "phone" if channel == "sms" else "email"
    pk = pseudonymise_one(destination, kind, key=key)
    return pk is not None and pk in (records.phone_pks if channel == "sms" else records.email_pks)
