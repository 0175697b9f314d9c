"""Audit stores: one AuditStore interface, two implementations chosen from settings.log_store_url.

* ``sqlite:///path``: embedded SQLite log store; appends serialise with BEGIN IMMEDIATE.
* ``mongodb://...``: MongoDB (FerretDB in the stack) via pymongo; chain order is kept by a
  sequence-counter document advanced with compare-and-set, so concurrent writers (threads or
  processes) can never fork the chain. Only plain CRUD is used, which FerretDB supports.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from serving.audit.chain import GENESIS, link_hash, payload_hash

FILTERS = ("actor", "action", "resource", "outcome", "request_id", "model_version")


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def make_event(
    *,
    actor: str | None,
    action: str,
    resource: str | None,
    outcome: str,
    model_version: str | None = None,
    request_id: str | None = None,
    details: dict[str, Any] | None = None,
    ts: str | None = None,
) -> dict[str, Any]:
    return {
        "ts": ts or now_iso(),
        "actor": actor,
        "action": action,
        "resource": resource,
        "outcome": outcome,
        "model_version": model_version,
        "request_id": request_id,
        "details": details or {},
    }


class AuditStore(Protocol):
    def append(self, event: dict[str, Any]) -> dict[str, Any]: ...
    def query(
        self, filters: dict[str, Any], since: str | None, until: str | None, limit: int, offset: int
    ) -> list[dict[str, Any]]: ...
    def chain(self) -> list[dict[str, Any]]: ...
    def redact(self, seq: int, fields: tuple[str, ...] = ("actor",)) -> None: ...
    def ping(self) -> None: ...
    def close(self) -> None: ...


def _public(e: dict[str, Any]) -> dict[str, Any]:
    out = {
        k: e.get(k)
        for k in (
            "seq",
            "ts",
            "actor",
            "action",
            "resource",
            "outcome",
            "model_version",
            "request_id",
            "details",
            "redacted",
        )
    }
    for k in ("payload_hash", "prev_hash", "hash"):
        out[k] = bytes(e[k]).hex()
    out["redacted"] = bool(out["redacted"])
    return out


class SQLiteAuditStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=60)
        self._conn.execute("PRAGMA journal_mode=WAL")
        # WAL + synchronous=NORMAL: a commit is atomic and ordered but not fsynced one by one (the
        # WAL is synced at checkpoints), so an OS crash can lose the newest events — the chain
        # stays consistent, only its tail is shorter. The embedded profile is for one machine;
        # the stack profile's MongoDB store is the durable one.
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=60000")
        self._conn.execute(
            """CREATE TABLE IF NOT EXISTS audit_events (
                seq INTEGER PRIMARY KEY, ts TEXT NOT NULL, actor TEXT, action TEXT NOT NULL,
                resource TEXT, outcome TEXT NOT NULL, model_version TEXT, request_id TEXT,
                details TEXT NOT NULL, payload_hash BLOB NOT NULL, prev_hash BLOB NOT NULL,
                hash BLOB NOT NULL, redacted INTEGER NOT NULL DEFAULT 0)"""
        )
        self._conn.execute("CREATE INDEX IF NOT EXISTS ix_audit_ts ON audit_events(ts)")

    @staticmethod
    def _row(r: sqlite3.Row | tuple) -> dict[str, Any]:
        keys = (
            "seq",
            "ts",
            "actor",
            "action",
            "resource",
            "outcome",
            "model_version",
            "request_id",
            "details",
            "payload_hash",
            "prev_hash",
            "hash",
            "redacted",
        )
        d = dict(zip(keys, r, strict=True))
        d["details"] = json.loads(d["details"])
        return d

    def append(self, event: dict[str, Any]) -> dict[str, Any]:
        ph = payload_hash(event)
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                head = self._conn.execute(
                    "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1"
                ).fetchone()
                seq, prev = (head[0] + 1, bytes(head[1])) if head else (1, GENESIS)
                h = link_hash(prev, ph)
                self._conn.execute(
                    "INSERT INTO audit_events VALUES (?,?,?,?,?,?,?,?,?,?,?,?,0)",
                    (
                        seq,
                        event["ts"],
                        event["actor"],
                        event["action"],
                        event["resource"],
                        event["outcome"],
                        event["model_version"],
                        event["request_id"],
                        json.dumps(event["details"], sort_keys=True),
                        ph,
                        prev,
                        h,
                    ),
                )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return {**event, "seq": seq, "payload_hash": ph, "prev_hash": prev, "hash": h, "redacted": False}

    def query(self, filters, since, until, limit, offset):  # noqa: ANN001, ANN201
        where, args = [], []
        for k in FILTERS:
            if filters.get(k) is not None:
                where.append(f"{k} = ?")
                args.append(filters[k])
        if since:
            where.append("ts >= ?")
            args.append(since)
        if until:
            where.append("ts < ?")
            args.append(until)
        sql = "SELECT * FROM audit_events" + (" WHERE " + " AND ".join(where) if where else "")  # nosec B608 # fixed columns
        sql += " ORDER BY seq LIMIT ? OFFSET ?"
        with self._lock:
            rows = self._conn.execute(sql, [*args, limit, offset]).fetchall()
        return [_public(self._row(r)) for r in rows]

    def chain(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._conn.execute("SELECT * FROM audit_events ORDER BY seq").fetchall()
        return [self._row(r) for r in rows]

    def redact(self, seq: int, fields: tuple[str, ...] = ("actor",)) -> None:
        cols = [f for f in fields if f in ("actor", "resource", "details")]
        sets = ", ".join(f"{c} = '{{}}'" if c == "details" else f"{c} = NULL" for c in cols)
        with self._lock:
            self._conn.execute(f"UPDATE audit_events SET {sets}, redacted = 1 WHERE seq = ?", (seq,))  # nosec B608 # columns from a fixed allow-list

    def ping(self) -> None:
        with self._lock:
            self._conn.execute("SELECT 1").fetchone()

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class MongoAuditStore:
    """Events are stored with ``_id = seq``: the insert of seq n+1 is the single atomic step (the
    unique _id refuses a second writer, which then reads that event's hash, moves on and retries).
    A one-document ``head`` collection holds a hint of the tail (seq, hash) read at start-up; the
    process then keeps the tail in memory. Neither the hint nor a compare-and-set is trusted for
    correctness: FerretDB v1 does not make a filtered update atomic, and it scans the whole
    collection even for an _id lookup, so the events collection is only read after a collision
    (several gateway processes), never on the normal path."""

    def __init__(self, url: str, db_name: str, collection: str = "audit_events") -> None:
        from pymongo import MongoClient

        self._client = MongoClient(url, serverSelectionTimeoutMS=5000, tz_aware=True)
        self._coll = self._client[db_name][collection]
        self._head = self._client[db_name][f"{collection}_head"]
        self._lock = threading.Lock()
        self._tail: tuple[int, bytes] | None = None

    def _read_hint(self) -> tuple[int, bytes]:
        hint = self._head.find_one({"_id": "head"})
        return (hint["seq"], bytes(hint["hash"])) if hint else (0, GENESIS)

    def append(self, event: dict[str, Any]) -> dict[str, Any]:
        from pymongo.errors import DuplicateKeyError

        ph = payload_hash(event)
        with self._lock:
            last, prev = self._tail or self._read_hint()
            for _ in range(100_000):
                seq, h = last + 1, link_hash(prev, ph)
                doc = {
                    **event,
                    "_id": seq,
                    "seq": seq,
                    "payload_hash": ph,
                    "prev_hash": prev,
                    "hash": h,
                    "redacted": False,
                }
                try:
                    self._coll.insert_one(doc)
                except DuplicateKeyError:
                    taken = self._coll.find_one({"_id": seq}, projection={"hash": 1})
                    last, prev = seq, bytes(taken["hash"])  # another writer holds seq: chain after it
                    continue
                self._tail = (seq, h)
                try:
                    self._head.update_one(
                        {"_id": "head", "seq": {"$lt": seq}}, {"$set": {"seq": seq, "hash": h}}, upsert=True
                    )
                except DuplicateKeyError:
                    pass  # the hint is already further on
                doc.pop("_id", None)
                return doc
        raise RuntimeError("could not append to the audit chain")

    def query(self, filters, since, until, limit, offset):  # noqa: ANN001, ANN201
        q: dict[str, Any] = {k: filters[k] for k in FILTERS if filters.get(k) is not None}
        if since or until:
            q["ts"] = {**({"$gte": since} if since else {}), **({"$lt": until} if until else {})}
        cur = self._coll.find(q, projection={"_id": 0}).sort("seq", 1).skip(offset).limit(limit)
        return [_public(d) for d in cur]

    def chain(self) -> list[dict[str, Any]]:
        return sorted(self._coll.find({}, projection={"_id": 0}), key=lambda e: e["seq"])

    def redact(self, seq: int, fields: tuple[str, ...] = ("actor",)) -> None:
        sets: dict[str, Any] = {f: ({} if f == "details" else None) for f in fields}
        self._coll.update_one({"seq": seq}, {"$set": {**sets, "redacted": True}})

    def ping(self) -> None:
        self._client.admin.command("ping")

    def close(self) -> None:
        self._client.close()


def open_audit_store(url: str, db_name: str) -> AuditStore:
    """The audit store for settings.log_store_url (sqlite:///path or mongodb://...)."""
    if url.startswith("mongodb://") or url.startswith("mongodb+srv://"):
        return MongoAuditStore(url, db_name)
    parsed = urlparse(url)
    if parsed.scheme != "sqlite":
        raise ValueError(f"unsupported log store URL {url!r}")
    return SQLiteAuditStore(Path(url[len("sqlite:///") :] if url.startswith("sqlite:///") else parsed.path))
