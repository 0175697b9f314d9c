"""Delta Lake access for catalog tables: create, append, MERGE (upsert), read/time travel, delete, maintain.

Every function takes a catalog table (name or :class:`lake.catalog.Table`); the table lives at
``f"{settings.lake_uri}/{layer}/{short_name}"`` on local disk or S3 (``settings.storage_options()``,
which carries ``aws_conditional_put=etag`` so concurrent writers cannot overwrite each other's log
entries). Writes are conformed to the catalog schema first (:func:`conform`): missing or unknown
columns, lossy casts (float to money/integers) and nulls in non-nullable columns fail with a
:class:`SchemaEnforcementError` naming the column. Commits that lose a race with another writer
(``CommitFailedError``) are retried with jittered back-off, re-reading the table each time.
Parquet files are written with the settings' codec (ZSTD level 1 by default) and dictionary encoding
only on repeating string columns (:func:`writer_properties`); frames go to delta-rs as Arrow string
views, without copying string data.

Reads go through polars (``pl.read_delta``/``pl.scan_delta``), not ``to_pyarrow_table()``, which
sometimes aborts the interpreter at exit. deltalake panics in a forked child: use ``spawn``.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Literal, TypeVar

import polars as pl
import pyarrow as pa
from deltalake import ColumnProperties, CommitProperties, DeltaTable, WriterProperties, write_deltalake
from deltalake.exceptions import CommitFailedError, SchemaMismatchError, TableNotFoundError

from lake import buckets, layers, runinfo
from lake.catalog import DType, Table, get_table
from lake.settings import Settings, get_settings

T = TypeVar("T")
TableRef = str | Table
Codec = Literal["ZSTD", "SNAPPY", "LZ4_RAW", "UNCOMPRESSED"]  # the Parquet codecs the settings allow


class SchemaEnforcementError(ValueError):
    """A frame does not fit the catalog schema of the table it is written to."""


class TableMissingError(FileNotFoundError):
    """The catalog declares the table but nothing has been written to the lake yet."""


class CommitRetriesExhausted(RuntimeError):
    """A write kept losing commit races with other writers."""


# --- locations ----------------------------------------------------------------------------------


def table_uri(table: TableRef, settings: Settings | None = None) -> str:
    """``{lake_uri}/{layer}/{short_name}`` for a catalog table."""
    t = get_table(table)
    s = settings or get_settings()
    return f"{str(s.lake_uri).rstrip('/')}/{t.layer}/{t.short_name}"


def storage_options(settings: Settings | None = None) -> dict[str, str]:
    s = settings or get_settings()
    return s.storage_options()


def _open(table: TableRef, settings: Settings | None = None, version: int | None = None) -> DeltaTable:
    try:
        return DeltaTable(
            table_uri(table, settings), version=version, storage_options=storage_options(settings)
        )
    except TableNotFoundError:
        raise _missing(table, settings) from None


def _missing(table: TableRef, settings: Settings | None) -> TableMissingError:
    return TableMissingError(f"{get_table(table).name}: no Delta table at {table_uri(table, settings)}")


def exists(table: TableRef, settings: Settings | None = None) -> bool:
    return DeltaTable.is_deltatable(table_uri(table, settings), storage_options=storage_options(settings))


# --- schema enforcement -------------------------------------------------------------------------


def _lossy(src: DType, dst: DType) -> bool:
    """Float into money (Decimal) or integers would round silently: refuse it."""
    return src.is_float() and (dst.is_integer() or isinstance(dst, pl.Decimal))


def conform(table: TableRef, df: pl.DataFrame, settings: Settings | None = None) -> pl.DataFrame:
    """Select the catalog's columns in order and cast them to its dtypes, or fail clearly. A bucketed
    table's ``bucket`` is derived from ``customer_pk`` when ``df`` has none (:mod:`lake.buckets`)."""
    t = get_table(table)
    df = _bucketed(t, df, settings)
    missing = [c for c in t.column_names if c not in df.columns]
    extra = [c for c in df.columns if c not in t.column_names]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing columns {missing}")
        if extra:
            parts.append(f"unknown columns {extra}")
        raise SchemaEnforcementError(f"{t.name}: " + "; ".join(parts))
    out: list[pl.Series] = []
    for col in t.columns:
        s = df.get_column(col.name)
        if s.dtype != col.dtype:
            if _lossy(s.dtype, col.dtype):
                raise SchemaEnforcementError(
                    f"{t.name}.{col.name}: refusing lossy cast {s.dtype} -> {col.dtype} "
                    "(money is integer cents or Decimal, never float)"
                )
            try:
                cast = s.cast(col.dtype, strict=True)
            except pl.exceptions.PolarsError as exc:  # InvalidOperationError / ComputeError
                raise SchemaEnforcementError(
                    f"{t.name}.{col.name}: cannot cast {s.dtype} -> {col.dtype}: {str(exc).splitlines()[0]}"
                ) from None
            if cast.null_count() != s.null_count():
                bad = s.filter(cast.is_null() & s.is_not_null()).head(3).to_list()
                raise SchemaEnforcementError(
                    f"{t.name}.{col.name}: values do not fit {col.dtype}, e.g. {bad!r}"
                )
            s = cast
        if not col.nullable and s.null_count():
            raise SchemaEnforcementError(
                f"{t.name}.{col.name}: {s.null_count()} null value(s) in a non-nullable column"
            )
        out.append(s)
    return pl.DataFrame(out)


def _to_arrow(t: Table, df: pl.DataFrame) -> pa.Table:
    return df.to_arrow(compat_level=pl.CompatLevel.newest()).cast(_write_schema(t))


@functools.cache
def _write_schema(t: Table) -> pa.Schema:
    """The Arrow schema of the frames written to ``t``: polars' own export types (``string_view``:
    exporting them copies no string data, where ``large_string``/``string`` would copy every value;
    Delta stores all of them as ``string``) with the catalog's nullability."""
    exported = pl.DataFrame(schema=t.schema).to_arrow(compat_level=pl.CompatLevel.newest()).schema
    return pa.schema([pa.field(c.name, exported.field(c.name).type, nullable=c.nullable) for c in t.columns])


# A column chunk's dictionary may grow to this size before the writer gives up on it and falls back to
# plain encoding (Parquet writers default to 1 MiB). Pseudonyms are 64 hex characters, so 1 MiB holds
# about 16 k of them: silver.transactions' ~28 k customers and ~80 k counterparties per million rows fell
# back to plain text. At 8 MiB they stay dictionary-encoded: measured on 1 M silver.transactions rows,
# the file is 43 MB instead of 110 MB and the write takes 28% less CPU (bench/lake_pipeline.py).
DICTIONARY_PAGE_BYTES = 8 * 1024 * 1024


def writer_properties(settings: Settings | None = None, table: TableRef | None = None) -> WriterProperties:
    """Parquet writer options of every lake write: codec and level from settings; with ``table``,
    dictionary encoding only where it pays (:func:`_dictionary_columns`)."""
    codec, level = _compression(settings)
    columns = None
    if table is not None:
        t = get_table(table)
        keep = _dictionary_columns(t)
        columns = {c.name: ColumnProperties(dictionary_enabled=c.name in keep) for c in t.columns}
    return WriterProperties(
        compression=codec,
        compression_level=level,
        column_properties=columns,
        dictionary_page_size_limit=DICTIONARY_PAGE_BYTES,
    )


def _compression(settings: Settings | None) -> tuple[Codec, int | None]:
    """The settings' Parquet codec and its level (a level only for ZSTD)."""
    s = settings or get_settings()
    return s.lake_parquet_compression, (
        s.lake_parquet_compression_level if s.lake_parquet_compression == "ZSTD" else None
    )


def _dictionary_columns(t: Table) -> frozenset[str]:
    """String columns whose values repeat (enums, customer/counterparty pseudonyms, months): not the
    numbers, timestamps and booleans, nor a one-column primary key or ``source_record_id`` (unique per
    row). Measured on 2 M gold.transaction_features rows: writing takes 40% less CPU and the files are
    smaller than with dictionaries everywhere (arrow-rs tries a dictionary per column, then falls back)."""
    unique = set(t.primary_key) if len(t.primary_key) == 1 else set()
    return frozenset(
        c.name
        for c in t.columns
        if c.dtype == pl.String and c.name not in unique and c.name != "source_record_id"
    )


# --- commit retries -----------------------------------------------------------------------------


def _retrying(what: str, fn: Callable[[], T], settings: Settings | None = None) -> T:
    retries = (settings or get_settings()).lake_commit_retries
    delay = 0.05
    for attempt in range(retries + 1):
        try:
            return fn()
        except CommitFailedError as exc:
            if attempt == retries:
                raise CommitRetriesExhausted(f"{what}: gave up after {retries} retries: {exc}") from exc
            time.sleep(delay * (1 + random.random()))  # nosec B311 # retry jitter
            delay = min(delay * 2, 2.0)
        except SchemaMismatchError as exc:
            raise SchemaEnforcementError(
                f"{what}: the table in the lake was created with another schema than the catalog's ({exc}); "
                "a derived (silver/gold) table is rebuilt by removing it and re-running its asset"
            ) from exc
    raise AssertionError("unreachable")


def _commit_props(settings: Settings | None, metadata: dict[str, str] | None = None) -> CommitProperties:
    """Retries plus custom commit metadata: the caller's (watermark...) and the run id (:mod:`lake.runinfo`)."""
    custom = dict(metadata or {})
    run_id = runinfo.current_run_id()
    if run_id:
        custom.setdefault(runinfo.KEY, run_id)
    return CommitProperties(
        max_commit_retries=(settings or get_settings()).lake_commit_retries, custom_metadata=custom or None
    )


def _secure_layer(t: Table, settings: Settings | None) -> None:
    """Give a new table's layer directory its mode (bronze: owner only) on a local lake."""
    layers.secure_layer_dirs(str((settings or get_settings()).lake_uri), t.layer)


# --- writes -------------------------------------------------------------------------------------


def ensure_table(table: TableRef, settings: Settings | None = None) -> None:
    """Create the table empty with the catalog schema and partitions if it does not exist yet."""
    t = get_table(table)
    if exists(t, settings):
        return

    def create() -> None:
        if exists(t, settings):
            return
        _secure_layer(t, settings)
        DeltaTable.create(
            table_uri(t, settings),
            schema=t.arrow_schema,
            partition_by=list(t.partition_by) or None,
            mode="ignore",
            name=t.name,
            description=t.description,
            storage_options=storage_options(settings),
        )

    _retrying(f"create {t.name}", create, settings)


def append(
    table: TableRef,
    df: pl.DataFrame,
    settings: Settings | None = None,
    *,
    metadata: dict[str, str] | None = None,
) -> int:
    """Append rows (schema-enforced); returns the new table version. ``metadata`` goes into the commit."""
    t = get_table(table)
    data = _to_arrow(t, conform(t, df, settings))
    ensure_table(t, settings)

    def write() -> int:
        write_deltalake(
            table_uri(t, settings),
            data,
            mode="append",
            storage_options=storage_options(settings),
            commit_properties=_commit_props(settings, metadata),
            writer_properties=writer_properties(settings, t),
        )
        return version(t, settings)

    return _retrying(f"append {t.name}", write, settings)


def overwrite(
    table: TableRef,
    df: pl.DataFrame,
    *,
    predicate: str | None = None,
    settings: Settings | None = None,
    metadata: dict[str, str] | None = None,
) -> int:
    """Replace the table's rows (or only those matching ``predicate``, SQL over columns); rows of ``df``
    outside ``predicate`` are refused by delta-rs. ``metadata`` goes into the commit."""
    t = get_table(table)
    data = _to_arrow(t, conform(t, df, settings))
    ensure_table(t, settings)

    def write() -> int:
        write_deltalake(
            table_uri(t, settings),
            data,
            mode="overwrite",
            predicate=predicate,
            storage_options=storage_options(settings),
            commit_properties=_commit_props(settings, metadata),
            writer_properties=writer_properties(settings, t),
        )
        return version(t, settings)

    return _retrying(f"overwrite {t.name}", write, settings)


def replace_bucket(
    table: TableRef,
    df: pl.DataFrame,
    bucket: int,
    settings: Settings | None = None,
    *,
    metadata: dict[str, str] | None = None,
) -> dict[str, int]:
    """Replace one customer bucket's partition of a bucketed table with ``df`` (replace-where
    ``bucket = b``): one commit, so a bucket is rewritten whole or not at all, writers of other buckets
    commit beside it (their partitions do not overlap), and re-running a bucket gives the same rows.
    The rows must be one per primary key (a replace-where does not deduplicate: repeated keys are
    refused). Returns the rows written and the table version."""
    t = get_table(table)
    if not buckets.is_bucketed(t):
        raise ValueError(f"{t.name} has no {buckets.COLUMN} column")
    frame = conform(t, df, settings)
    other = frame.filter(pl.col(buckets.COLUMN) != bucket).height if frame.height else 0
    if other:
        raise ValueError(f"{t.name}: {other} row(s) of other buckets in the rows of bucket {bucket}")
    if has_duplicate_keys(frame, t.primary_key):
        raise ValueError(f"{t.name}: rows of bucket {bucket} repeat a primary key {list(t.primary_key)}")
    v = overwrite(t, frame, predicate=buckets.predicate(bucket), settings=settings, metadata=metadata)
    return {"written": frame.height, "version": v}


def _bucketed(t: Table, df: pl.DataFrame, settings: Settings | None) -> pl.DataFrame:
    return buckets.with_bucket(t, df, (settings or get_settings()).lake_buckets)


def _quote(col: str) -> str:
    # catalog column names are plain identifiers; delta-rs reads backticks as identifier quotes
    return f"`{col}`"


def merge(
    table: TableRef,
    df: pl.DataFrame,
    *,
    update: bool = True,
    key: Sequence[str] | None = None,
    settings: Settings | None = None,
    metadata: dict[str, str] | None = None,
    unique_keys: bool = False,
) -> dict[str, Any]:
    """Upsert by primary key: insert unmatched rows; with ``update`` also update changed matched rows.

    Matched rows are only rewritten when some non-key column differs (``IS DISTINCT FROM``), so a
    MERGE of identical data changes nothing. The source is deduplicated on the key (last row wins).
    A table without files takes a join-free insert (:func:`_insert_into_empty`, same metrics keys); a
    large first write into a table that does not exist yet is written in parallel (:func:`_create_with_files`).
    Returns delta-rs merge metrics (``num_target_rows_inserted``/``_updated``...). ``metadata``
    (string values) is stored in the commit info, e.g. a pipeline watermark committed atomically with the rows.
    ``unique_keys=True`` is the caller's promise that no two rows of ``df`` share the key (it built
    them one per key): the duplicate check (a distinct count of the keys, ~0.45 s at 10 M) is skipped.
    """
    t = get_table(table)
    keys = list(key or t.primary_key)
    src = conform(t, df, settings)
    if not unique_keys and has_duplicate_keys(src, keys):
        src = src.unique(subset=keys, keep="last", maintain_order=True)
    if not exists(t, settings):
        created = _create_with_files(t, src, settings, metadata)
        if created is not None:
            return created
    data = _to_arrow(t, src)
    ensure_table(t, settings)
    on = " AND ".join(f"t.{_quote(k)} = s.{_quote(k)}" for k in keys)
    non_keys = [c for c in t.column_names if c not in keys]
    changed = " OR ".join(f"(t.{_quote(c)} IS DISTINCT FROM s.{_quote(c)})" for c in non_keys)

    def run() -> dict[str, Any]:
        dt = _open(t, settings)
        if data.num_rows and not dt.file_uris():
            return _insert_into_empty(t, dt, data, settings, metadata)
        merger = dt.merge(
            source=data,
            predicate=on,
            source_alias="s",
            target_alias="t",
            commit_properties=_commit_props(settings, metadata),
            writer_properties=writer_properties(settings, t),
        )
        if update and non_keys:
            merger = merger.when_matched_update_all(predicate=changed)
        return merger.when_not_matched_insert_all().execute()

    return _retrying(f"merge {t.name}", run, settings)


def has_duplicate_keys(df: pl.DataFrame, keys: Sequence[str]) -> bool:
    """Whether two rows of ``df`` share ``keys`` (nulls equal). First a parallel count of distinct
    64-bit key hashes: as many as rows proves the keys distinct (the usual answer, about 2.5x cheaper
    than counting distinct strings and 5x cheaper than ``is_duplicated``); otherwise the keys
    themselves are counted, so a hash collision cannot report a duplicate that is not there."""
    if df.height < 2:
        return False
    keys = list(keys)
    key = pl.col(keys[0]) if len(keys) == 1 else pl.struct(keys)
    if df.lazy().select(key.hash().n_unique()).collect().item() == df.height:
        return False
    distinct = (
        df.lazy().select(pl.col(keys[0]).n_unique())
        if len(keys) == 1
        else df.lazy().group_by(keys).len().select(pl.len())
    )
    return bool(distinct.collect().item() < df.height)


BULK_ROWS = 100_000  # a first MERGE of this many rows into a new table writes its files in parallel


def _create_with_files(
    t: Table, src: pl.DataFrame, settings: Settings | None, metadata: dict[str, str] | None
) -> dict[str, Any] | None:
    """A MERGE into a table that does not exist yet only inserts: on a local lake its rows are written
    as parallel data files (:mod:`lake.delta_files`) and committed as the commit that creates the table.

    That commit is the table's version 0, which the log only takes if absent: if another writer
    created the table since :func:`merge` looked (even empty), it fails, the files are removed and
    None sends :func:`merge` to its usual path against the table as it now is. None as well for
    small frames, object stores and partition values the bulk path does not write.
    """
    from deltalake import Schema as DeltaSchema
    from deltalake.transaction import create_table_with_add_actions

    from lake import delta_files

    uri = table_uri(t, settings)
    if src.height < BULK_ROWS or not delta_files.supported(uri):
        return None
    _secure_layer(t, settings)
    codec, level = _compression(settings)
    actions = delta_files.write_files(
        uri,
        src,
        _write_schema(t),
        t.partition_by,
        compression=codec,
        compression_level=level,
        dictionary=sorted(_dictionary_columns(t)),
        dictionary_page_bytes=DICTIONARY_PAGE_BYTES,
    )
    if actions is None:
        return None
    try:
        create_table_with_add_actions(
            uri,
            DeltaSchema.from_arrow(t.arrow_schema),
            actions,
            mode="error",
            partition_by=list(t.partition_by) or None,
            name=t.name,
            description=t.description,
            storage_options=storage_options(settings),
            commit_properties=_commit_props(settings, metadata),
        )
    except Exception:
        committed = exists(t, settings) and bool(
            {a.path for a in actions}
            & set(pa.table(_open(t, settings).get_add_actions()).column("path").to_pylist())
        )
        if not committed:
            delta_files.remove_files(uri, actions)
            if not exists(t, settings):
                raise
            return None
    n = src.height
    return {
        "num_source_rows": n,
        "num_target_rows_inserted": n,
        "num_target_rows_updated": 0,
        "num_target_rows_deleted": 0,
        "num_target_rows_copied": 0,
        "num_output_rows": n,
    }


def _insert_into_empty(
    t: Table, dt: DeltaTable, data: pa.Table, settings: Settings | None, metadata: dict[str, str] | None
) -> dict[str, Any]:
    """A MERGE into a table without files only inserts: write the rows without the join.

    Written as an overwrite with predicate ``true`` on the empty snapshot just read: it removes
    nothing, and unlike a blind append its commit fails (and :func:`merge` retries as a real MERGE)
    if another writer added rows since, so concurrent first MERGEs cannot duplicate a key.
    """
    write_deltalake(
        dt,
        data,
        mode="overwrite",
        predicate="true",
        storage_options=storage_options(settings),
        commit_properties=_commit_props(settings, metadata),
        writer_properties=writer_properties(settings, t),
    )
    n = data.num_rows
    return {
        "num_source_rows": n,
        "num_target_rows_inserted": n,
        "num_target_rows_updated": 0,
        "num_target_rows_deleted": 0,
        "num_target_rows_copied": 0,
        "num_output_rows": n,
    }


def delete(table: TableRef, predicate: str, settings: Settings | None = None) -> dict[str, Any]:
    """Delete rows matching a SQL predicate (e.g. ``"customer_pk = 'ab12...'"``); returns metrics."""
    t = get_table(table)
    return _retrying(
        f"delete {t.name}",
        lambda: _open(t, settings).delete(predicate, commit_properties=_commit_props(settings)),
        settings,
    )


# --- reads --------------------------------------------------------------------------------------


def _version_arg(version: int | None, timestamp: datetime | str | None) -> int | str | datetime | None:
    if version is not None and timestamp is not None:
        raise ValueError("pass version or timestamp, not both")
    return version if version is not None else timestamp


def scan(
    table: TableRef,
    *,
    version: int | None = None,
    timestamp: datetime | str | None = None,
    settings: Settings | None = None,
) -> pl.LazyFrame:
    """Lazy frame over the current version (or a past ``version``/``timestamp``)."""
    t = get_table(table)
    if not exists(t, settings):
        raise _missing(t, settings)
    return pl.scan_delta(
        table_uri(t, settings),
        version=_version_arg(version, timestamp),
        storage_options=storage_options(settings) or None,
    )


def read(
    table: TableRef,
    *,
    version: int | None = None,
    timestamp: datetime | str | None = None,
    columns: list[str] | None = None,
    settings: Settings | None = None,
) -> pl.DataFrame:
    """Read the table (current version, or time travel by ``version`` or ``timestamp``)."""
    t = get_table(table)
    if not exists(t, settings):
        raise _missing(t, settings)
    return pl.read_delta(
        table_uri(t, settings),
        version=_version_arg(version, timestamp),
        columns=columns,
        storage_options=storage_options(settings) or None,
    )


def row_count(table: TableRef, *, version: int | None = None, settings: Settings | None = None) -> int:
    return int(scan(table, version=version, settings=settings).select(pl.len()).collect().item())


def version(table: TableRef, settings: Settings | None = None) -> int:
    """The table's current version number."""
    return _open(table, settings).version()


def version_at(table: TableRef, timestamp: datetime, settings: Settings | None = None) -> int:
    """The latest version committed at or before ``timestamp`` (UTC if naive)."""
    ts_ms = _epoch_ms(timestamp)
    candidates = [int(h["version"]) for h in history(table, settings=settings) if h["timestamp"] <= ts_ms]
    if not candidates:
        raise ValueError(f"{get_table(table).name}: no version at or before {timestamp.isoformat()}")
    return max(candidates)


def _epoch_ms(ts: datetime) -> int:
    from datetime import UTC

    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return int(ts.timestamp() * 1000)


def history(
    table: TableRef, limit: int | None = None, settings: Settings | None = None
) -> list[dict[str, Any]]:
    """Commits, newest first: version, timestamp (epoch ms), operation, parameters, metrics."""
    return sorted(_open(table, settings).history(limit), key=lambda h: h["version"], reverse=True)


# --- maintenance --------------------------------------------------------------------------------


DEFAULT_RETENTION_HOURS = 168  # Delta's delta.deletedFileRetentionDuration when a table sets none


def retention_hours(table: TableRef, settings: Settings | None = None) -> int:
    """The table's ``delta.deletedFileRetentionDuration`` in hours (Delta's default: 7 days)."""
    raw = _open(table, settings).metadata().configuration.get("delta.deletedFileRetentionDuration")
    if raw is None:
        return DEFAULT_RETENTION_HOURS
    n, unit = raw.removeprefix("interval ").split()[:2]
    hours = {"hour": 1, "hours": 1, "day": 24, "days": 24, "week": 168, "weeks": 168}.get(unit.lower())
    if hours is None:
        raise ValueError(f"{get_table(table).name}: unsupported retention {raw!r}")
    return int(n) * hours


def vacuum(
    table: TableRef,
    *,
    retention_hours: int | None = None,
    dry_run: bool = False,
    settings: Settings | None = None,
) -> list[str]:
    """Remove the files no longer referenced that are older than the retention.

    Default: the table's Delta retention (7 days unless the table says otherwise), so time travel
    within it keeps working. A shorter ``retention_hours`` (0: every unreferenced file) is the caller's
    explicit decision to cut time travel there."""
    return _open(table, settings).vacuum(
        retention_hours=retention_hours,
        enforce_retention_duration=retention_hours is None,
        dry_run=dry_run,
    )


def optimize(
    table: TableRef, *, z_order: Sequence[str] | None = None, settings: Settings | None = None
) -> dict[str, Any]:
    """Compact small files (or Z-order by ``z_order`` columns); returns delta-rs metrics."""
    t = get_table(table)

    def run() -> dict[str, Any]:
        opt = _open(t, settings).optimize
        props = _commit_props(settings)
        if z_order:
            return opt.z_order(
                list(z_order), commit_properties=props, writer_properties=writer_properties(settings, t)
            )
        return opt.compact(commit_properties=props, writer_properties=writer_properties(settings, t))

    return _retrying(f"optimize {t.name}", run, settings)


WriteMode = Literal["append", "merge", "overwrite"]


def write(
    table: TableRef, df: pl.DataFrame, mode: WriteMode = "merge", settings: Settings | None = None
) -> Any:
    """Dispatch to :func:`append`, :func:`merge` or :func:`overwrite`."""
    if mode == "append":
        return append(table, df, settings)
    if mode == "merge":
        return merge(table, df, settings=settings)
    if mode == "overwrite":
        return overwrite(table, df, settings=settings)
    raise ValueError(f"unknown write mode {mode!r}")
