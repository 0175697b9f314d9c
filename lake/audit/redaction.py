"""Signed redaction records: the proof that a field of an audit event was removed on purpose.

A record (``make_record``) names the event (``seq``, chain ``event_hash``, ``hash_version``), the
personal ``fields`` removed from it, the ``clear`` fields that stay (ts, action, outcome,
model_version, request_id, as they were) and a ``reason``. It is signed with the installation's
audit key, the Stellar anchoring account (ed25519; ``settings.stellar_secret_seed``), over
``"cofre/audit-redaction/v1" 0x00 || canonical JSON of the record`` (without ``signer``/``sig``),
so anyone holding the public key (``G...``, the same one that checks the anchors) verifies it and
nobody without the secret key can make one.

The audit store appends the records of one redaction as the details of an ``audit:redaction`` event
(``{"records": [...]}``, at most ``RECORDS_PER_EVENT`` per event), after the events they cover; the
lake keeps copies in ``audit.redactions``. A v1 event (no per-field commitments) cannot prove its
remaining fields, so a record for it covers all personal fields and its ``clear`` values are what
the verifier compares with the event's columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from lake.audit.events import (
    CLEAR_FIELDS,
    REDACTABLE,
    REDACTION_ACTION,
    canonical_json,
    clear_of,
    hash_version,
    redacted_fields,
)

KIND = "cofre-audit-redaction"
DOMAIN = b"cofre/audit-redaction/v1\x00"
LEGACY_REASON = "legacy-v1-redaction-attested"
RECORDS_PER_EVENT = 500


def make_record(event: dict[str, Any], fields: Iterable[str], reason: str) -> dict[str, Any]:
    """Unsigned record for ``event`` once ``fields`` are removed (v1 events: all personal fields)."""
    version = hash_version(event)
    removed = sorted(REDACTABLE) if version == 1 else sorted(set(fields))
    return {
        "kind": KIND,
        "seq": int(event["seq"]),
        "event_hash": bytes(event["hash"]).hex(),
        "hash_version": version,
        "fields": removed,
        "clear": clear_of(event),
        "reason": reason,
    }


def _message(record: dict[str, Any]) -> bytes:
    body = {k: v for k, v in record.items() if k not in ("signer", "sig")}
    return DOMAIN + canonical_json(body)


def sign(record: dict[str, Any], keypair: Any) -> dict[str, Any]:
    """The record with ``signer`` (G...) and ``sig`` (hex ed25519) from a stellar_sdk Keypair."""
    return {**record, "signer": keypair.public_key, "sig": keypair.sign(_message(record)).hex()}


def signature_ok(record: dict[str, Any], public_key: str) -> bool:
    from stellar_sdk import Keypair
    from stellar_sdk.exceptions import BadSignatureError

    if record.get("signer") != public_key or record.get("kind") != KIND:
        return False
    try:
        Keypair.from_public_key(public_key).verify(_message(record), bytes.fromhex(record.get("sig") or ""))
    except (BadSignatureError, ValueError):
        return False
    return True


def records_of(event: dict[str, Any]) -> list[dict[str, Any]]:
    """The records an ``audit:redaction`` event carries (none for other events)."""
    if event.get("action") != REDACTION_ACTION:
        return []
    details = event.get("details") or {}
    recs = details.get("records") if isinstance(details, dict) else None
    return [r for r in recs if isinstance(r, dict)] if isinstance(recs, list) else []


def records_in_chain(events: Sequence[dict[str, Any]]) -> dict[str, list[tuple[int, dict[str, Any]]]]:
    """event hash hex -> [(seq of the redaction event carrying it, record)] over a chain."""
    out: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for e in events:
        for r in records_of(e):
            out.setdefault(str(r.get("event_hash")), []).append((int(e["seq"]), r))
    return out


def _record_problem(
    record: dict[str, Any], *, seq: int, version: int, fields: Sequence[str], clear: dict[str, Any], key: str
) -> str | None:
    if record.get("seq") != seq or record.get("hash_version") != version:
        return "its redaction record names another event"
    if not set(fields) <= set(record.get("fields") or ()):
        return f"fields {sorted(set(fields) - set(record.get('fields') or ()))} were removed without a record"
    rc = record.get("clear") or {}
    changed = [k for k, v in clear.items() if rc.get(k) != v]
    if changed:
        return f"fields {changed} differ from those its redaction record signed"
    if not signature_ok(record, key):
        return "its redaction record is not signed by the audit key"
    return None


def proof_problem(
    event: dict[str, Any], records: dict[str, list[tuple[int, dict[str, Any]]]], public_key: str
) -> str | None:
    """Why a redacted store event is not proven by a later signed record, or None when it is."""
    seq = int(event["seq"])
    version = hash_version(event)
    fields = redacted_fields(event) or list(REDACTABLE)
    clear = {k: event.get(k) for k in CLEAR_FIELDS}
    found = [(rs, r) for rs, r in records.get(bytes(event["hash"]).hex(), []) if rs > seq]
    if not found:
        return "event is redacted but no signed redaction record covers it"
    problems = []
    for _, r in found:
        p = _record_problem(r, seq=seq, version=version, fields=fields, clear=clear, key=public_key)
        if p is None:
            return None
        problems.append(p)
    return "redacted event not proven: " + problems[-1]


def lake_record_problem(
    row: dict[str, Any],
    version: int,
    fields: Sequence[str],
    records: Sequence[dict[str, Any]],
    public_key: str,
) -> str | None:
    """Same check for a row of ``audit.events`` (hash ``version``, removed ``fields``, columns
    occurred_at, action, outcome) against the records kept in ``audit.redactions`` for its event."""
    from datetime import UTC, datetime

    def ts(value: Any) -> datetime | None:
        if value is None:
            return None
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)

    if not records:
        return "event is redacted but no signed redaction record covers it"
    problems = []
    for r in records:
        rc = r.get("clear") or {}
        clear = {"action": row.get("action"), "outcome": row.get("outcome")}
        occurred = row.get("occurred_at")
        if occurred is not None and occurred.tzinfo is None:
            occurred = occurred.replace(tzinfo=UTC)
        if ts(rc.get("ts")) != occurred:
            problems.append("fields ['ts'] differ from those its redaction record signed")
            continue
        p = _record_problem(
            r,
            seq=int(row["seq"]),
            version=version,
            fields=fields,
            clear=clear,
            key=public_key,
        )
        if p is None:
            return None
        problems.append(p)
    return "redacted event not proven: " + problems[-1]
