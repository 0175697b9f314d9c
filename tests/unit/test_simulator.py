"""Simulated world: determinism, contract conformance, identifiers and referential integrity."""

from __future__ import annotations

import hashlib

import numpy as np
import polars as pl
import pytest

from lake.domain.identifiers import is_valid_cnpj, is_valid_cpf, pix_key_type
from lake.domain.world_schema import FRAUD_SCENARIOS, TRANSACTION_TYPES, WORLD_SCHEMA
from sandbox.simulator import SimConfig, generate_world

SMALL = SimConfig(customers=300, months=3, seed=7)


def frame_hash(df: pl.DataFrame) -> str:
    h = hashlib.sha256()
    h.update(str(df.schema).encode())
    h.update(df.hash_rows(seed=1).to_numpy().tobytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def world() -> dict[str, pl.DataFrame]:
    return generate_world(SMALL)


def test_same_seed_same_world_other_seed_differs(world):
    again = generate_world(SMALL)
    other = generate_world(SimConfig(customers=300, months=3, seed=8))
    for t in WORLD_SCHEMA:
        assert frame_hash(world[t]) == frame_hash(again[t]), t
    for t in ("customers", "transactions", "loans", "bureau_scores", "logins"):
        assert frame_hash(world[t]) != frame_hash(other[t]), t


def test_every_table_conforms_to_the_contract(world):
    assert set(world) == set(WORLD_SCHEMA)
    for t, schema in WORLD_SCHEMA.items():
        assert dict(world[t].schema) == schema, t
        assert world[t].height > 0, t


def test_identifiers_are_valid_and_unique(world):
    cu = world["customers"]
    assert cu["cpf"].n_unique() == cu.height == SMALL.customers
    assert all(is_valid_cpf(c) for c in cu["cpf"])
    assert all(is_valid_cpf(c) for c in world["bureau_scores"]["cpf"].unique())
    assert all(is_valid_cnpj(c) for c in world["accounts"]["company_cnpj"].unique())
    docs = pl.concat([world["pix_keys"]["owner_document"], world["transactions"]["counterparty_document"]])
    for d in docs.drop_nulls().unique():
        assert is_valid_cpf(d) if len(d) == 11 else is_valid_cnpj(d), d
    assert (
        cu["customer_id"].is_unique().all()
        and cu["email"].is_unique().all()
        and cu["phone"].is_unique().all()
    )
    assert world["customers"]["salary_day"].is_between(1, 28).all()


def test_pix_keys_typed_correctly_and_unique(world):
    keys = world["pix_keys"]
    assert keys["key"].is_unique().all()
    for key, kt in keys.select("key", "key_type").iter_rows():
        assert pix_key_type(key) == kt
    own = keys.filter(pl.col("customer_id").is_not_null())
    assert own["customer_id"].n_unique() == SMALL.customers  # everybody has at least one key
    assert (
        own.filter(pl.col("key_type") == "CPF")
        .join(world["customers"], on="customer_id")
        .filter(pl.col("key") != pl.col("cpf"))
        .height
        == 0
    )
    assert (
        keys.filter(pl.col("customer_id").is_null())["account_id"].null_count()
        == keys.filter(pl.col("customer_id").is_null()).height
    )


def test_referential_integrity(world):
    tx, acc, cards, cu = world["transactions"], world["accounts"], world["cards"], world["customers"]
    assert tx["transaction_id"].is_unique().all()
    assert tx.join(cu, on="customer_id", how="anti").height == 0
    a = tx.filter(pl.col("account_id").is_not_null())
    assert a.join(acc, on=["account_id", "customer_id"], how="anti").height == 0
    c = tx.filter(pl.col("credit_card_account_id").is_not_null())
    assert (
        c.height > 0 and c.join(cards, on=["credit_card_account_id", "customer_id"], how="anti").height == 0
    )
    assert (tx["account_id"].is_null() ^ tx["credit_card_account_id"].is_null()).all()
    keyed = tx.filter(pl.col("counterparty_key").is_not_null())
    assert keyed.join(world["pix_keys"], left_on="counterparty_key", right_on="key", how="anti").height == 0
    assert world["loan_instalments"].join(world["loans"], on="contract_id", how="anti").height == 0
    assert world["loans"].join(cu, on="customer_id", how="anti").height == 0
    assert world["balances"].join(acc, on="account_id", how="anti").height == 0
    assert world["logins"].join(cu, on="customer_id", how="anti").height == 0
    assert world["bureau_scores"].join(cu, on=["customer_id", "cpf"], how="anti").height == 0
    n = world["loan_instalments"].group_by("contract_id").len().join(world["loans"], on="contract_id")
    assert (n["len"] == n["instalments"]).all()


def test_money_and_enums(world):
    tx = world["transactions"]
    assert (tx["amount_cents"] > 0).all()
    assert (world["loans"]["contract_amount_cents"] > 0).all()
    assert (world["loan_instalments"]["amount_cents"] > 0).all()
    assert (world["cards"]["credit_limit_cents"] > 0).all()
    assert (world["customers"]["monthly_income_cents"] > 0).all()
    assert (world["balances"]["available_cents"] >= 0).all()
    assert set(tx["type"].unique()) <= set(TRANSACTION_TYPES)
    assert set(tx["credit_debit_type"].unique()) == {"CREDITO", "DEBITO"}
    lo, hi = SMALL.start_us, SMALL.end_us
    ts = tx["booked_at"].cast(pl.Int64)
    assert ts.min() >= lo and ts.max() < hi
    assert tx.filter(pl.col("type") == "CARTAO")["mcc"].null_count() == 0
    assert (
        tx.filter(pl.col("type") != "CARTAO")["mcc"].null_count()
        == tx.filter(pl.col("type") != "CARTAO").height
    )


def test_fraud_labels_only_on_fraud_rows(world):
    tx = world["transactions"]
    assert (tx["is_fraud"] == tx["fraud_scenario"].is_not_null()).all()
    assert set(tx["fraud_scenario"].drop_nulls().unique()) <= set(FRAUD_SCENARIOS)
    ato = tx.filter(pl.col("fraud_scenario") == "account_takeover")
    assert ato["is_new_device"].all() and (ato["type"] == "PIX").all()
    ct = tx.filter(pl.col("fraud_scenario") == "card_testing")
    assert ct["credit_card_account_id"].null_count() == 0
    # legit look-alikes exist: new devices and never-seen keys are not only fraud
    legit = tx.filter(~pl.col("is_fraud"))
    assert legit["is_new_device"].sum() > 0


def test_instalments_consistent_with_defaults(world):
    inst = world["loan_instalments"].join(
        world["loans"].select("contract_id", "defaulted_6m", "contracted_at"), on="contract_id"
    )
    assert (inst.filter(~pl.col("defaulted_6m"))["days_late"] < 90).all()
    bad = inst.filter(pl.col("defaulted_6m") & pl.col("paid_at").is_null())
    worst = bad.group_by("contract_id").agg(pl.col("days_late").max())
    assert worst.height == world["loans"]["defaulted_6m"].sum() and (worst["days_late"] >= 90).all()
    paid = inst.filter(pl.col("paid_at").is_not_null())
    assert (paid["paid_cents"] >= paid["amount_cents"]).all()
    assert (inst.filter(pl.col("paid_at").is_null())["paid_cents"] == 0).all()


def test_scores_in_range():
    s = generate_world(SMALL)["bureau_scores"]["score"]
    assert s.min() >= 0 and s.max() <= 1000
    assert np.unique(np.digitize(s.to_numpy(), [301, 501, 701])).size == 4  # all four Serasa bands occur


def test_written_world_loads_identically(tmp_path, monkeypatch, world):
    from sandbox.simulator.io import ensure_world, load_world, read_manifest, write_world

    rows = write_world(SMALL, tmp_path / "world" / str(SMALL.seed))
    loaded = load_world(seed=SMALL.seed, root=tmp_path / "world")
    for t in WORLD_SCHEMA:
        assert rows[t] == loaded[t].height
        assert frame_hash(loaded[t]) == frame_hash(world[t]), t
    monkeypatch.setenv("COFRE_HOME", str(tmp_path))
    monkeypatch.setenv("COFRE_SIM_CUSTOMERS", "300")
    monkeypatch.setenv("COFRE_SIM_MONTHS", "3")
    monkeypatch.setenv("COFRE_SIM_SEED", "7")
    from lake.settings import get_settings

    get_settings.cache_clear()
    folder = ensure_world()
    assert folder == tmp_path / "world" / "7"
    mtime = (folder / "transactions.parquet").stat().st_mtime_ns
    assert ensure_world() == folder and (folder / "transactions.parquet").stat().st_mtime_ns == mtime
    assert read_manifest(folder)["config"]["customers"] == 300
    with pytest.raises(FileNotFoundError):
        load_world(seed=99, root=tmp_path / "world")
