"""Parquet data files for a Delta commit, encoded in parallel: the lake's bulk path for a table's first write.

delta-rs encodes a write on about one core; the first MERGE of a large silver/gold table (millions of
rows) instead goes through :func:`write_files`: the rows are split by partition and into files of at
most :data:`FILE_ROWS` rows, encoded on a thread pool with pyarrow (which releases the GIL), and
described by one ``AddAction`` per file with the partition values and the Delta file statistics
(``numRecords``, ``minValues``, ``maxValues``, ``nullCount``: what delta-rs, polars and DuckDB's
``delta_scan`` read to skip files), taken from the statistics pyarrow put in the file's footer
(:func:`stats_from_footer`; the rows are scanned only if the footer lacks some). :func:`lake.delta.merge` commits them as the table's creating
commit, so they are ordinary Delta files for reads, deletes, time travel and later MERGEs.

Local tables only (:func:`supported`): object stores keep delta-rs' own writer. The Parquet options
are the lake's (codec and level from settings, dictionary encoding on the columns
:func:`lake.delta._dictionary_columns` picks) with pyarrow's per-row-group column statistics.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from deltalake.transaction import AddAction

FILE_ROWS = 1_000_000  # rows per data file: several files per partition encode in parallel
ROW_GROUP_ROWS = 1024 * 1024
STRING_STAT_MAX = 64  # longer string minima/maxima are left out of the statistics (no skipping on them)
_SAFE_PARTITION = re.compile(r"^[A-Za-z0-9_.-]+$")  # values that need no escaping in a path


def supported(uri: str) -> bool:
    """Local tables only (an object store keeps delta-rs' writer)."""
    return "://" not in uri or uri.startswith("file://")


def threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def write_files(
    uri: str,
    df: pl.DataFrame,
    schema: pa.Schema,
    partition_by: Sequence[str],
    *,
    compression: str,
    compression_level: int | None,
    dictionary: Sequence[str],
    dictionary_page_bytes: int,
) -> list[AddAction] | None:
    """Write ``df`` (conformed to the table's columns; ``schema`` its Arrow write schema) as data files
    under ``uri``; the add actions, or None (nothing written) when a partition value is not a plain
    string, integer or date that needs no escaping in a path: the caller then lets delta-rs write."""
    root = Path(uri.removeprefix("file://"))
    parts = _partitions(df, list(partition_by))
    if parts is None:
        return None
    data_cols = [c for c in df.columns if c not in partition_by]
    file_schema = pa.schema([schema.field(c) for c in data_cols])
    jobs = [(values, rows, off) for values, rows in parts for off in range(0, rows, FILE_ROWS)]
    opts = {
        "compression": compression.lower(),
        "compression_level": compression_level,
        "use_dictionary": [c for c in dictionary if c in data_cols],
        "row_group_size": ROW_GROUP_ROWS,
        "store_schema": False,
        "store_decimal_as_integer": True,
        "dictionary_pagesize_limit": dictionary_page_bytes,
    }

    def one(job: tuple[dict[str, str | None], int, int]) -> AddAction:
        values, _, off = job
        # each worker gathers its own partition's rows (in parallel: polars releases the GIL)
        frame = (
            df.lazy()
            .filter(
                *[
                    pl.col(k).is_null() if v is None else pl.col(k) == _typed(df.schema[k], v)
                    for k, v in values.items()
                ]
            )
            .slice(off, FILE_ROWS)
            .collect()
        )
        rel = "/".join(f"{k}={'__HIVE_DEFAULT_PARTITION__' if v is None else v}" for k, v in values.items())
        name = f"part-00000-{uuid.uuid4()}-c000.{compression.lower()}.parquet"
        path = f"{rel}/{name}" if rel else name
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        body = frame.select(data_cols)
        pq.write_table(
            body.to_arrow(compat_level=pl.CompatLevel.newest()).cast(file_schema), root / path, **opts
        )
        stats = stats_from_footer(pq.read_metadata(root / path), body) or stats_json(body)
        return AddAction(
            path=path,
            size=(root / path).stat().st_size,
            partition_values=values,
            modification_time=int(time.time() * 1000),
            data_change=True,
            stats=stats,
        )

    if not jobs:
        return []
    with ThreadPoolExecutor(min(threads(), len(jobs)), thread_name_prefix="delta-files") as pool:
        return list(pool.map(one, jobs))


def remove_files(uri: str, actions: Sequence[AddAction]) -> None:
    """Delete data files that no commit references (a failed bulk write)."""
    root = Path(uri.removeprefix("file://"))
    for a in actions:
        (root / a.path).unlink(missing_ok=True)


def _partitions(df: pl.DataFrame, keys: list[str]) -> list[tuple[dict[str, str | None], int]] | None:
    """(partition values as Delta writes them, row count) per partition, in order of first appearance."""
    if not keys:
        return [({}, df.height)]
    if any(
        not (df.schema[k] == pl.String or df.schema[k] == pl.Date or df.schema[k].is_integer()) for k in keys
    ):
        return None
    out = []
    for row in df.lazy().group_by(keys, maintain_order=True).len().collect().iter_rows():
        values = {
            k: (None if v is None else v.isoformat() if isinstance(v, date) else str(v))
            for k, v in zip(keys, row[:-1], strict=True)
        }
        if any(v is not None and not _SAFE_PARTITION.match(v) for v in values.values()):
            return None
        out.append((values, int(row[-1])))
    return out


def _typed(dtype: pl.DataType, value: str) -> object:
    if dtype.is_integer():
        return int(value)
    return date.fromisoformat(value) if dtype == pl.Date else value


def stats_json(df: pl.DataFrame) -> str:
    """Delta ``stats`` of a data file's rows, as delta-rs writes them: numbers, strings (up to
    :data:`STRING_STAT_MAX` characters), booleans, dates and timestamps (milliseconds, the maximum
    rounded up so the range covers every value); NaN left out of float ranges."""
    cols = [
        c
        for c, t in df.schema.items()
        if t.is_numeric() or t in (pl.String, pl.Boolean, pl.Date) or isinstance(t, pl.Datetime)
    ]
    exprs = []
    for c in cols:
        e = pl.col(c).fill_nan(None) if df.schema[c].is_float() else pl.col(c)
        exprs += [
            e.min().alias(f"min:{c}"),
            e.max().alias(f"max:{c}"),
            pl.col(c).null_count().alias(f"null:{c}"),
        ]
    row = df.lazy().select(exprs).collect().row(0, named=True) if exprs else {}
    mins, maxs, nulls = {}, {}, {}
    for c in df.columns:
        nulls[c] = int(row[f"null:{c}"]) if c in cols else df.get_column(c).null_count()
    for c in cols:
        lo, hi = _stat_value(row[f"min:{c}"], up=False), _stat_value(row[f"max:{c}"], up=True)
        if lo is not None and hi is not None:
            mins[c], maxs[c] = lo, hi
    return json.dumps(
        {"numRecords": df.height, "minValues": mins, "maxValues": maxs, "nullCount": nulls},
        separators=(",", ":"),
    )


def stats_from_footer(md: pq.FileMetaData, df: pl.DataFrame) -> str | None:
    """:func:`stats_json` of a data file's rows read from the statistics the Parquet writer already put in
    its footer (per row group: min, max, null count), so the rows are not scanned a second time; None when
    the footer lacks some (a nested column, a column without statistics): the caller then scans.

    Equal to :func:`stats_json` (tested): the writer compares strings bytewise as polars does and leaves
    NaN out of float ranges; the same value conversions (:func:`_stat_value`) apply.
    """
    if md.num_columns != df.width or md.num_rows != df.height:
        return None
    mins: dict[str, object] = {}
    maxs: dict[str, object] = {}
    nulls: dict[str, int] = {}
    for i, (c, t) in enumerate(df.schema.items()):
        chunks = [md.row_group(g).column(i) for g in range(md.num_row_groups)]
        if any(
            ch.path_in_schema != c or ch.statistics is None or not ch.statistics.has_null_count
            for ch in chunks
        ):
            return None
        nulls[c] = sum(ch.statistics.null_count for ch in chunks)
        if not (t.is_numeric() or t in (pl.String, pl.Boolean, pl.Date) or isinstance(t, pl.Datetime)):
            continue
        ranged = [ch.statistics for ch in chunks if ch.statistics.has_min_max]
        # a row group with values but no range: for floats, all of them NaN (left out, as stats_json does)
        if not t.is_float() and len(ranged) != sum(
            1 for ch in chunks if ch.statistics.null_count < ch.num_values
        ):
            return None
        if ranged:
            lo = _stat_value(min(st.min for st in ranged), up=False)
            hi = _stat_value(max(st.max for st in ranged), up=True)
            if lo is not None and hi is not None:
                mins[c], maxs[c] = lo, hi
    return json.dumps(
        {"numRecords": df.height, "minValues": mins, "maxValues": maxs, "nullCount": nulls},
        separators=(",", ":"),
    )


def _stat_value(v: object, *, up: bool) -> object:
    if v is None:
        return None
    if isinstance(v, datetime):
        ms = v.replace(microsecond=v.microsecond // 1000 * 1000)
        if up and ms != v:
            ms += timedelta(milliseconds=1)
        if ms.tzinfo is not None:
            ms = ms.astimezone(UTC)
        return ms.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, float):
        return None if math.isnan(v) or math.isinf(v) else v
    if isinstance(v, str):
        return v if len(v) <= STRING_STAT_MAX else None
    return v
