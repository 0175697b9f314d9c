"""Bronze framing: turn records as received (JSON text) into rows of a catalog bronze table.

A bronze row is ``record_id, source, consent_id, request_id, pulled_at, ingest_date, payload`` plus
the table's natural key columns. ``record_id = sha256(source|natural key|payload)``: pulling the same
record twice yields the same id, so bronze writes MERGE on ``record_id`` insert-only and a re-pull
adds nothing, while a changed record (new payload) is kept as a new row (bronze is append-only).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import polars as pl

from lake.catalog import Column, get_table


def dumps(obj: Any) -> str:
    """Canonical JSON text of a payload (keys as sent, no spaces)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=str)


def record_ids(source: str, keys: Sequence[Sequence[Any]], payloads: Sequence[str]) -> list[str]:
    """``sha256(source|key 1|...|key n|payload)`` of each record, hex."""
    sha = hashlib.sha256
    return [
        sha("|".join([source, *map(str, key), payload]).encode()).hexdigest()
        for key, payload in zip(keys, payloads, strict=True)
    ]


class BronzeBatch:
    """Accumulates records for one bronze table (thread-safe enough: append is atomic under the GIL)."""

    def __init__(self, table: str, source: str) -> None:
        self.table = get_table(table)
        self.source = source
        self.rows: list[tuple] = []

    def add(
        self,
        key: Sequence[Any],
        payload: str,
        *,
        request_id: str,
        pulled_at: datetime,
        consent_id: str | None = None,
    ) -> None:
        self.rows.append((tuple(key), payload, request_id, pulled_at, consent_id))

    def extend(
        self,
        items: Iterable[tuple[Sequence[Any], str]],
        *,
        request_id: str,
        pulled_at: datetime,
        consent_id: str | None = None,
    ) -> None:
        for key, payload in items:
            self.add(key, payload, request_id=request_id, pulled_at=pulled_at, consent_id=consent_id)

    def frame(self) -> pl.DataFrame:
        return bronze_frame(self.table.name, self.source, self.rows)


def bronze_frame(table: str, source: str, rows: Sequence[tuple]) -> pl.DataFrame:
    """Rows ``(key tuple, payload, request_id, pulled_at, consent_id)`` as a bronze frame."""
    t = get_table(table)
    nat = list(t.natural_key)
    keys = [r[0] for r in rows]
    payloads = [r[1] for r in rows]
    data: dict[str, Any] = {
        "record_id": record_ids(source, keys, payloads),
        "source": [source] * len(rows),
        "consent_id": [r[4] for r in rows],
        "request_id": [r[2] for r in rows],
        "pulled_at": [r[3] for r in rows],
        "payload": payloads,
    }
    for i, name in enumerate(nat):
        data[name] = [k[i] for k in keys]
    df = pl.DataFrame(
        data, schema_overrides={"consent_id": pl.String, "pulled_at": pl.Datetime("us", "UTC")}, strict=False
    )
    df = df.with_columns(pl.col("pulled_at").dt.date().alias("ingest_date"))

    def cast(c: Column) -> pl.Expr:
        if isinstance(c.dtype, pl.Datetime) and df.schema[c.name] == pl.String:
            return pl.col(c.name).str.to_datetime(time_unit="us", time_zone="UTC")
        return pl.col(c.name).cast(c.dtype)

    return df.select([cast(c) for c in t.columns]).unique("record_id", keep="first", maintain_order=True)


def now_utc() -> datetime:
    return datetime.now(UTC)
