"""Delta access: MERGE idempotence and upsert, schema enforcement, delete/time travel/history, maintenance.
(Concurrent writers in spawned processes: tests/component/test_lake_delta_concurrency.py.)"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import polars as pl
import pytest
from lake_helpers import T0, transactions, use_tmp_lake

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
    assert dict(delta.read(TX).select("transaction_id", "amount_cents").iter_rows()) == {
        "t1": 1000,
        "t9": 5000,
    }


def test_merge_deduplicates_source_on_the_key():
    df = pl.concat([transactions(["t1"], cents=100), transactions(["t1"], cents=200)])
    delta.merge(TX, df)
    assert delta.read(TX)["amount_cents"].to_list() == [200]


def test_merge_with_unique_keys_skips_the_check_and_writes_the_same(monkeypatch):
    calls = []
    real = delta.has_duplicate_keys
    monkeypatch.setattr(delta, "has_duplicate_keys", lambda df, keys: calls.append(keys) or real(df, keys))
    delta.merge(TX, transactions(["t1", "t2"], cents=100), unique_keys=True)
    m = delta.merge(TX, transactions(["t2", "t3"], cents=300), unique_keys=True)
    assert calls == [] and (m["num_target_rows_inserted"], m["num_target_rows_updated"]) == (1, 1)
    assert dict(delta.read(TX).select("transaction_id", "amount_cents").iter_rows()) == {
        "t1": 100,
        "t2": 300,
        "t3": 300,
    }
    delta.merge(TX, transactions(["t4"], cents=1))
    assert calls == [["transaction_id"]]  # the default still checks


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
        pl.col("amount_cents").cast(pl.Int32), pl.col("booked_at").dt.convert_time_zone("America/Sao_Paulo")
    )
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
    removed = delta.vacuum(TX, retention_hours=0)
    assert removed  # files of earlier versions are gone
    assert sorted(delta.read(TX)["transaction_id"]) == ["t1", "t2", "t3"]
    with pytest.raises(delta.TableMissingError, match="silver.loans"):
        delta.read("silver.loans")


def test_vacuum_keeps_deltas_retention_by_default():
    for i in range(3):
        delta.append(TX, transactions([f"t{i}"]))
    delta.delete(TX, "transaction_id = 't0'")
    assert delta.vacuum(TX) == []  # Delta's 7-day retention: nothing this young is removed
    assert sorted(delta.scan(TX, version=1).collect()["transaction_id"]) == ["t0"]  # time travel intact
    assert delta.vacuum(TX, retention_hours=0, dry_run=True)  # an explicit zero would remove files


# --- concurrent writers ---------------------------------------------------------------------------


def test_merge_into_an_empty_table_inserts_without_join_but_not_over_a_concurrent_writer():
    from deltalake.exceptions import CommitFailedError

    from lake.catalog import get_table

    delta.ensure_table(TX)
    stale = delta._open(TX)  # the empty snapshot a first MERGE would read
    delta.append(TX, transactions(["a"], cents=100))  # another writer commits in between
    t = get_table(TX)
    with pytest.raises(CommitFailedError):
        delta._insert_into_empty(
            t, stale, delta._to_arrow(t, delta.conform(TX, transactions(["a", "b"]))), None, None
        )
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


# --- bulk first writes (parallel data files) ------------------------------------------------------


def _bulk_rows(n: int = 40) -> pl.DataFrame:
    """Rows over two months, a null channel and counterparty, distinct amounts."""
    from datetime import timedelta

    df = transactions([f"t{i:03d}" for i in range(n)])
    later = pl.col("transaction_id") >= f"t{n // 2:03d}"
    booked = pl.when(later).then(pl.col("booked_at") + timedelta(days=40)).otherwise(pl.col("booked_at"))
    return (
        df.with_columns(booked.alias("booked_at"))
        .with_columns(
            pl.col("booked_at").dt.strftime("%Y-%m").alias("booked_month"),
            (pl.int_range(pl.len()) * 7 + 100).alias("amount_cents"),
            pl.when(pl.col("transaction_id") == "t003")
            .then(None)
            .otherwise(pl.col("channel"))
            .alias("channel"),
            pl.when(pl.col("transaction_id") == "t005")
            .then(None)
            .otherwise(pl.col("counterparty_pk"))
            .alias("counterparty_pk"),
        )
        .with_columns((pl.col("amount_cents").cast(pl.Decimal(18, 2)) / 100).alias("amount"))
    )


def _file_stats(uri: str) -> dict:
    import pyarrow as pa
    from deltalake import DeltaTable

    adds = pa.table(DeltaTable(uri).get_add_actions(flatten=True)).to_pylist()
    cols = [c for c in adds[0] if c.startswith(("min.", "max.", "null_count."))]
    agg = {"min.": min, "max.": max, "null_count.": sum}

    def fold(c: str) -> object:
        vals = [v for a in adds if (v := a[c]) is not None]
        return next(f for p, f in agg.items() if c.startswith(p))(vals) if vals else None

    return {c: fold(c) for c in cols} | {"rows": sum(a["num_records"] for a in adds)}


def test_first_large_merge_writes_parallel_files_with_delta_stats(monkeypatch):
    """A first MERGE into a new table, written as parallel data files (lake.delta_files) in the commit that
    creates the table: the same rows and file statistics as delta-rs writes, the watermark in the commit,
    and delete, time travel, DuckDB reads and later MERGEs work on it."""
    from deltalake import DeltaTable, write_deltalake

    from lake import delta_files
    from lake.auditor import connect
    from lake.catalog import get_table

    monkeypatch.setattr(delta, "BULK_ROWS", 10)
    monkeypatch.setattr(delta_files, "FILE_ROWS", 7)  # several files per partition, encoded in parallel
    df = _bulk_rows()
    m = delta.merge(TX, df, metadata={"cofre.watermark": "{}"})
    assert m["num_target_rows_inserted"] == 40
    dt = DeltaTable(delta.table_uri(TX))
    assert dt.version() == 0 and len(dt.file_uris()) == 6  # one bucket: 40 rows in files of 7
    assert delta.history(TX, limit=1)[0]["cofre.watermark"] == "{}"
    got = delta.read(TX).sort("transaction_id")
    assert got.equals(delta.conform(TX, df).sort("transaction_id"))

    t = get_table(TX)
    ref = delta.table_uri(TX) + "_delta_rs"
    write_deltalake(ref, delta._to_arrow(t, delta.conform(TX, df)), partition_by=list(t.partition_by))
    assert _file_stats(delta.table_uri(TX)) == _file_stats(ref)
    assert DeltaTable(ref).schema() == dt.schema()

    delta.delete(TX, "transaction_id = 't001'")
    assert "t001" not in delta.read(TX)["transaction_id"].to_list()
    assert "t001" in delta.read(TX, version=0)["transaction_id"].to_list()
    with connect() as aud:
        assert aud.sql("SELECT count(*), count(channel) FROM silver.transactions").fetchone() == (39, 38)
    assert delta.merge(TX, df)["num_target_rows_inserted"] == 1  # t001 again; the rest unchanged


def test_first_large_merge_yields_to_a_writer_that_created_the_table_meanwhile(monkeypatch):
    from lake import delta_files

    monkeypatch.setattr(delta, "BULK_ROWS", 10)
    real = delta_files.write_files
    written: list = []

    def racing(*a, **k):  # another writer creates the table (and appends) while the files are encoded
        out = real(*a, **k)
        written.extend(out)
        delta.append(TX, transactions(["t000"], cents=5))
        return out

    monkeypatch.setattr(delta_files, "write_files", racing)
    m = delta.merge(TX, _bulk_rows())
    assert (m["num_target_rows_inserted"], m["num_target_rows_updated"]) == (39, 1)
    got = delta.read(TX)
    assert got.height == 40 and got["transaction_id"].n_unique() == 40
    root = delta.table_uri(TX)
    import os

    assert written and not any(os.path.exists(f"{root}/{a.path}") for a in written)  # no orphans


def test_stat_values_cover_the_rows():
    from datetime import datetime
    from decimal import Decimal

    from lake.delta_files import _stat_value

    ts = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    assert _stat_value(ts, up=False) == "2026-01-02T03:04:05.678Z"
    assert _stat_value(ts, up=True) == "2026-01-02T03:04:05.679Z"
    assert _stat_value(Decimal("-4.50"), up=True) == -4.5
    assert _stat_value(float("nan"), up=True) is None and _stat_value("x" * 65, up=False) is None


def test_duplicate_keys_are_found_exactly():
    df = pl.DataFrame({"a": ["x", "y", None, "z"], "b": [1, 1, 2, None]})
    assert not delta.has_duplicate_keys(df, ["a"]) and not delta.has_duplicate_keys(df, ["a", "b"])
    assert delta.has_duplicate_keys(df, ["b"])
    assert delta.has_duplicate_keys(pl.concat([df, df.tail(1)]), ["a", "b"])  # (None-free a, null b) twice
    assert delta.has_duplicate_keys(pl.DataFrame({"a": [None, None]}), ["a"])  # nulls are equal keys
    assert not delta.has_duplicate_keys(df.head(1), ["a"])
