"""Audit stores: one AuditStore interface, two implementations chosen from settings.log_store_url.

* ``sqlite:///path``: embedded SQLite log store; appends serialise with BEGIN IMMEDIATE.
* ``mongodb://...``: MongoDB (FerretDB in the stack) via pymongo; chain order is kept by a
  sequence-counter document advanced with compare-and-set, so concurrent writers (threads or
  processes) can never fork the chain. Only plain CRUD is used, which FerretDB supports.

Events are written with hash version 2 (:func:`lake.audit.events.seal`: per-field salted commitments).
``redact_many`` removes personal fields and their salts, keeps the commitments and appends an
``audit:redaction`` event with one signed record per event (:mod:`lake.audit.redaction`), signed
by ``signer`` (the installation's anchoring keypair); SQLite does both in one transaction, MongoDB
appends the records first (a record whose fields are still there is harmless; a removal without a
record is what verification reports). Stores written before version 2 keep their v1 events; a
SQLite store gets the new columns (``v``, ``salts``, ``commitments``) when opened, and
``attest_legacy`` (``cofre audit migrate``) signs records, once, for the v1 events that were
already redacted.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from lake.audit import redaction as audit_redaction
from lake.audit.events import STORE_COLUMNS, V2_COLUMNS, hash_version, is_empty, sqlite_row
from serving.audit.chain import GENESIS, REDACTABLE, REDACTION_ACTION, link_hash, seal

FILTERS = ("actor", "action", "resource", "outcome", "request_id", "model_version")
COLUMNS = STORE_COLUMNS + V2_COLUMNS
Signer = Callable[[], Any]  # returns the stellar_sdk Keypair that signs redaction records


class RedactionError(RuntimeError):
    pass


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
    def redact_many(
        self, seqs: list[int], fields: tuple[str, ...] = ("actor",), reason: str = "redaction"
    ) -> int: ...
    def attest_legacy(self) -> dict[str, Any]: ...
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
    out["v"] = hash_version(e)
    return out


def plan_redaction(
    event: dict[str, Any], fields: tuple[str, ...], *, always: bool = False
) -> tuple[dict[str, Any], list[str]] | None:
    """(column updates, personal fields removed once done) for redacting ``fields`` of ``event``;
    None when nothing is left to remove (unless ``always``: then the record is made anyway). A v1
    event cannot prove a field it keeps, so all its personal fields go."""
    if hash_version(event) == 2:
        salts = dict(event.get("salts") or {})
        remove = [f for f in fields if f in salts]
        if not remove and not always:
            return None
        for f in remove:
            del salts[f]
        updates: dict[str, Any] = {f: ({} if f == "details" else None) for f in remove}
        updates["salts"] = salts
        removed = [f for f in REDACTABLE if f not in salts]
    else:
        done = bool(event.get("redacted")) and all(is_empty(f, event.get(f)) for f in REDACTABLE)
        if done and not always:
            return None
        updates = {f: ({} if f == "details" else None) for f in REDACTABLE}
        removed = list(REDACTABLE)
    updates["redacted"] = bool(removed)
    return updates, removed


def redaction_events(
    records: list[dict[str, Any]], signer_key: str, attestation: str | None = None
) -> list[dict[str, Any]]:
    """``audit:redaction`` events carrying ``records`` (chunks of RECORDS_PER_EVENT); an
    ``attestation`` (the legacy migration) is written even without records, as its marker."""
    n = audit_redaction.RECORDS_PER_EVENT
    extra = {"attestation": attestation} if attestation else {}
    return [
        make_event(
            actor=None,
            action=REDACTION_ACTION,
            resource="audit_events",
            outcome="done",
            details={"signer": signer_key, "records": records[i : i + n], **extra},
        )
        for i in range(0, max(len(records), 1 if attestation else 0), n)
    ]


def _legacy_targets(store: AuditStore, keypair: Any) -> list[int]:
    """Seqs of v1 events already redacted with no valid record; refuses a second attestation."""
    events = store.chain()
    if any(
        e.get("action") == REDACTION_ACTION
        and (e.get("details") or {}).get("attestation") == audit_redaction.LEGACY_REASON
        for e in events
    ):
        raise RedactionError("legacy redactions were already attested in this store: nothing is re-attested")
    records = audit_redaction.records_in_chain(events)
    return [
        int(e["seq"])
        for e in events
        if hash_version(e) == 1
        and e.get("redacted")
        and audit_redaction.proof_problem(e, records, keypair.public_key) is not None
    ]


class SQLiteAuditStore:
    def __init__(self, path: Path, signer: Signer | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._signer = signer
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
                hash BLOB NOT NULL, redacted INTEGER NOT NULL DEFAULT 0,
                v INTEGER NOT NULL DEFAULT 1, salts TEXT, commitments TEXT)"""
        )
        self._migrate()
        self._conn.execute("CREATE INDEX IF NOT EXISTS ix_audit_ts ON audit_events(ts)")

    def _migrate(self) -> None:
        """Columns of hash version 2 on a table created before it (existing rows stay v1)."""
        cols = {"v": "INTEGER NOT NULL DEFAULT 1", "salts": "TEXT", "commitments": "TEXT"}
        present = {r[1] for r in self._conn.execute("PRAGMA table_info(audit_events)")}
        if set(cols) <= present:
            return
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            present = {r[1] for r in self._conn.execute("PRAGMA table_info(audit_events)")}
            for name, decl in cols.items():
                if name not in present:
                    self._conn.execute(f"ALTER TABLE audit_events ADD COLUMN {name} {decl}")  # nosec B608 # fixed names and types
            self._conn.execute("COMMIT")
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise

    @staticmethod
    def _row(r: sqlite3.Row | tuple[Any, ...]) -> dict[str, Any]:
        return sqlite_row(COLUMNS, r)

    def _select(self, where: str = "", args: list[Any] | tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        sql = f"SELECT {', '.join(COLUMNS)} FROM audit_events {where}"  # nosec B608 # fixed columns; where: our clauses, values bound
        rows = self._conn.execute(sql, args).fetchall()
        return [self._row(r) for r in rows]

    def _append_locked(self, event: dict[str, Any]) -> dict[str, Any]:
        """Append inside an open transaction (the caller holds the lock)."""
        sealed = seal(event)
        ph = sealed["payload_hash"]
        head = self._conn.execute("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = (head[0] + 1, bytes(head[1])) if head else (1, GENESIS)
        h = link_hash(prev, ph)
        self._conn.execute(
            f"INSERT INTO audit_events ({', '.join(COLUMNS)}) VALUES ({','.join('?' * len(COLUMNS))})",  # nosec B608 # fixed columns
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
                0,
                sealed["v"],
                json.dumps(sealed["salts"], sort_keys=True),
                json.dumps(sealed["commitments"], sort_keys=True),
            ),
        )
        return {**event, **sealed, "seq": seq, "prev_hash": prev, "hash": h, "redacted": False}

    def append(self, event: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                out = self._append_locked(event)
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return out

    def query(
        self, filters: dict[str, Any], since: str | None, until: str | None, limit: int, offset: int
    ) -> list[dict[str, Any]]:
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
        sql = (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY seq LIMIT ? OFFSET ?"
        with self._lock:
            rows = self._select(sql, [*args, limit, offset])
        return [_public(r) for r in rows]

    def chain(self) -> list[dict[str, Any]]:
        with self._lock:
            return self._select("ORDER BY seq")

    def redact(self, seq: int, fields: tuple[str, ...] = ("actor",)) -> None:
        self.redact_many([seq], fields)

    def redact_many(
        self,
        seqs: list[int],
        fields: tuple[str, ...] = ("actor",),
        reason: str = "redaction",
        *,
        always: bool = False,
        attestation: str | None = None,
    ) -> int:
        """Remove ``fields`` from the events ``seqs`` and append the signed records, atomically.
        Returns how many events got a record."""
        fields = tuple(f for f in fields if f in REDACTABLE)
        if (not seqs or not fields) and not attestation:
            return 0
        keypair = _keypair(self._signer)
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                records = []
                wanted = sorted({int(s) for s in seqs})
                for i in range(0, len(wanted), 500):
                    chunk = wanted[i : i + 500]
                    rows = self._select(f"WHERE seq IN ({','.join('?' * len(chunk))})", chunk)
                    for e in rows:
                        plan = plan_redaction(e, fields, always=always)
                        if plan is None:
                            continue
                        updates, removed = plan
                        record = audit_redaction.make_record(e, removed, reason)
                        records.append(audit_redaction.sign(record, keypair))
                        sets = ", ".join(f"{k} = ?" for k in updates)
                        vals = [
                            json.dumps(v, sort_keys=True) if k in ("details", "salts") else v
                            for k, v in updates.items()
                        ]
                        sql = f"UPDATE audit_events SET {sets} WHERE seq = ?"  # nosec B608 # redactable columns, values bound
                        self._conn.execute(sql, [*vals, e["seq"]])
                for ev in redaction_events(records, keypair.public_key, attestation):
                    self._append_locked(ev)
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return len(records)

    def attest_legacy(self) -> dict[str, Any]:
        keypair = _keypair(self._signer)
        seqs = _legacy_targets(self, keypair)
        reason = audit_redaction.LEGACY_REASON
        n = self.redact_many(seqs, REDACTABLE, reason, always=True, attestation=reason)
        return {"attested": n, "seqs": seqs}

    def ping(self) -> None:
        with self._lock:
            self._conn.execute("SELECT 1").fetchone()

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _keypair(signer: Signer | None) -> Any:
    if signer is None:
        raise RedactionError(
            "redacting audit events needs the audit signing key (open the store with a signer)"
        )
    return signer()


class MongoAuditStore:
    """Events are stored with ``_id = seq``: the insert of seq n+1 is the single atomic step (the
    unique _id refuses a second writer, which then reads that event's hash, moves on and retries).
    A one-document ``head`` collection holds a hint of the tail (seq, hash) read at start-up; the
    process then keeps the tail in memory. Neither the hint nor a compare-and-set is trusted for
    correctness: FerretDB v1 does not make a filtered update atomic, and it scans the whole
    collection even for an _id lookup, so the events collection is only read after a collision
    (several gateway processes), never on the normal path."""

    def __init__(
        self, url: str, db_name: str, collection: str = "audit_events", signer: Signer | None = None
    ) -> None:
        from pymongo import MongoClient

        self._signer = signer
        self._client: MongoClient[dict[str, Any]] = MongoClient(
            url, serverSelectionTimeoutMS=5000, tz_aware=True
        )
        self._coll = self._client[db_name][collection]
        self._head = self._client[db_name][f"{collection}_head"]
        self._lock = threading.Lock()
        self._tail: tuple[int, bytes] | None = None

    def _read_hint(self) -> tuple[int, bytes]:
        hint = self._head.find_one({"_id": "head"})
        return (hint["seq"], bytes(hint["hash"])) if hint else (0, GENESIS)

    def append(self, event: dict[str, Any]) -> dict[str, Any]:
        from pymongo.errors import DuplicateKeyError

        sealed = seal(event)
        ph = sealed["payload_hash"]
        with self._lock:
            last, prev = self._tail or self._read_hint()
            for _ in range(100_000):
                seq, h = last + 1, link_hash(prev, ph)
                doc = {
                    **event,
                    **sealed,
                    "_id": seq,
                    "seq": seq,
                    "prev_hash": prev,
                    "hash": h,
                    "redacted": False,
                }
                try:
                    self._coll.insert_one(doc)
                except DuplicateKeyError:
                    taken = self._coll.find_one({"_id": seq}, projection={"hash": 1})
                    if taken is None:  # the duplicate was removed since: retry the same seq
                        continue
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

    def query(
        self, filters: dict[str, Any], since: str | None, until: str | None, limit: int, offset: int
    ) -> list[dict[str, Any]]:
        q: dict[str, Any] = {k: filters[k] for k in FILTERS if filters.get(k) is not None}
        if since or until:
            q["ts"] = {**({"$gte": since} if since else {}), **({"$lt": until} if until else {})}
        cur = self._coll.find(q, projection={"_id": 0}).sort("seq", 1).skip(offset).limit(limit)
        return [_public(d) for d in cur]

    def chain(self) -> list[dict[str, Any]]:
        return sorted(self._coll.find({}, projection={"_id": 0}), key=lambda e: e["seq"])

    def redact(self, seq: int, fields: tuple[str, ...] = ("actor",)) -> None:
        self.redact_many([seq], fields)

    def redact_many(
        self,
        seqs: list[int],
        fields: tuple[str, ...] = ("actor",),
        reason: str = "redaction",
        *,
        always: bool = False,
        attestation: str | None = None,
    ) -> int:
        """Append the signed records first, then remove the fields (see the module docstring)."""
        fields = tuple(f for f in fields if f in REDACTABLE)
        if (not seqs or not fields) and not attestation:
            return 0
        keypair = _keypair(self._signer)
        wanted = sorted({int(s) for s in seqs})
        docs = list(self._coll.find({"seq": {"$in": wanted}}, projection={"_id": 0}))
        plans = []
        records = []
        for e in sorted(docs, key=lambda d: d["seq"]):
            plan = plan_redaction(e, fields, always=always)
            if plan is None:
                continue
            updates, removed = plan
            records.append(audit_redaction.sign(audit_redaction.make_record(e, removed, reason), keypair))
            plans.append((e["seq"], updates))
        for ev in redaction_events(records, keypair.public_key, attestation):
            self.append(ev)
        for seq, updates in plans:
            self._coll.update_one({"seq": seq}, {"$set": updates})
        return len(records)

    def attest_legacy(self) -> dict[str, Any]:
        keypair = _keypair(self._signer)
        seqs = _legacy_targets(self, keypair)
        reason = audit_redaction.LEGACY_REASON
        n = self.redact_many(seqs, REDACTABLE, reason, always=True, attestation=reason)
        return {"attested": n, "seqs": seqs}

    def ping(self) -> None:
        self._client.admin.command("ping")

    def close(self) -> None:
        self._client.close()


def open_audit_store(url: str, db_name: str, signer: Signer | None = None) -> AuditStore:
    """The audit store for settings.log_store_url (sqlite:///path or mongodb://...); ``signer``
    returns the keypair that signs redaction records (needed only to redact)."""
    if url.startswith("mongodb://") or url.startswith("mongodb+srv://"):
        return MongoAuditStore(url, db_name, signer=signer)
    parsed = urlparse(url)
    if parsed.scheme != "sqlite":
        raise ValueError(f"unsupported log store URL {url!r}")
    path = Path(url[len("sqlite:///") :] if url.startswith("sqlite:///") else parsed.path)
    return SQLiteAuditStore(path, signer=signer)
