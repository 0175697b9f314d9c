"""The table catalog: coherent declarations, no clear PII below bronze, every table round-trips through Delta."""

from __future__ import annotations

import polars as pl
import pytest
from lake_helpers import use_tmp_lake

from lake import catalog, delta
from lake.catalog import Column, Table


def test_catalog_declares_the_platform_tables():
    names = set(catalog.TABLES)
    for required in (
        "bronze.open_finance_transactions",
        "bronze.serasa_scores",
        "bronze.pix_received",
        "silver.customers",
        "silver.transactions",
        "silver.bureau_scores",
        "silver.pix_keys",
        "gold.customer_day",
        "gold.transaction_features",
        "gold.credit_features",
        "quarantine.rows",
        "audit.events",
    ):
        assert required in names
    assert {t.layer for t in catalog.tables()} == set(catalog.LAYERS)


def test_bronze_tables_carry_ingestion_metadata_and_natural_key():
    for t in catalog.tables("bronze"):
        for col in ("record_id", "source", "consent_id", "request_id", "pulled_at", "ingest_date", "payload"):
            assert col in t.column_names, (t.name, col)
        assert t.partition_by == ("ingest_date",)
        assert t.natural_key and t.natural_key != t.primary_key


def test_no_clear_pii_outside_restricted_layers():
    for t in catalog.tables():
        if t.layer not in catalog.RESTRICTED_LAYERS:
            assert "clear" not in t.pii_columns.values(), t.name
            assert not {"cpf", "name", "email", "phone"} & set(t.column_names), t.name
    with pytest.raises(ValueError, match="clear PII"):
        Table(
            "silver.bad", (Column("k", pl.String, False), Column("cpf", pl.String, pii="clear")), ("k",), "x"
        )


def test_money_is_never_float():
    for t in catalog.tables():
        for c in t.columns:
            if c.name.endswith("_cents"):
                assert c.dtype == pl.Int64, (t.name, c.name)
            if c.name in ("amount", "contract_amount", "overdraft_limit", "monthly_income"):
                assert c.dtype == pl.Decimal(18, 2), (t.name, c.name)


def test_bad_declarations_fail():
    with pytest.raises(ValueError, match="non-nullable"):
        Table("silver.x", (Column("k", pl.String),), ("k",), "nullable key")
    with pytest.raises(ValueError, match="not a column"):
        Table("silver.x", (Column("k", pl.String, False),), ("k",), "bad partition", partition_by=("day",))
    with pytest.raises(KeyError, match="unknown table"):
        catalog.get_table("silver.nope")


def test_every_table_roundtrips_through_delta(monkeypatch, tmp_path):
    use_tmp_lake(monkeypatch, tmp_path)
    for t in catalog.tables():
        delta.ensure_table(t)
        back = delta.read(t)
        assert back.height == 0
        assert dict(back.schema) == dict(t.schema), t.name
