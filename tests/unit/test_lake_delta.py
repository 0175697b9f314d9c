"""Delta access: MERGE idempotence and upsert, schema enforcement, delete/time travel/history, maintenance,
and concurrent writers in separate (spawned) processes losing nothing."""

from __future__ import annotations

import multiprocessing as mp
from datetime import UTC, datetime
from decimal import Decimal

import polars as pl
import pytest
from lake_helpers import T0, concurrent_writer, transactions, use_tmp_lake

from lake import delta

TX = "silver.transactions"


@pytest.fixture(autouse=True)
def _lake(monkeypatch, tmp_path):
    use_tmp_lake(monkeypatch, tmp_path)


def test_table_uri_follows_layer_and_name(tmp_path):
    assert delta.table_uri(TX) == f"{tmp_path.resolve()}/lake/silver/transactions"


def test_merge_twice_with_same_data_adds_nothing():
    df = transactions(["t1", "t2", "t3"])
    m1 = delta.merge(TX, df)
    assert m1["num_target_rows_inserted"] == 3
    v = delta.version(TX)
    m2 = delta.merge(TX, df)
    assert m2["num_target_rows_inserted"] == 0 and m2["num_target_rows_updated"] == 0
    assert delta.row_count(TX) == 3
    assert delta.version(TX) == v  # nothing changed: no new commit
    assert delta.read(TX).sort("transaction_id").equals(delta.conform(TX, df).sort("transaction_id"))


def test_merge_upserts_changed_rows_and_inserts_new_ones():
    delta.merge(TX, transactions(["t1", "t2"], cents=1000))
    m = delta.merge(TX, transactions(["t2", "t3"], cents=2550))
    assert (m["num_target_rows_inserted"], m["num_target_rows_updated"]) == (1, 1)
    got = dict(delta.read(TX).select("transaction_id", "amount_cents").iter_rows())
    assert got == {"t1": 1000, "t2": 2550, "t3": 2550}
    amounts = dict(delta.read(TX).select("transaction_id", "amount").iter_rows())
    assert amounts["t2"] == Decimal("25.50")


def test_merge_without_update_keeps_existing_rows():
    delta.merge(TX, transactions(["t1"], cents=1000))
    m = delta.merge(TX, transactions(["t1", "t9"], cents=5000), update=False)
    assert (m["num_target_rows_inserted"], m["num_target_rows_updated"]) == (1, 0)
    assert dict(delta.read(TX).select("transaction_id", "amount_cents").iter_rows()) == {"t1": 1000, "t9": 5000}


def test_merge_deduplicates_source_on_the_key():
    df = pl.concat([transactions(["t1"], cents=100), transactions(["t1"], cents=200)])
    delta.merge(TX, df)
    assert delta.read(TX)["amount_cents"].to_list() == [200]


def test_schema_enforcement_errors_are_clear():
    df = transactions(["t1"])
    with pytest.raises(delta.SchemaEnforcementError, match=r"missing columns \['amount'\]"):
        delta.append(TX, df.drop("amount"))
    with pytest.raises(delta.SchemaEnforcementError, match=r"unknown columns \['cpf'\]"):
        delta.append(TX, df.with_columns(cpf=pl.lit("52998224725")))
    with pytest.raises(delta.SchemaEnforcementError, match=r"amount_cents: refusing lossy cast Float64"):
        delta.append(TX, df.with_columns(amount_cents=pl.lit(10.5)))
    with pytest.raises(delta.SchemaEnforcementError, match=r"silver.transactions.mcc: cannot cast String"):
        delta.append(TX, df.with_columns(mcc=pl.lit("grocery")))
    with pytest.raises(delta.SchemaEnforcementError, match=r"customer_pk: 1 null value"):
        delta.append(TX, df.with_columns(customer_pk=pl.lit(None, pl.String)))
    assert not delta.exists(TX)  # nothing was written


def test_compatible_types_are_cast():
    df = transactions(["t1"]).with_columns(
        pl.col("amount_cents").cast(pl.Int32), pl.col("booked_at").dt.convert_time_zone("America/Sao_Paulo"))
    delta.append(TX, df)
    back = delta.read(TX)
    assert back.schema["amount_cents"] == pl.Int64
    assert back["booked_at"][0] == T0


def test_delete_time_travel_and_history():
    delta.append(TX, transactions(["t1", "t2", "t3"]))
    before = delta.version(TX)
    metrics = delta.delete(TX, "transaction_id = 't2'")
    assert metrics["num_deleted_rows"] == 1
    assert sorted(delta.read(TX)["transaction_id"]) == ["t1", "t3"]
    assert sorted(delta.read(TX, version=before)["transaction_id"]) == ["t1", "t2", "t3"]
    ts = datetime.fromtimestamp(delta.history(TX)[1]["timestamp"] / 1000, UTC)
    assert delta.version_at(TX, ts) == before
    ops = [h["operation"] for h in delta.history(TX)]
    assert ops[:2] == ["DELETE", "WRITE"] and ops[-1] == "CREATE TABLE"


def test_vacuum_optimize_and_missing_tables():
    for i in range(4):
        delta.append(TX, transactions([f"t{i}"]))
    delta.delete(TX, "transaction_id = 't0'")
    assert delta.optimize(TX)["numFilesRemoved"] >= 2
    removed = delta.vacuum(TX)
    assert removed  # files of earlier versions are gone
    assert sorted(delta.read(TX)["transaction_id"]) == ["t1", "t2", "t3"]
    with pytest.raises(delta.TableMissingError, match="silver.loans"):
        delta.read("silver.loans")


# --- concurrent writers ---------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["append", "merge"])
def test_concurrent_writers_lose_nothing(mode):
    delta.ensure_table(TX)
    ctx = mp.get_context("spawn")
    rounds = 4
    procs = [ctx.Process(target=concurrent_writer, args=(w, rounds, mode, 25)) for w in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0, 0]
    ids = delta.read(TX)["transaction_id"]
    expected = 2 * rounds * 25 + (rounds if mode == "merge" else 0)
    assert ids.len() == expected
    assert ids.n_unique() == expected


def test_merge_into_an_empty_table_inserts_without_join_but_not_over_a_concurrent_writer():
    from deltalake.exceptions import CommitFailedError

    from lake.catalog import get_table

    delta.ensure_table(TX)
    stale = delta._open(TX)  # the empty snapshot a first MERGE would read
    delta.append(TX, transactions(["a"], cents=100))  # another writer commits in between
    t = get_table(TX)
    with pytest.raises(CommitFailedError):
        delta._insert_into_empty(t, stale, delta._to_arrow(t, delta.conform(TX, transactions(["a", "b"]))),
                                 None, None)
    m = delta.merge(TX, transactions(["a", "b"], cents=200))  # not empty any more: a real MERGE
    assert (m["num_target_rows_inserted"], m["num_target_rows_updated"]) == (1, 1)
    assert sorted(delta.read(TX)["transaction_id"]) == ["a", "b"]


def test_first_merge_into_an_empty_table_keeps_metadata_and_dedups_the_source():
    df = pl.concat([transactions(["x", "y"], cents=100), transactions(["x"], cents=300)])
    m = delta.merge(TX, df, metadata={"cofre.watermark": "{}"})
    assert m["num_target_rows_inserted"] == 2
    assert delta.history(TX, limit=1)[0]["cofre.watermark"] == "{}"
    got = delta.read(TX).sort("transaction_id")
    assert got["transaction_id"].to_list() == ["x", "y"] and got["amount_cents"].to_list() == [300, 100]
    assert delta.merge(TX, df)["num_target_rows_inserted"] == 0  # idempotent re-run


def test_append_to_a_table_created_with_an_older_catalog_schema_fails_clearly():
    import pyarrow as pa
    from deltalake import DeltaTable

    from lake.catalog import get_table

    old = pa.schema([f for f in get_table(TX).arrow_schema if f.name != "customer_key"])
    DeltaTable.create(delta.table_uri(TX), schema=old, partition_by=["booked_month"])
    with pytest.raises(delta.SchemaEnforcementError, match="rebuilt by removing it"):
        delta.append(TX, transactions(["a"]))
