"""Delta access from concurrent writers: two spawned processes appending or merging into one table
lose nothing (optimistic concurrency of delta-rs with the lake's retries)."""

from __future__ import annotations

import multiprocessing as mp

import pytest
from lake_helpers import concurrent_writer, use_tmp_lake

from lake import delta

TX = "silver.transactions"


@pytest.fixture(autouse=True)
def _lake(monkeypatch, tmp_path):
    use_tmp_lake(monkeypatch, tmp_path)


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
