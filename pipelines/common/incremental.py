"""Incremental reads: rows added to a Delta table since a version, and watermarks kept in commits.

A silver/gold write stores ``{"cofre.watermark": json({input table: version read})}`` in the
same Delta commit as its rows (``lake.delta.merge(..., metadata=...)``), so the watermark and the
data can never disagree, even if the process is killed between two writes. A bucketed table keeps
one watermark per customer bucket (:func:`bucket_key`), committed with that bucket's replace-where. The next run reads only
the files its inputs added after those versions; when no input moved it does nothing.
"""

from __future__ import annotations

import json

import polars as pl
from deltalake import DeltaTable

from lake import delta
from lake.catalog import get_table
from lake.settings import Settings

KEY = "cofre.watermark"


def watermark(table: str, settings: Settings, key: str = KEY) -> dict[str, int]:
    """Input versions recorded by the latest commit of ``table`` that carries a watermark under ``key``
    ({} if none; a bucket's is :func:`bucket_key`)."""
    if not delta.exists(table, settings):
        return {}
    for h in delta.history(table, limit=50 + 4 * settings.lake_buckets, settings=settings):
        if key in h:
            return {k: int(v) for k, v in json.loads(h[key]).items()}
    return {}


def bucket_key(bucket: int, n: int) -> str:
    """The commit-metadata key of one customer bucket's watermark (of ``n`` buckets: another bucket
    count is another partitioning, so its watermarks do not apply)."""
    return f"{KEY}.bucket.{bucket}.of.{n}"


def versions(tables: list[str], settings: Settings) -> dict[str, int]:
    return {t: (delta.version(t, settings) if delta.exists(t, settings) else -1) for t in tables}


def metadata(vers: dict[str, int], key: str = KEY) -> dict[str, str]:
    return {key: json.dumps(vers, sort_keys=True)}


def rows_between(
    table: str, since: int | None, until: int, settings: Settings, columns: list[str] | None = None
) -> pl.LazyFrame:
    """Rows in data files present at ``until`` but not at ``since`` (all rows if ``since`` is None/-1)."""
    t = get_table(table)
    cols = columns or [c for c in t.column_names if c not in t.partition_by]
    if until < 0:
        return pl.DataFrame(schema={c: t.schema[c] for c in cols}).lazy()
    uri, opts = delta.table_uri(t, settings), delta.storage_options(settings)
    if since is None or since < 0:
        return delta.scan(t, version=until, settings=settings).select(cols)
    old = set(DeltaTable(uri, version=since, storage_options=opts).file_uris())
    new = [f for f in DeltaTable(uri, version=until, storage_options=opts).file_uris() if f not in old]
    if not new:
        return pl.DataFrame(schema={c: t.schema[c] for c in cols}).lazy()
    return pl.scan_parquet(new, storage_options=opts or None, hive_partitioning=False).select(cols)
