"""The lake on S3 (SeaweedFS of the local stack): MERGE/delete/time travel, the DuckDB auditor and
concurrent writers from two spawned processes with conditional puts (aws_conditional_put=etag)."""

from __future__ import annotations

import multiprocessing as mp
import uuid

import pytest
from lake_helpers import concurrent_writer, transactions

TX = "silver.transactions"


def _s3_reachable(endpoint: str) -> bool:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    from lake.settings import get_settings

    s = get_settings()
    try:
        c = boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id=s.s3_access_key,
            aws_secret_access_key=s.s3_secret_key.get_secret_value(),
            region_name=s.s3_region,
            config=Config(connect_timeout=2, retries={"max_attempts": 1}),
        )
        names = {b["Name"] for b in c.list_buckets().get("Buckets", [])}
        if s.s3_lake_bucket not in names:
            c.create_bucket(Bucket=s.s3_lake_bucket)
        return True
    except (BotoCoreError, ClientError):
        return False


@pytest.fixture()
def s3_lake(monkeypatch, tmp_path):
    from lake.settings import get_settings

    monkeypatch.setenv("COFRE_PROFILE", "stack")
    monkeypatch.setenv("COFRE_HOME", str(tmp_path))
    prefix = f"s3://lake/test-{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("COFRE_LAKE_URI", prefix)
    get_settings.cache_clear()
    s = get_settings()
    if not _s3_reachable(s.s3_endpoint):
        pytest.fail(f"S3 of the local stack not reachable at {s.s3_endpoint}: run `make stack-up`")
    assert s.storage_options()["aws_conditional_put"] == "etag"
    return s


def test_merge_delete_time_travel_on_s3(s3_lake):
    from lake import auditor, delta

    assert delta.table_uri(TX).startswith("s3://lake/test-")
    delta.merge(TX, transactions(["t1", "t2", "t3"]))
    assert delta.merge(TX, transactions(["t1", "t2", "t3"]))["num_target_rows_inserted"] == 0
    v = delta.version(TX)
    delta.delete(TX, "transaction_id = 't2'")
    assert sorted(delta.read(TX)["transaction_id"]) == ["t1", "t3"]
    assert sorted(delta.read(TX, version=v)["transaction_id"]) == ["t1", "t2", "t3"]
    with auditor.connect() as aud:
        assert sorted(r[0] for r in aud.sql("SELECT transaction_id FROM silver.transactions").fetchall()) == [
            "t1",
            "t3",
        ]
        assert aud.sql(f"SELECT count(*) FROM silver.transactions AS OF VERSION {v}").fetchone() == (3,)
        # with the httpfs extension installed, S3 reads go through DuckDB's delta_scan (not the fallback)
        assert aud.uses_delta_scan


@pytest.mark.parametrize("mode", ["append", "merge"])
def test_concurrent_writers_on_s3_lose_nothing(s3_lake, mode):
    from lake import delta

    delta.ensure_table(TX)
    ctx = mp.get_context("spawn")
    rounds = 3
    procs = [ctx.Process(target=concurrent_writer, args=(w, rounds, mode, 10)) for w in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=180)
    assert [p.exitcode for p in procs] == [0, 0]
    ids = delta.read(TX)["transaction_id"]
    expected = 2 * rounds * 10 + (rounds if mode == "merge" else 0)
    assert ids.len() == ids.n_unique() == expected
