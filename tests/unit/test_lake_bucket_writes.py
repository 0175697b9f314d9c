"""Customer buckets in the lake: the bucket of a pseudonym, the bucket's replace-where, and the auditor's
partition pruning on a bucketed table (DuckDB delta_scan reads one bucket's files)."""

from __future__ import annotations

import polars as pl
import pytest
from lake_helpers import transactions, use_tmp_lake

from lake import buckets, delta
from lake.pseudonym import pseudonymise
from lake.settings import get_settings

TX = "silver.transactions"


@pytest.fixture(autouse=True)
def _lake(monkeypatch, tmp_path):
    use_tmp_lake(monkeypatch, tmp_path)
    monkeypatch.setenv("COFRE_LAKE_BUCKETS", "4")
    get_settings.cache_clear()


def _customers(n: int) -> list[str]:
    return pseudonymise(pl.Series([f"{i:011d}" for i in range(n)]), "cpf", key=b"k").to_list()


def _rows(customers: list[str], per: int = 3, cents: int = 1000) -> pl.DataFrame:
    return pl.concat(
        [transactions([f"{c[:8]}-{i}" for i in range(per)], customer=c, cents=cents) for c in customers]
    )


def test_bucket_is_the_pseudonym_prefix_modulo_the_setting():
    pks = _customers(400)
    got = pl.select(buckets.expr(16, pl.lit(pl.Series(pks)))).to_series().to_list()
    assert got == [int(p[:15], 16) % 16 for p in pks]
    assert set(got) == set(range(16))  # 400 customers reach every bucket
    assert get_settings().lake_buckets == 4 and buckets.keys(4) == ["0", "1", "2", "3"]


def test_writes_derive_the_bucket_and_partition_by_it():
    df = _rows(_customers(12))
    delta.append(TX, df)
    got = delta.read(TX)
    expected = [int(c[:15], 16) % 4 for c in got.get_column("customer_pk").to_list()]
    assert got.get_column("bucket").to_list() == expected
    from deltalake import DeltaTable

    assert DeltaTable(delta.table_uri(TX)).metadata().partition_columns == ["bucket"]


def test_replace_bucket_rewrites_only_its_partition_and_refuses_other_rows():
    pks = _customers(12)
    delta.append(TX, _rows(pks, cents=1000))
    by_bucket = {b: [c for c in pks if int(c[:15], 16) % 4 == b] for b in range(4)}
    b = next(k for k, v in by_bucket.items() if len(v) >= 2)
    mine = by_bucket[b][:1]  # the bucket now has one customer left, with new amounts
    res = delta.replace_bucket(TX, _rows(mine, cents=2500), b, metadata={"cofre.watermark.bucket.x": "{}"})
    assert res["written"] == 3
    got = delta.read(TX)
    assert set(got.filter(pl.col("bucket") == b).get_column("customer_pk").to_list()) == set(mine)
    assert got.filter(pl.col("bucket") == b).get_column("amount_cents").to_list() == [2500] * 3
    assert got.filter(pl.col("bucket") != b).height == sum(3 * len(by_bucket[k]) for k in range(4) if k != b)
    assert delta.history(TX, limit=1)[0]["cofre.watermark.bucket.x"] == "{}"
    # the same again: same rows (a retried bucket is idempotent)
    before = delta.read(TX).sort("transaction_id")
    delta.replace_bucket(TX, _rows(mine, cents=2500), b)
    assert delta.read(TX).sort("transaction_id").drop("ingested_at").equals(before.drop("ingested_at"))
    other = next(c for c in pks if c not in by_bucket[b])
    with pytest.raises(ValueError, match="of other buckets"):
        delta.replace_bucket(TX, _rows([other]), b)
    with pytest.raises(ValueError, match="repeat a primary key"):
        delta.replace_bucket(TX, pl.concat([_rows(mine), _rows(mine)]), b)


def test_auditor_reads_one_bucket_of_a_bucketed_table():
    from lake.auditor import connect

    delta.append(TX, _rows(_customers(40)))
    with connect() as aud:
        assert aud.sql("SELECT count(DISTINCT bucket) FROM silver.transactions").fetchone() == (4,)
        n = aud.sql("SELECT count(*) FROM silver.transactions WHERE bucket = 2").fetchone()[0]
        plan = aud.sql("EXPLAIN ANALYZE SELECT count(*) FROM silver.transactions WHERE bucket = 2").fetchall()
    assert n == delta.read(TX).filter(pl.col("bucket") == 2).height > 0
    assert "Scanning Files: 1/4" in plan[0][1]  # partition pruning: one bucket's file of four
