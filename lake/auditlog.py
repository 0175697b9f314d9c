"""The audit hash chain's definition and a read-only reader of the audit store, for the lake side.

One definition of the chain, shared by the gateway (serving.audit imports it) and the pipelines
(which may not import serving): ``payload_hash = SHA-256(canonical JSON of EVENT_FIELDS)`` and
``hash = SHA-256(prev_hash || payload_hash)``, the first prev_hash being 32 zero bytes. Because
the chain is over payload hashes, an event whose personal fields are redacted (LGPD erasure) still
verifies: only the check "fields match payload_hash" is skipped for redacted events.

:func:`read_events` reads the events of the store named by ``settings.log_store_url`` (SQLite file
or MongoDB/FerretDB, plain ``find`` only) in seq order, optionally for one UTC day.
:func:`verify_events` checks a chain of events (dicts with bytes hashes) and names the first bad one.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from lake.settings import Settings, get_settings

GENESIS = b"\x00" * 32
EVENT_FIELDS = ("ts", "actor", "action", "resource", "outcome", "model_version", "request_id", "details")
COLLECTION = "audit_events"


def canonical_json(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def event_fields(event: dict[str, Any]) -> dict[str, Any]:
    return {k: event.get(k) for k in EVENT_FIELDS}


def payload_hash(event: dict[str, Any]) -> bytes:
    return hashlib.sha256(canonical_json(event_fields(event))).digest()


def link_hash(prev_hash: bytes, payload: bytes) -> bytes:
    return hashlib.sha256(prev_hash + payload).digest()


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


def verify_chain(prev_hashes: list[bytes], payloads: list[bytes], hashes: list[bytes]) -> int | None:
    """``cofre_native.verify_chain`` (Rust, parallel; it falls back to Python itself when the
    extension is not built). :func:`verify_chain_py` is the reference it is tested against."""
    import cofre_native

    return cofre_native.verify_chain(prev_hashes, payloads, hashes)


def verify_events(
    events: Sequence[dict[str, Any]], *, start_seq: int = 1, start_prev: bytes = GENESIS
) -> dict[str, Any]:
    """Check stored events ordered by seq: links, genesis (or ``start_prev``), seq contiguity and,
    for events not redacted, that the fields still match their payload hash. Returns ``ok`` and,
    when broken, the first bad index/seq and the reason."""
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
    for i, e in enumerate(events):
        if not e.get("redacted") and payload_hash(e) != payloads[i]:
            candidates.append((i, "event fields do not match their payload hash"))
            break
    if not candidates:
        return {"ok": True, "length": n, "first_bad_index": None, "first_bad_seq": None, "reason": None}
    idx, reason = min(candidates)
    return {
        "ok": False,
        "length": n,
        "first_bad_index": idx,
        "first_bad_seq": events[idx].get("seq"),
        "reason": reason,
    }


# --- reading the store ----------------------------------------------------------------------------


def _day_bounds(day: date | None) -> tuple[str | None, str | None]:
    if day is None:
        return None, None
    return f"{day.isoformat()}T00:00:00", f"{(day + timedelta(days=1)).isoformat()}T00:00:00"


def _sqlite_path(url: str) -> Path:
    return Path(url[len("sqlite:///") :])


def read_events(settings: Settings | None = None, day: date | None = None) -> list[dict[str, Any]]:
    """Events of the audit store (all, or those whose ``ts`` falls on UTC ``day``), in seq order."""
    s = settings or get_settings()
    url = str(s.log_store_url)
    since, until = _day_bounds(day)
    if url.startswith("mongodb"):
        from pymongo import MongoClient

        client = MongoClient(url, serverSelectionTimeoutMS=5000, tz_aware=True)
        try:
            q: dict[str, Any] = {}
            if since:
                q["ts"] = {"$gte": since, "$lt": until}
            docs = list(client[s.log_store_db][COLLECTION].find(q, projection={"_id": 0}))
        finally:
            client.close()
        return sorted(docs, key=lambda e: e["seq"])
    path = _sqlite_path(url)
    if not path.exists():
        return []
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        sql = (
            "SELECT seq, ts, actor, action, resource, outcome, model_version, request_id, details, "
            "payload_hash, prev_hash, hash, redacted FROM audit_events"
        )
        args: list[Any] = []
        if since:
            sql += " WHERE ts >= ? AND ts < ?"
            args = [since, until]
        try:
            rows = con.execute(sql + " ORDER BY seq", args).fetchall()
        except sqlite3.OperationalError:  # the gateway never wrote: no table yet
            return []
    finally:
        con.close()
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
    out = []
    for r in rows:
        d = dict(zip(keys, r, strict=True))
        d["details"] = json.loads(d["details"])
        d["redacted"] = bool(d["redacted"])
        out.append(d)
    return out
