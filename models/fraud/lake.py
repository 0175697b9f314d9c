"""Fraud training set from the lake: Feast point-in-time join (service fraud_v1) over gold, pinned versions.

Entity rows are the labelled rows of gold.transaction_features at one Delta version; their request
fields (amount, new device, channel, type, direction, login/device-change times) come from the same
row, the customer's windows/daily features and the on-demand features from Feast
(:func:`features.training_sets.fraud_training_set`), so training sees what the gateway sees online.
"""

from __future__ import annotations

import polars as pl

from features.training_sets import TrainingSet, fraud_entities, fraud_training_set, resolve_versions
from lake import delta
from lake.settings import Settings

SERVICE = "fraud_v1"
REQUEST_COLUMNS = ("is_new_device", "channel", "type", "credit_debit_type")


def training_set(settings: Settings, versions: dict[str, int] | None = None) -> TrainingSet:
    """Labelled fraud_v1 rows (``booked_at`` = transaction time) and the gold versions read."""
    from features.training_sets import _tables_of

    tables = sorted({*_tables_of(SERVICE), "gold.transaction_features"})
    pinned = resolve_versions(settings, tables, versions)
    v = pinned["gold.transaction_features"]
    entity = fraud_entities(settings, v)
    extra = delta.read("gold.transaction_features", version=v, settings=settings).select(
        "transaction_id", *REQUEST_COLUMNS
    )
    entity = entity.join(extra, on="transaction_id", how="left")
    ts = fraud_training_set(settings, entity, versions=pinned, service=SERVICE)
    frame = ts.frame.with_columns(pl.col("request_ts").alias("booked_at")).sort("booked_at", "transaction_id")
    return TrainingSet(frame, ts.versions, SERVICE)
