"""Reproducible training sets from Feast point-in-time joins over pinned Delta table versions.

:func:`fraud_training_set` and :func:`credit_training_set` return a :class:`TrainingSet`: a polars frame
(entity columns, labels, features of the service, rows sorted deterministically) and ``versions``, the
Delta version read of every gold table involved. Passing those ``versions`` back reads the same table
versions (Delta time travel through :class:`features.delta_source.DeltaOfflineStore`), so retraining on
the same versions yields a bit-for-bit identical frame, whatever has been written to the lake since.

Fraud rows are the labelled rows of gold.transaction_features; they are joined at ``booked_at - 1 µs``
so that the customer's features are the state *before* the transaction, exactly what the online
store holds when the gateway scores it. Credit rows are the labelled rows of gold.credit_features,
joined when they become available (``as_of_date`` 00:00 in São Paulo).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import polars as pl

from lake import delta
from lake.settings import Settings

if TYPE_CHECKING:
    import pandas as pd
    from feast import FeatureService, FeatureStore

BRT = "America/Sao_Paulo"
FRAUD_LABELS = ("is_fraud", "fraud_scenario")
CREDIT_LABELS = ("label_defaulted_6m",)


@dataclass(frozen=True)
class TrainingSet:
    frame: pl.DataFrame
    versions: dict[str, int]
    service: str


def _tables_of(service: str) -> list[str]:
    from features import definitions

    svc = {s.name: s for s in definitions.SERVICES}[service]
    tables = set()
    for proj in svc.feature_view_projections:
        if proj.name in definitions.VIEW_TABLES:
            tables.add(definitions.VIEW_TABLES[proj.name])
    for odfv in definitions.ON_DEMAND_VIEWS:
        if odfv.name in {p.name for p in svc.feature_view_projections}:
            for src in odfv.source_feature_view_projections:
                tables.add(definitions.VIEW_TABLES[src])
    return sorted(tables)


def resolve_versions(
    settings: Settings, tables: list[str], versions: dict[str, int] | None
) -> dict[str, int]:
    """``versions`` for every table (current version where not given)."""
    given = dict(versions or {})
    return {t: int(given[t]) if t in given else delta.version(t, settings) for t in sorted(tables)}


def _store(settings: Settings, versions: dict[str, int], service: str) -> tuple[FeatureStore, FeatureService]:
    from feast.errors import FeatureServiceNotFoundException

    from features.materialize import apply
    from features.store import get_store

    store = get_store(settings, versions=versions)
    try:
        svc = store.get_feature_service(service)
    except FeatureServiceNotFoundException:
        apply(settings, progress=lambda _m: None)
        store = get_store(settings, versions=versions)
        svc = store.get_feature_service(service)
    return store, svc


def _historical(
    settings: Settings, service: str, entity: pd.DataFrame, versions: dict[str, int]
) -> pl.DataFrame:
    store, svc = _store(settings, versions, service)
    table = store.get_historical_features(entity_df=entity, features=svc).to_arrow()
    return pl.from_arrow(table)  # type: ignore[return-value]


def _to_pandas(df: pl.DataFrame | pd.DataFrame) -> pd.DataFrame:
    return df.to_pandas() if isinstance(df, pl.DataFrame) else df


def _minutes_before(ts: str, minutes: str) -> pl.Expr:
    return pl.col(ts) - pl.duration(microseconds=(pl.col(minutes) * 60_000_000).round(0).cast(pl.Int64))


def fraud_entities(settings: Settings, version: int) -> pl.DataFrame:
    """Labelled rows of gold.transaction_features at ``version`` as Feast entity/request rows."""
    tf = delta.read("gold.transaction_features", version=version, settings=settings)
    tf = tf.filter(pl.col("is_fraud").is_not_null())
    return tf.select(
        "transaction_id",
        "customer_pk",
        "counterparty_pk",
        (pl.col("booked_at") - timedelta(microseconds=1)).alias("event_timestamp"),
        pl.col("booked_at").alias("request_ts"),
        "amount_cents",
        _minutes_before("booked_at", "minutes_since_last_login").alias("last_login_at"),
        _minutes_before("booked_at", "minutes_since_device_change").alias("last_device_change_at"),
        *FRAUD_LABELS,
    )


def fraud_training_set(
    settings: Settings,
    entity_df: pl.DataFrame | pd.DataFrame | None = None,
    *,
    versions: dict[str, int] | None = None,
    service: str = "fraud_v1",
) -> TrainingSet:
    """Fraud training frame (labels + ``service`` features) and the gold versions read.

    ``entity_df`` (optional) must carry ``customer_pk``, ``counterparty_pk``, ``event_timestamp`` and the
    request fields (``amount_cents``, ``request_ts``, ``last_login_at``, ``last_device_change_at``);
    its other columns (labels) are kept.
    """
    tables = sorted({*_tables_of(service), "gold.transaction_features"})
    pinned = resolve_versions(settings, tables, versions)
    entity = fraud_entities(settings, pinned["gold.transaction_features"]) if entity_df is None else entity_df
    frame = _historical(settings, service, _to_pandas(entity), pinned)
    keys = [
        c
        for c in ("event_timestamp", "transaction_id", "customer_pk", "counterparty_pk")
        if c in frame.columns
    ]
    return TrainingSet(frame.sort(keys, nulls_last=True, maintain_order=True), pinned, service)


def credit_entities(settings: Settings, version: int) -> pl.DataFrame:
    """Labelled rows of gold.credit_features at ``version``: joined from ``as_of_date`` 00:00 BRT."""
    cf = delta.read("gold.credit_features", version=version, settings=settings)
    cf = cf.filter(pl.col("label_defaulted_6m").is_not_null())
    return cf.select(
        "customer_pk",
        "as_of_date",
        pl.col("as_of_date")
        .cast(pl.Datetime("us"))
        .dt.replace_time_zone(BRT)
        .dt.convert_time_zone("UTC")
        .alias("event_timestamp"),
        *CREDIT_LABELS,
    )


def credit_training_set(
    settings: Settings,
    entity_df: pl.DataFrame | pd.DataFrame | None = None,
    *,
    versions: dict[str, int] | None = None,
    service: str = "credit_v1",
) -> TrainingSet:
    """Credit training frame (label + ``service`` features) and the gold versions read."""
    tables = sorted({*_tables_of(service), "gold.credit_features"})
    pinned = resolve_versions(settings, tables, versions)
    entity = credit_entities(settings, pinned["gold.credit_features"]) if entity_df is None else entity_df
    frame = _historical(settings, service, _to_pandas(entity), pinned)
    keys = [c for c in ("event_timestamp", "customer_pk") if c in frame.columns]
    return TrainingSet(frame.sort(keys, nulls_last=True, maintain_order=True), pinned, service)
