"""deltalake on the stack's SeaweedFS S3: create, append, read back through polars and the Delta log."""

from __future__ import annotations

from urllib.parse import urlparse

import polars as pl
import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake
from minio import Minio


@pytest.fixture
def table_uri(stack_settings, unique):
    uri = f"{stack_settings.lake_uri.rstrip('/')}/_it/delta_{unique}"
    yield uri
    # remove what the test wrote
    ep = urlparse(stack_settings.s3_endpoint)
    client = Minio(
        ep.netloc,
        access_key=stack_settings.s3_access_key,
        secret_key=stack_settings.s3_secret_key.get_secret_value(),
        secure=ep.scheme == "https",
        region=stack_settings.s3_region,
    )
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    for obj in client.list_objects(bucket, prefix=key + "/", recursive=True):
        client.remove_object(bucket, obj.object_name)


def _batch(start: int, n: int) -> pa.Table:
    return pa.table(
        {
            "tx_id": pa.array(range(start, start + n), pa.int64()),
            "amount_cents": pa.array([100 * i + 1 for i in range(start, start + n)], pa.int64()),
            "kind": pa.array(["pix" if i % 2 else "ted" for i in range(start, start + n)]),
        }
    )


def test_delta_write_append_read(stack_settings, table_uri):
    assert stack_settings.lake_is_s3
    opts = stack_settings.storage_options()
    write_deltalake(table_uri, _batch(0, 50), storage_options=opts)
    write_deltalake(table_uri, _batch(50, 25), mode="append", storage_options=opts)

    dt = DeltaTable(table_uri, storage_options=opts)
    assert dt.version() == 1
    assert [a["operation"] for a in dt.history()][:2] == ["WRITE", "WRITE"]

    df = pl.read_delta(table_uri, storage_options=opts).sort("tx_id")
    assert df.height == 75
    assert df["tx_id"].to_list() == list(range(75))
    assert df["amount_cents"].sum() == sum(100 * i + 1 for i in range(75))

    first = pl.read_delta(table_uri, version=0, storage_options=opts)
    assert first.height == 50

    # overwrite replaces the rows but keeps the history
    write_deltalake(table_uri, _batch(1000, 3), mode="overwrite", storage_options=opts)
    now = pl.read_delta(table_uri, storage_options=opts)
    assert sorted(now["tx_id"].to_list()) == [1000, 1001, 1002]
    assert DeltaTable(table_uri, storage_options=opts).version() == 2
