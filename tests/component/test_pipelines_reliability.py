"""Reliability of the silver step: malformed records go to quarantine; a SIGKILL while delta-rs writes
a bucket of silver.transactions (before its commit), then a re-run, is exact."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
from collections.abc import Iterator
from datetime import UTC, datetime

import polars as pl
import pyarrow as pa
import pytest
from pipeline_helpers import make_world, world_frames

from lake import delta
from lake.catalog import Table
from lake.settings import get_settings
from pipelines.bank import extract
from pipelines.common.bronze import dumps
from pipelines.common.writes import write_bronze
from pipelines.open_finance.assets import run_silver_transactions
from pipelines.resources import LakeResource
from pipelines.run import run_layers


@pytest.fixture()
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("COFRE_HOME", str(tmp_path))
    monkeypatch.setenv("COFRE_PROFILE", "embedded")
    get_settings.cache_clear()
    make_world(tmp_path)
    return tmp_path


def _bronze_only(home) -> None:
    assert run_layers(echo=lambda _m: None, world_folder=str(home / "world" / "7"), layers=("bronze",))


def _bad_rows(bronze: pl.DataFrame) -> pl.DataFrame:
    """Four malformed copies of real bronze transactions (new ids so they are new records)."""
    src = bronze.head(4).to_dicts()
    import json

    muts = [
        ("BAD-NEG", lambda p: p["transactionAmount"].update(amount="-5.00")),
        ("BAD-NAN", lambda p: p["transactionAmount"].update(amount="abc")),
        ("BAD-TS", lambda p: p.pop("transactionDateTime")),
        ("BAD-ENUM", lambda p: p.update(type="NOT_A_TYPE")),
    ]
    rows = []
    for r, (tid, mut) in zip(src, muts, strict=True):
        p = json.loads(r["payload"])
        p["transactionId"] = tid
        mut(p)
        rows.append({**r, "transaction_id": tid, "payload": dumps(p), "record_id": f"{tid}-record"})
    return pl.DataFrame(rows, schema=bronze.schema)


def test_malformed_records_are_quarantined_and_good_rows_land(home):
    _bronze_only(home)
    s = get_settings()
    bronze = delta.read("bronze.open_finance_transactions")
    write_bronze("bronze.open_finance_transactions", _bad_rows(bronze), s)
    # a customer with a malformed CPF in the registry
    w = world_frames(home / "world" / "7")
    w["customers"] = (
        w["customers"]
        .head(1)
        .with_columns(pl.lit("CUSBAD").alias("customer_id"), pl.lit("12345678900").alias("cpf"))
    )
    write_bronze("bronze.bank_customers", extract.customers(w, datetime.now(UTC)), s)

    assert run_layers(echo=lambda _m: None, world_folder=str(home / "world" / "7"), layers=("silver",))
    q = delta.read("quarantine.rows")
    tx = q.filter(pl.col("source_table") == "silver.transactions")
    assert tx.height == 4
    reasons = " ".join(tx["reason"].to_list())
    for check in ("amount_format", "missing_timestamp", "enum_type"):
        assert check in reasons
    cust = q.filter(pl.col("source_table") == "silver.customers")
    assert cust.height == 1
    assert cust["checks"][0].to_list() == ["bad_cpf"]
    assert "12345678900" not in cust["reason"][0]  # the reason does not copy the CPF
    n_world = world_frames(home / "world" / "7")["transactions"].height
    assert delta.row_count("silver.transactions") == n_world


def _child(home: str, files_written: mp.Event) -> None:  # runs in a spawned process
    """silver.transactions' first bucket up to the kill point: delta-rs is writing its data files
    (it has taken the first record batch), its commit is not made.

    The rows reach delta-rs as a stream of record batches; after the first one the stream tells the
    parent and waits to be killed, so the SIGKILL lands mid-write, every time."""
    import threading

    os.environ["COFRE_HOME"] = home
    os.environ["COFRE_PROFILE"] = "embedded"
    get_settings.cache_clear()
    to_arrow = delta._to_arrow

    def kill_point(t: Table, df: pl.DataFrame) -> pa.Table | pa.RecordBatchReader:
        data = to_arrow(t, df)
        if t.name != "silver.transactions" or data.num_rows == 0:
            return data

        def batches() -> Iterator[pa.RecordBatch]:
            batch = data.to_batches(max_chunksize=max(1, data.num_rows // 4))
            yield batch[0]
            files_written.set()
            threading.Event().wait()  # until the parent's SIGKILL

        return pa.RecordBatchReader.from_batches(data.schema, batches())

    delta._to_arrow = kill_point
    for b in range(get_settings().lake_buckets):
        run_silver_transactions(LakeResource(), b, "killed-run")


def _all_buckets(run_id: str) -> None:
    for b in range(get_settings().lake_buckets):
        run_silver_transactions(LakeResource(), b, run_id)


def test_sigkill_between_data_files_and_commit_then_rerun_is_exact(home):
    _bronze_only(home)
    ctx = mp.get_context("spawn")  # deltalake panics in a forked child
    files_written = ctx.Event()
    p = ctx.Process(target=_child, args=(str(home), files_written))
    p.start()
    assert files_written.wait(300), "the child never reached the write of silver.transactions"
    os.kill(p.pid, signal.SIGKILL)
    p.join(30)
    assert p.exitcode == -signal.SIGKILL
    assert delta.row_count("silver.transactions") == 0, "the kill point is before the commit"

    # re-run in this process: the table is readable, exact and without duplicates
    _all_buckets("rerun")
    df = delta.read("silver.transactions", columns=["transaction_id"])
    expected = world_frames(home / "world" / "7")["transactions"].height
    assert df.height == expected
    assert df.unique().height == expected
    # and once more: nothing added
    _all_buckets("rerun-2")
    assert delta.row_count("silver.transactions") == expected
