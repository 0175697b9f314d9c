"""Run customer buckets of the per-customer assets in a child process (tests/component/test_lake_buckets.py).

``PYTHONPATH=<repository> python tests/bucket_kit.py LAKE_URI KEY [KEY ...] [--kill-in TABLE]`` materialises silver.transactions
and the gold per-customer assets with Dagster, one run per partition key, against the lake at LAKE_URI
(the bucket count is the environment's COFRE_LAKE_BUCKETS), and prints each materialisation's metadata
as one JSON line. With ``--kill-in``, the write of TABLE hands delta-rs its first record batch and then
the process SIGKILLs itself: a death mid-write at the same point every time, before the commit.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
from collections.abc import Iterator

import polars as pl
import pyarrow as pa

from lake import delta
from lake.catalog import Table


def kill_mid_write(table: str) -> None:
    """Make the next write of ``table`` die after delta-rs has taken its first record batch."""
    to_arrow = delta._to_arrow

    def hooked(t: Table, df: pl.DataFrame) -> pa.Table | pa.RecordBatchReader:
        data = to_arrow(t, df)
        if t.name != table or data.num_rows < 2:
            return data

        def batches() -> Iterator[pa.RecordBatch]:
            parts = data.to_batches(max_chunksize=max(1, data.num_rows // 4))
            yield parts[0]
            os.kill(os.getpid(), signal.SIGKILL)
            yield from parts[1:]  # never reached

        return pa.RecordBatchReader.from_batches(data.schema, batches())

    delta._to_arrow = hooked


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("lake_uri")
    ap.add_argument("keys", nargs="+")
    ap.add_argument("--kill-in")
    args = ap.parse_args()
    from dagster import materialize

    from pipelines.gold.assets import counterparty_pairs, customer_day, transaction_features
    from pipelines.open_finance.assets import silver_transactions
    from pipelines.resources import LakeResource

    if args.kill_in:
        kill_mid_write(args.kill_in)
    assets = [silver_transactions, transaction_features, customer_day, counterparty_pairs]
    for key in args.keys:
        res = materialize(assets, partition_key=key, resources={"lake": LakeResource(lake_uri=args.lake_uri)})
        assert res.success, key
        for ev in res.get_asset_materialization_events():
            m = ev.materialization
            # the counts only: schema and path metadata are not JSON
            meta = {k: v.value for k, v in m.metadata.items() if isinstance(v.value, (int, bool, str))}
            print(json.dumps({"asset": m.asset_key.to_user_string(), "key": key, **meta}), flush=True)


if __name__ == "__main__":
    main()
