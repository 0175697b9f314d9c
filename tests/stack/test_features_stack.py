"""Feast on the local stack: PostgreSQL online store + SQL registry, gold Delta tables on SeaweedFS S3.

A unique Feast project and lake prefix per run; the project's online tables and registry entries and
the S3 objects are removed afterwards (the stack itself is left running).
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlparse

import numpy as np
import polars as pl
import pytest
from minio import Minio

from lake import delta
from lake.settings import load_settings
from sandbox import sample_gold as sg


@pytest.fixture
def settings(stack_settings, unique, tmp_path):
    s = load_settings(
        profile="stack",
        home=tmp_path,
        feast_project=f"it_{unique}",
        lake_uri=f"{stack_settings.lake_uri.rstrip('/')}/_it/features_{unique}",
    )
    yield s
    from features.store import get_store

    try:
        get_store(s).teardown()
    finally:
        ep = urlparse(s.s3_endpoint)
        client = Minio(
            ep.netloc,
            access_key=s.s3_access_key,
            secret_key=s.s3_secret_key.get_secret_value(),
            secure=ep.scheme == "https",
            region=s.s3_region,
        )
        bucket, _, key = str(s.lake_uri).removeprefix("s3://").partition("/")
        for obj in client.list_objects(bucket, prefix=key + "/", recursive=True):
            client.remove_object(bucket, obj.object_name)


def test_postgres_online_store_serves_the_current_delta_version(settings):
    from features.materialize import apply_and_materialize
    from features.online import online_features, online_row
    from features.store import get_store
    from features.training_sets import fraud_training_set

    s = settings
    assert get_store(s).config.online_store.type == "postgres"
    tx = sg.write_gold(s, np.random.default_rng(5), n_customers=4, per_customer=5)["tx"]
    end = sg.T0 + timedelta(days=2)
    report = apply_and_materialize(s, end=end, progress=lambda _m: None)
    assert {r["status"] for r in report.values()} == {"materialized"}

    c0 = sg.customer_pk(0)
    rows = tx.filter(pl.col("customer_pk") == c0).sort("booked_at")
    req = {"amount_cents": 10_000, "request_ts": end, "last_login_at": None, "last_device_change_at": None}
    got = online_features(
        "fraud_v1", [{"customer_pk": c0, "counterparty_pk": sg.counterparty_pk(77)}], req, settings=s
    )
    assert got["tx_count_30d"] == [rows["tx_count_30d"][-1]]
    assert got["is_first_time_counterparty"] == [True]
    entity = {"customer_pk": c0, "counterparty_pk": sg.counterparty_pk(77)}
    assert online_row("fraud_v1", entity, req, settings=s) == {k: v[0] for k, v in got.items()}

    delta.delete("gold.transaction_features", f"transaction_id = '{rows['transaction_id'][-1]}'", s)
    apply_and_materialize(s, end=end, progress=lambda _m: None)
    got = online_features(
        "fraud_v1", [{"customer_pk": c0, "counterparty_pk": sg.counterparty_pk(77)}], req, settings=s
    )
    assert got["tx_count_30d"] == [rows["tx_count_30d"][-2]]

    ts = fraud_training_set(s)  # offline over S3 through the Delta log
    assert ts.frame.height == tx.height - 1
