"""The audit hash chain's definition and a read-only reader of the audit store, for the lake side.

One definition of the chain, shared by the gateway (serving.audit imports it) and the pipelines
(which may not import serving). Links: ``hash = SHA-256(prev_hash || payload_hash)``, the first
prev_hash being 32 zero bytes (``cofre_native.verify_chain`` checks them). The payload hash has two
versions, named by the event's ``v``:

* **v2** (every event written since): the personal fields (``REDACTABLE``: actor, resource,
  details) are each committed to with a random 16-byte salt,
  ``c_f = SHA-256("cofre/audit/field/v2" 0x00 || f || 0x00 || salt_f || canonical JSON of the value)``,
  and ``payload_hash = SHA-256(canonical JSON of {"v": 2, ts, action, outcome, model_version,
  request_id, "commitments": {f: hex c_f}})``. The event stores its values, salts and commitments.
  Redacting field f removes its value and its salt and keeps ``c_f``: the payload hash still
  verifies, every remaining field is still checked against it, and without the salt the commitment
  says nothing about the erased value.
* **v1** (events of stores written before): ``payload_hash = SHA-256(canonical JSON of EVENT_FIELDS)``.
  Such an event verifies while none of its fields is removed.

Redaction is only valid when proven: it appends an ``audit:redaction`` event whose details carry
one **signed redaction record** per redacted event (:mod:`lake.audit.redaction`: seq, event hash,
hash version, the fields removed and the clear fields, signed with the installation's anchoring key).
:func:`verify_events` checks, for every event, that its fields match its payload hash, that its
``redacted`` flag matches the fields really removed, and that each removed field is covered by a
validly signed record in a later event of the same chain. So changing any remaining field of a
redacted event, setting or clearing its flag, or removing a field without a record is detected. A
rewrite of the chain's tail with every later link recomputed, or its truncation, is only visible
against an anchor (:mod:`lake.audit.trail`).

:func:`read_events` reads the events of the store named by ``settings.log_store_url`` (SQLite file
or MongoDB/FerretDB, plain ``find`` only) in seq order, optionally for one UTC day.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from lake.settings import Settings, get_settings

GENESIS = b"\x00" * 32
EVENT_FIELDS = ("ts", "actor", "action", "resource", "outcome", "model_version", "request_id", "details")
REDACTABLE = ("actor", "resource", "details")
CLEAR_FIELDS = ("ts", "action", "outcome", "model_version", "request_id")
HASH_VERSION = 2
SALT_BYTES = 16
FIELD_DOMAIN = b"cofre/audit/field/v2\x00"
COLLECTION = "audit_events"
REDACTION_ACTION = "audit:redaction"


def canonical_json(fields: Any) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def event_fields(event: dict[str, Any]) -> dict[str, Any]:
    return {k: event.get(k) for k in EVENT_FIELDS}


def hash_version(event: dict[str, Any]) -> int:
    return int(event.get("v") or 1)


def field_commitment(name: str, value: Any, salt: bytes) -> bytes:
    """The v2 commitment to one personal field."""
    return hashlib.sha256(FIELD_DOMAIN + name.encode() + b"\x00" + salt + canonical_json(value)).digest()


def payload_bytes_v2(event: dict[str, Any], commitments: dict[str, str]) -> bytes:
    doc = {k: event.get(k) for k in CLEAR_FIELDS}
    doc["v"] = 2
    doc["commitments"] = {f: commitments.get(f) for f in REDACTABLE}
    return canonical_json(doc)


def payload_bytes(event: dict[str, Any]) -> bytes:
    """The bytes whose SHA-256 is the event's payload hash (v1: all fields; v2: clear fields and
    the commitments of the personal ones)."""
    if hash_version(event) == 2:
        return payload_bytes_v2(event, event.get("commitments") or {})
    return canonical_json(event_fields(event))


def payload_hash(event: dict[str, Any]) -> bytes:
    """Payload hash of a stored event as its data stands (see the module docstring)."""
    return hashlib.sha256(payload_bytes(event)).digest()


def seal(event: dict[str, Any]) -> dict[str, Any]:
    """v2 hashing data of a new event: ``v``, fresh ``salts``, ``commitments`` and ``payload_hash``."""
    salts = {f: os.urandom(SALT_BYTES).hex() for f in REDACTABLE}
    commitments = {f: field_commitment(f, event.get(f), bytes.fromhex(salts[f])).hex() for f in REDACTABLE}
    ph = hashlib.sha256(payload_bytes_v2(event, commitments)).digest()
    return {"v": HASH_VERSION, "salts": salts, "commitments": commitments, "payload_hash": ph}


def is_empty(name: str, value: Any) -> bool:
    """Whether a personal field holds nothing (how a redacted field is stored)."""
    return value is None or (name == "details" and value == {})


def redacted_fields(event: dict[str, Any]) -> list[str]:
    """The personal fields removed from an event (v2: those without a salt; v1: all of them once
    the event is flagged redacted, as a v1 event cannot prove any of them)."""
    if hash_version(event) == 2:
        salts = event.get("salts") or {}
        return [f for f in REDACTABLE if f not in salts]
    return list(REDACTABLE) if event.get("redacted") else []


def clear_of(event: dict[str, Any]) -> dict[str, Any]:
    """The fields a redaction never removes, as a redaction record binds them."""
    return {k: event.get(k) for k in CLEAR_FIELDS}


def event_problem(event: dict[str, Any]) -> str | None:
    """What is wrong with one stored event on its own (fields vs payload hash, flag), or None."""
    stored = bytes(event["payload_hash"])
    version = hash_version(event)
    flagged = bool(event.get("redacted"))
    if version == 2:
        salts = event.get("salts") or {}
        commitments = event.get("commitments") or {}
        if set(commitments) != set(REDACTABLE) or not set(salts) <= set(REDACTABLE):
            return "event commitments are malformed"
        for f in REDACTABLE:
            if f in salts:
                try:
                    c = field_commitment(f, event.get(f), bytes.fromhex(salts[f])).hex()
                except (ValueError, TypeError):
                    return f"field {f} has a malformed salt"
                if c != commitments[f]:
                    return f"field {f} does not match its commitment"
            elif not is_empty(f, event.get(f)):
                return f"field {f} is marked redacted but holds a value"
        if payload_hash(event) != stored:
            return "event fields do not match their payload hash"
        if flagged != bool(redacted_fields(event)):
            return "redacted flag does not match the fields removed"
        return None
    if version != 1:
        return f"unknown hash version {version}"
    if not flagged:
        if payload_hash(event) != stored:
            return "event fields do not match their payload hash"
        return None
    for f in REDACTABLE:
        if not is_empty(f, event.get(f)):
            return f"field {f} of a redacted v1 event holds a value"
    return None


def verify_chain_py(
    prev_hashes: Sequence[bytes], payloads: Sequence[bytes], hashes: Sequence[bytes]
) -> int | None:
    """Index of the first broken link, or None when the whole chain holds."""
    if not len(prev_hashes) == len(payloads) == len(hashes):
        raise ValueError("prev_hashes, payloads and hashes must have the same length")
    for i, (prev, payload, h) in enumerate(zip(prev_hashes, payloads, hashes, strict=True)):
        if i > 0 and prev != hashes[i - 1]:
            return i
        if hashlib.sha256(prev + payload).digest() != h:
            return i
    return None


def link_hash(prev_hash: bytes, payload: bytes) -> bytes:
    return hashlib.sha256(prev_hash + payload).digest()


def verify_chain(prev_hashes: list[bytes], payloads: list[bytes], hashes: list[bytes]) -> int | None:
    """``cofre_native.verify_chain`` (Rust, parallel; it falls back to Python itself when the
    extension is not built). :func:`verify_chain_py` is the reference it is tested against."""
    import cofre_native

    return cofre_native.verify_chain(prev_hashes, payloads, hashes)


def own_public_key(settings: Settings | None = None) -> str:
    """The installation's audit signing key (the anchoring account, G...)."""
    from lake.audit.anchoring import public_key

    return public_key(settings or get_settings())


def verify_events(
    events: Sequence[dict[str, Any]],
    *,
    start_seq: int = 1,
    start_prev: bytes = GENESIS,
    public_key: str | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Check stored events ordered by seq: links, genesis (or ``start_prev``), seq contiguity, each
    event's fields and flag (:func:`event_problem`) and, for each redacted event, a signed
    redaction record (signer ``public_key``, default: this installation's anchoring key) in a later
    event of the chain. Returns ``ok``, counts and, when broken, the first bad index/seq and why."""
    from lake.audit import redaction as audit_redaction

    n = len(events)
    prevs = [bytes(e["prev_hash"]) for e in events]
    payloads = [bytes(e["payload_hash"]) for e in events]
    hashes = [bytes(e["hash"]) for e in events]
    candidates: list[tuple[int, str]] = []
    bad = verify_chain(prevs, payloads, hashes) if n else None
    if bad is not None:
        candidates.append((bad, "hash link broken"))
    if n and prevs[0] != start_prev:
        candidates.append((0, "first event does not start from the genesis hash"))
    for i, e in enumerate(events):
        if e.get("seq") != start_seq + i:
            candidates.append((i, f"sequence gap: expected seq {start_seq + i}, found {e.get('seq')}"))
            break
    redacted = [i for i, e in enumerate(events) if redacted_fields(e) or e.get("redacted")]
    for i, e in enumerate(events):
        problem = event_problem(e)
        if problem is not None:
            candidates.append((i, problem))
            break
    if redacted:
        key = public_key or own_public_key(settings)
        records = audit_redaction.records_in_chain(events)
        for i in redacted:
            problem = audit_redaction.proof_problem(events[i], records, key)
            if problem is not None:
                candidates.append((i, problem))
                break
    counts = {"redacted": len(redacted), "legacy_v1": sum(1 for e in events if hash_version(e) == 1)}
    if not candidates:
        return {
            "ok": True,
            "length": n,
            "first_bad_index": None,
            "first_bad_seq": None,
            "reason": None,
            **counts,
        }
    idx, reason = min(candidates)
    return {
        "ok": False,
        "length": n,
        "first_bad_index": idx,
        "first_bad_seq": events[idx].get("seq"),
        "reason": reason,
        **counts,
    }


# --- reading the store ----------------------------------------------------------------------------


def _day_bounds(day: date | None) -> tuple[str | None, str | None]:
    if day is None:
        return None, None
    return f"{day.isoformat()}T00:00:00", f"{(day + timedelta(days=1)).isoformat()}T00:00:00"


def _sqlite_path(url: str) -> Path:
    return Path(url[len("sqlite:///") :])


STORE_COLUMNS = (
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
V2_COLUMNS = ("v", "salts", "commitments")


def sqlite_row(keys: Sequence[str], row: Sequence[Any]) -> dict[str, Any]:
    """A SQLite audit row as an event dict (JSON columns parsed, flag as bool)."""
    d = dict(zip(keys, row, strict=True))
    d["details"] = json.loads(d["details"]) if d.get("details") is not None else None
    for k in ("salts", "commitments"):
        if d.get(k) is not None:
            d[k] = json.loads(d[k])
    d["v"] = int(d.get("v") or 1)
    d["redacted"] = bool(d["redacted"])
    return d


def read_events(
    settings: Settings | None = None, day: date | None = None, *, action: str | None = None
) -> list[dict[str, Any]]:
    """Events of the audit store (all, or those whose ``ts`` falls on UTC ``day``, or of one
    ``action``), in seq order."""
    s = settings or get_settings()
    url = str(s.log_store_url)
    since, until = _day_bounds(day)
    if url.startswith("mongodb"):
        from pymongo import MongoClient

        client: MongoClient[dict[str, Any]] = MongoClient(url, serverSelectionTimeoutMS=5000, tz_aware=True)
        try:
            q: dict[str, Any] = {}
            if since:
                q["ts"] = {"$gte": since, "$lt": until}
            if action:
                q["action"] = action
            docs = list(client[s.log_store_db][COLLECTION].find(q, projection={"_id": 0}))
        finally:
            client.close()
        for d in docs:
            d["v"] = int(d.get("v") or 1)
        return sorted(docs, key=lambda e: e["seq"])
    path = _sqlite_path(url)
    if not path.exists():
        return []
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        present = {r[1] for r in con.execute("PRAGMA table_info(audit_events)")}
        if not present:  # the gateway never wrote: no table yet
            return []
        keys = STORE_COLUMNS + tuple(c for c in V2_COLUMNS if c in present)
        sql = f"SELECT {', '.join(keys)} FROM audit_events"  # nosec B608 # fixed column names
        where, args = [], []
        if since:
            where.append("ts >= ? AND ts < ?")
            args += [since, until]
        if action:
            where.append("action = ?")
            args.append(action)
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = con.execute(sql + " ORDER BY seq", args).fetchall()
    finally:
        con.close()
    return [sqlite_row(keys, r) for r in rows]
