"""Feast offline store that reads the lake's gold Delta tables through the Delta log (delta-rs via polars).

Why not Feast's own stores: the ``file`` (dask) store reads a Delta folder as plain parquet and serves
rows that the Delta log has removed; the ``duckdb`` store needs ``ibis-framework`` (not a dependency
here) and DuckDB's ``delta`` extension, which cannot be downloaded on this machine; neither can pin a
table version, which reproducible training sets need.

A feature view's batch source is a ``FileSource(file_format=DeltaFormat())`` whose ``name`` is the
catalog table (``"gold.customer_day"``). :class:`DeltaOfflineStore` resolves the table's location from
``offline_store.lake_uri`` (settings' lake URI, storage options for S3 from the settings object, never
written to YAML) and reads it with ``pl.scan_delta`` at the current version, or at the version pinned in
``offline_store.versions`` (time travel). :data:`DERIVED` adds the availability timestamps that make
daily aggregates point-in-time correct.

Point-in-time join (:func:`point_in_time_join`): for every entity row, the latest feature row with
``event ts <= entity ts`` and, with a TTL, ``event ts >= entity ts - ttl``; ties on the event time go to
the latest ``created_timestamp_column``. Implemented with polars ``join_asof`` per feature view.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import pandas as pd
import polars as pl
import pyarrow as pa
from feast.data_source import DataSource
from feast.feature_view import FeatureView
from feast.infra.offline_stores.offline_store import OfflineStore, RetrievalJob, RetrievalMetadata
from feast.infra.offline_stores.offline_utils import infer_event_timestamp_from_entity_df
from feast.infra.registry.base_registry import BaseRegistry
from feast.on_demand_feature_view import OnDemandFeatureView
from feast.repo_config import FeastConfigBaseModel, RepoConfig

from lake.catalog import get_table

BRT = "America/Sao_Paulo"
TS = pl.Datetime("us", "UTC")


def _local_midnight_utc(date_col: str, days_after: int) -> pl.Expr:
    """``date_col + days_after`` at 00:00 in São Paulo, as a UTC timestamp."""
    return (
        pl.col(date_col)
        .cast(pl.Datetime("us"))
        .dt.offset_by(f"{days_after}d")
        .dt.replace_time_zone(BRT, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
    )


# Columns computed on read, per catalog table. A customer-day aggregate is complete only when the
# (São Paulo) day is over; credit features "use data strictly before as_of_date", so they are usable
# from as_of_date 00:00 on. Using the start of ``day`` would leak the rest of the day into a join.
DERIVED: dict[str, dict[str, pl.Expr]] = {
    "gold.customer_day": {"available_at": _local_midnight_utc("day", 1)},
    "gold.credit_features": {"available_at": _local_midnight_utc("as_of_date", 0)},
    "gold.counterparty_pairs": {"known_since": pl.col("first_seen_at")},
}


class DeltaOfflineStoreConfig(FeastConfigBaseModel):
    """``offline_store`` block: ``type: features.delta_source.DeltaOfflineStore``."""

    type: Literal["features.delta_source.DeltaOfflineStore"] = "features.delta_source.DeltaOfflineStore"
    lake_uri: str | None = None
    """Root of the lake (``settings.lake_uri``); None: ``get_settings().lake_uri``."""
    versions: dict[str, int] = {}
    """Catalog table -> Delta version to read (time travel); unlisted tables: current version."""


class TableVersionPinned(ValueError):
    """A pinned version does not exist (vacuumed or never written)."""


# lake_uri -> object-store options, registered by features.store.get_store(settings) so that secrets
# stay in memory (never in feature_store.yaml); the `feast` CLI falls back to get_settings().
_STORAGE_OPTIONS: dict[str, dict[str, str]] = {}


def register_storage_options(lake_uri: str, options: dict[str, str]) -> None:
    _STORAGE_OPTIONS[lake_uri.rstrip("/")] = dict(options)


def _storage_options(table_uri: str) -> dict[str, str] | None:
    if not table_uri.startswith("s3://"):
        return None
    for root, opts in _STORAGE_OPTIONS.items():
        if table_uri == root or table_uri.startswith(root + "/"):
            return opts or None
    from lake.settings import get_settings

    return get_settings().storage_options() or None


def source_table(source: DataSource) -> str:
    """The catalog table behind a batch source (its ``name``)."""
    return get_table(source.name).name


def table_location(config: RepoConfig, table: str) -> str:
    t = get_table(table)
    lake_uri = config.offline_store.lake_uri
    if lake_uri is None:
        from lake.settings import get_settings

        lake_uri = str(get_settings().lake_uri)
    return f"{lake_uri.rstrip('/')}/{t.layer}/{t.short_name}"


def scan_source(config: RepoConfig, source: DataSource) -> pl.LazyFrame:
    """The source's Delta table (pinned version if configured) with :data:`DERIVED` columns.

    Small integers are widened to Int32 (Feast has no 8/16-bit types); timestamps are UTC.
    """
    from lake.delta import TableMissingError

    table = source_table(source)
    uri = table_location(config, table)
    version = config.offline_store.versions.get(table)
    opts = _storage_options(uri)
    from deltalake import DeltaTable

    if not DeltaTable.is_deltatable(uri, storage_options=opts):
        raise TableMissingError(f"{table}: no Delta table at {uri} (has the pipeline filled it?)")
    try:
        lf = pl.scan_delta(uri, version=version, storage_options=opts)
        schema = lf.collect_schema()
    except Exception as exc:
        if version is not None:
            raise TableVersionPinned(f"{table}: cannot read version {version}: {exc}") from exc
        raise
    casts = []
    for name, dtype in schema.items():
        if dtype in (pl.Int8, pl.Int16, pl.UInt8, pl.UInt16):
            casts.append(pl.col(name).cast(pl.Int32))
        elif isinstance(dtype, pl.Datetime):
            tz = pl.col(name).dt.replace_time_zone("UTC") if dtype.time_zone is None else pl.col(name)
            casts.append(tz.dt.convert_time_zone("UTC").dt.cast_time_unit("us"))
    if casts:
        lf = lf.with_columns(casts)
    derived = DERIVED.get(table)
    if derived:
        lf = lf.with_columns(**derived)
    for old, new in (source.field_mapping or {}).items():
        lf = lf.rename({old: new})
    return lf


def _utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def _time_filter(lf: pl.LazyFrame, ts_col: str, start: datetime | None, end: datetime | None) -> pl.LazyFrame:
    if start is not None:
        lf = lf.filter(pl.col(ts_col) >= pl.lit(_utc(start)).cast(TS))
    if end is not None:
        lf = lf.filter(pl.col(ts_col) <= pl.lit(_utc(end)).cast(TS))
    return lf


def latest_per_key(lf: pl.LazyFrame, keys: list[str], ts_col: str, created_col: str | None) -> pl.LazyFrame:
    """One row per key: the latest event time, ties broken by the latest created time."""
    order = [ts_col] + ([created_col] if created_col else [])
    return lf.sort([*keys, *order], nulls_last=False).unique(subset=keys, keep="last", maintain_order=True)


class DeltaRetrievalJob(RetrievalJob):
    """A lazily computed arrow table (plus the ODFVs Feast applies on top)."""

    def __init__(
        self,
        compute: Callable[[], pa.Table],
        on_demand_feature_views: list[OnDemandFeatureView] | None = None,
        full_feature_names: bool = False,
        metadata: RetrievalMetadata | None = None,
    ) -> None:
        super().__init__()
        self._compute = compute
        self._odfvs = on_demand_feature_views or []
        self._full = full_feature_names
        self._metadata = metadata

    def _to_arrow_internal(self, timeout: int | None = None) -> pa.Table:
        return self._compute()

    def _to_df_internal(self, timeout: int | None = None) -> pd.DataFrame:
        return self._compute().to_pandas()

    @property
    def full_feature_names(self) -> bool:
        return self._full

    @property
    def on_demand_feature_views(self) -> list[OnDemandFeatureView]:
        return self._odfvs

    @property
    def metadata(self) -> RetrievalMetadata | None:
        return self._metadata

    def persist(self, storage: Any, allow_overwrite: bool = False, timeout: int | None = None) -> None:
        raise NotImplementedError(
            "saved datasets are not supported: training sets are rebuilt from pinned versions"
        )


def _to_arrow(df: pl.DataFrame) -> pa.Table:
    tbl = df.to_arrow()
    # Feast's arrow->proto conversion does not know the large/view string types polars emits.
    fields = []
    for f in tbl.schema:
        t = f.type
        if pa.types.is_large_string(t) or pa.types.is_string_view(t):
            t = pa.string()
        fields.append(pa.field(f.name, t))
    return tbl.cast(pa.schema(fields))


def point_in_time_join(
    entity: pl.DataFrame,
    ts_col: str,
    views: list[tuple[pl.LazyFrame, str, str | None, dict[str, str], list[str], list[str], timedelta | None]],
) -> pl.DataFrame:
    """Join each view's latest row at or before each entity row's timestamp (within its TTL).

    ``views``: (frame, event ts column, created ts column, source key -> entity key, source feature
    columns, output names, ttl).
    """
    out = entity.with_columns(pl.col(ts_col).cast(TS)).with_row_index("__row")
    for frame, fts, created, key_map, features, names, ttl in views:
        src_keys = list(key_map)
        ent_keys = [key_map[k] for k in src_keys]
        cols = [*src_keys, fts, *([created] if created else []), *features]
        f = frame.select(list(dict.fromkeys(cols)))
        f = f.rename({**{s: e for s, e in zip(src_keys, ent_keys, strict=True) if s != e}})
        f = latest_per_key(f.with_columns(pl.col(fts).alias("__fts")), [*ent_keys, "__fts"], "__fts", created)
        f = f.select(*ent_keys, "__fts", *[pl.col(c).alias(n) for c, n in zip(features, names, strict=True)])
        f = f.collect().sort("__fts")
        left = out.select("__row", *[pl.col(k).cast(f.schema[k]) for k in ent_keys], ts_col).sort(ts_col)
        joined = left.join_asof(
            f,
            left_on=ts_col,
            right_on="__fts",
            by=ent_keys,
            strategy="backward",
            tolerance=ttl if ttl else None,
            check_sortedness=False,
        )
        out = out.join(joined.select("__row", *names), on="__row", how="left")
    return out.sort("__row").drop("__row")


class DeltaOfflineStore(OfflineStore):
    """Offline store over the lake's Delta tables (see module docstring)."""

    @staticmethod
    def pull_latest_from_table_or_query(
        config: RepoConfig,
        data_source: DataSource,
        join_key_columns: list[str],
        feature_name_columns: list[str],
        timestamp_field: str,
        created_timestamp_column: str | None,
        start_date: datetime,
        end_date: datetime,
    ) -> RetrievalJob:
        def compute() -> pa.Table:
            cols = [*join_key_columns, *feature_name_columns, timestamp_field]
            if created_timestamp_column:
                cols.append(created_timestamp_column)
            lf = _time_filter(scan_source(config, data_source), timestamp_field, start_date, end_date)
            lf = latest_per_key(
                lf.select(list(dict.fromkeys(cols))),
                join_key_columns,
                timestamp_field,
                created_timestamp_column,
            )
            return _to_arrow(lf.collect())

        return DeltaRetrievalJob(compute)

    @staticmethod
    def pull_all_from_table_or_query(
        config: RepoConfig,
        data_source: DataSource,
        join_key_columns: list[str],
        feature_name_columns: list[str],
        timestamp_field: str,
        created_timestamp_column: str | None = None,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
    ) -> RetrievalJob:
        def compute() -> pa.Table:
            cols = [*join_key_columns, *feature_name_columns, timestamp_field]
            if created_timestamp_column:
                cols.append(created_timestamp_column)
            lf = _time_filter(scan_source(config, data_source), timestamp_field, start_date, end_date)
            return _to_arrow(lf.select(list(dict.fromkeys(cols))).collect())

        return DeltaRetrievalJob(compute)

    @staticmethod
    def get_historical_features(
        config: RepoConfig,
        feature_views: list[FeatureView],
        feature_refs: list[str],
        entity_df: pd.DataFrame | str | None,
        registry: BaseRegistry,
        project: str,
        full_feature_names: bool = False,
        **kwargs: Any,
    ) -> RetrievalJob:
        if not isinstance(entity_df, pd.DataFrame):
            raise ValueError(
                "DeltaOfflineStore needs an entity dataframe (pandas); SQL/None is not supported"
            )
        ts_col = infer_event_timestamp_from_entity_df(
            dict(zip(entity_df.columns, entity_df.dtypes, strict=True))
        )
        entity_pd = entity_df.copy()
        entity_pd[ts_col] = pd.to_datetime(entity_pd[ts_col], utc=True)
        odfvs = OnDemandFeatureView.get_requested_odfvs(feature_refs, project, registry)

        def compute() -> pa.Table:
            entity = pl.from_pandas(entity_pd)
            views = []
            for fv in feature_views:
                src = fv.batch_source
                prefix = fv.projection.name_to_use()
                feats = [r.split(":", 1)[1] for r in feature_refs if r.startswith(f"{prefix}:")]
                base = fv.projection.name_alias or fv.name
                names = [f"{base}__{f}" if full_feature_names else f for f in feats]
                key_map = fv.projection.join_key_map or {c.name: c.name for c in fv.entity_columns}
                views.append(
                    (
                        scan_source(config, src),
                        src.timestamp_field,
                        src.created_timestamp_column or None,
                        key_map,
                        feats,
                        names,
                        fv.ttl,
                    )
                )
            return _to_arrow(point_in_time_join(entity, ts_col, views))

        ts = entity_pd[ts_col]
        meta = RetrievalMetadata(
            features=feature_refs,
            keys=[c for c in entity_pd.columns if c != ts_col],
            min_event_timestamp=ts.min().to_pydatetime() if len(ts) else None,
            max_event_timestamp=ts.max().to_pydatetime() if len(ts) else None,
        )
        return DeltaRetrievalJob(
            compute, [o for o in odfvs if o.mode != "substrait"], full_feature_names, meta
        )

    @staticmethod
    def write_logged_features(
        config: RepoConfig, data: Any, source: Any, logging_config: Any, registry: BaseRegistry
    ) -> None:
        raise NotImplementedError("feature logging is not written to the lake by Feast")

    @staticmethod
    def offline_write_batch(
        config: RepoConfig, feature_view: FeatureView, table: pa.Table, progress: Callable[[int], Any] | None
    ) -> None:
        raise NotImplementedError("gold tables are written by the pipelines (lake.delta), not by Feast")
