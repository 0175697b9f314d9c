"""silver.pix_keys from the bank registry extract: one pseudonymised row per key, bad keys quarantined."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from lake.catalog import get_table
from lake.pseudonym import pseudonymise_one
from pipelines.bank import extract
from pipelines.bank import transforms as t
from sandbox.simulator.config import SimConfig
from sandbox.simulator.world import generate_world

KEY = b"k" * 32


def _world():
    return generate_world(SimConfig(customers=40, months=1))


def test_every_customer_key_lands_once_pseudonymised_with_its_owner():
    w = _world()
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    bronze = extract.customers(w, t0)
    good, bad = t.silver_pix_keys(bronze, t0, KEY)
    own = w["pix_keys"].filter(pl.col("customer_id").is_not_null())
    assert bad.height == 0
    assert good.height == own.height == good["key_pk"].n_unique()
    assert good.columns == get_table("silver.pix_keys").column_names
    # no clear identifier anywhere; every hash is the keyed one of the world's value
    cpf = dict(zip(w["customers"]["customer_id"], w["customers"]["cpf"], strict=True))
    row = own.row(0, named=True)
    got = good.filter(
        pl.col("key_pk") == pseudonymise_one(row["key"], "pix_key", key_type=row["key_type"], key=KEY)
    )
    assert got.height == 1
    assert got["customer_pk"][0] == pseudonymise_one(cpf[row["customer_id"]], "cpf", key=KEY)
    assert got["owner_name_pk"][0] == pseudonymise_one(row["owner_name"], "name", key=KEY)
    assert got["account_id"][0] == row["account_id"]
    assert got["created_at"][0] == row["created_at"]
    text = good.select(pl.all().cast(pl.String)).write_csv()
    assert not any(c in text for c in cpf.values())
    assert row["key"] not in text


def test_first_seen_is_the_first_pull_and_owner_the_latest():
    w = _world()
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    key = w["pix_keys"].filter(pl.col("customer_id").is_not_null()).row(0, named=True)
    first = extract.customers(w, t0)
    # a later pull: the key moved to another account of the same customer
    moved = dict(
        w,
        pix_keys=w["pix_keys"].with_columns(
            pl.when(pl.col("key") == key["key"])
            .then(pl.lit("ACC-NEW"))
            .otherwise(pl.col("account_id"))
            .alias("account_id")
        ),
    )
    later = extract.customers(moved, t0 + timedelta(days=3))
    good, _ = t.silver_pix_keys(pl.concat([first, later]), t0, KEY)
    row = good.filter(
        pl.col("key_pk") == pseudonymise_one(key["key"], "pix_key", key_type=key["key_type"], key=KEY)
    )
    assert row["account_id"][0] == "ACC-NEW"
    assert row["first_seen_at"][0] == t0


def test_bad_key_type_and_missing_key_are_quarantined_not_dropped():
    w = _world()
    keys = w["pix_keys"]
    own = keys.filter(pl.col("customer_id").is_not_null())
    k0, k1 = own["key"][0], own["key"][1]
    broken = keys.with_columns(
        pl.when(pl.col("key") == k0).then(pl.lit("TELEFONE")).otherwise(pl.col("key_type")).alias("key_type"),
        pl.when(pl.col("key") == k1).then(pl.lit(None, pl.String)).otherwise(pl.col("key")).alias("key"),
    )
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    good, bad = t.silver_pix_keys(extract.customers(dict(w, pix_keys=broken), t0), t0, KEY)
    assert bad.height == 2 and good.height == own.height - 2
    assert sorted(bad["key_type"].to_list(), key=str) == sorted([own["key_type"][1], "TELEFONE"], key=str)
