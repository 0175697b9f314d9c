"""The auditors' trail in the lake: audit events exported to ``audit.events``, daily Merkle roots,
inclusion proofs and verification of chain, proofs and Stellar anchors.

Definitions (stable: auditors rely on them):

* ``event_id`` = the event's chain hash (hex). ``payload`` = the canonical JSON of the event's fields,
  exactly the bytes whose SHA-256 is ``payload_hash``; ``event_hash = SHA-256(prev || payload_hash)``.
* The leaves of day D are the raw 32-byte ``event_hash`` values of the events whose ``ts`` falls on
  UTC day D, in ``seq`` order; the day's root is ``cofre_native.merkle_root(leaves)`` (RFC 6962:
  leaf = SHA-256(0x00 || event_hash), node = SHA-256(0x01 || l || r)). The root is anchored on
  Stellar (:mod:`lake.anchoring`) and recorded in ``audit.anchors``.
* A proof for an event is ``cofre_native.merkle_proof(leaves, index)``: the audit path from its
  leaf to the day's root; anyone holding the event hash, the path and the anchored root checks it
  with ``verify_merkle_proof`` without trusting the lake.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from typing import Any

import polars as pl

from lake import delta
from lake.auditlog import GENESIS, canonical_json, event_fields, read_events, verify_chain
from lake.catalog import get_table
from lake.settings import Settings, get_settings

EVENTS = "audit.events"
ANCHORS = "audit.anchors"


# --- export ------------------------------------------------------------------------------------


def _parse_ts(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone(UTC)


def event_rows(events: list[dict[str, Any]]) -> pl.DataFrame:
    """Rows of ``audit.events`` for store events (dicts with bytes hashes)."""
    rows = []
    for e in events:
        redacted = bool(e.get("redacted"))
        resource = e.get("resource")
        rtype, _, rid = (resource or "").partition(":")
        ts = _parse_ts(e["ts"])
        rows.append(
            {
                "event_id": bytes(e["hash"]).hex(),
                "seq": int(e["seq"]),
                "occurred_at": ts,
                "event_date": ts.date(),
                "actor_pk": e.get("actor"),
                "action": e["action"],
                "resource_type": rtype or None,
                "resource_id": rid or None,
                "outcome": e.get("outcome"),
                "payload": None if redacted else canonical_json(event_fields(e)).decode(),
                "payload_hash": bytes(e["payload_hash"]).hex(),
                "prev_hash": bytes(e["prev_hash"]).hex(),
                "event_hash": bytes(e["hash"]).hex(),
                "redacted": redacted,
                "anchor_tx": None,
            }
        )
    return pl.DataFrame(rows, schema=get_table(EVENTS).schema)


def export_day(day: date, settings: Settings | None = None) -> dict[str, Any]:
    """MERGE the store's events of ``day`` into audit.events by event_id (insert only: a re-run adds
    nothing). Returns counts and the table version."""
    s = settings or get_settings()
    events = read_events(s, day)
    if not events:
        delta.ensure_table(EVENTS, s)
        return {"day": day.isoformat(), "events": 0, "inserted": 0, "version": delta.version(EVENTS, s)}
    m = delta.merge(EVENTS, event_rows(events), update=False, settings=s)
    return {
        "day": day.isoformat(),
        "events": len(events),
        "inserted": int(m.get("num_target_rows_inserted", 0)),
        "version": delta.version(EVENTS, s),
    }


# --- Merkle ------------------------------------------------------------------------------------


def day_events(day: date, settings: Settings | None = None) -> pl.DataFrame:
    s = settings or get_settings()
    if not delta.exists(EVENTS, s):
        return pl.DataFrame(schema=get_table(EVENTS).schema)
    return delta.read(EVENTS, settings=s).filter(pl.col("event_date") == day).sort("seq")


def leaves_of(df: pl.DataFrame) -> list[bytes]:
    return [bytes.fromhex(h) for h in df.sort("seq").get_column("event_hash").to_list()]


def merkle_root(leaves: list[bytes]) -> bytes:
    import cofre_native

    return bytes(cofre_native.merkle_root(leaves))


def record_anchor(
    anchor: Any,
    *,
    leaf_count: int,
    first_seq: int,
    last_seq: int,
    submitted: bool,
    horizon_response: dict[str, Any] | None,
    settings: Settings | None = None,
) -> None:
    """Write the anchor to audit.anchors and stamp anchor_tx on the day's events."""
    s = settings or get_settings()
    row = pl.DataFrame(
        [
            {
                "day": anchor.day,
                "root": anchor.root.hex(),
                "leaf_count": leaf_count,
                "first_seq": first_seq,
                "last_seq": last_seq,
                "source_account": anchor.source_account,
                "envelope_xdr": anchor.envelope_xdr,
                "tx_hash": anchor.tx_hash,
                "submitted": submitted,
                "horizon_response": json.dumps(horizon_response, sort_keys=True)
                if horizon_response is not None
                else None,
                "anchored_at": datetime.now(UTC),
            }
        ],
        schema=get_table(ANCHORS).schema,
    )
    delta.merge(ANCHORS, row, settings=s)
    from deltalake import DeltaTable

    DeltaTable(delta.table_uri(EVENTS, s), storage_options=delta.storage_options(s)).update(
        updates={"anchor_tx": f"'{anchor.tx_hash}'"}, predicate=f"event_date = '{anchor.day.isoformat()}'"
    )


def anchors(settings: Settings | None = None) -> pl.DataFrame:
    s = settings or get_settings()
    if not delta.exists(ANCHORS, s):
        return pl.DataFrame(schema=get_table(ANCHORS).schema)
    return delta.read(ANCHORS, settings=s).sort("day", "anchored_at")


# --- proofs ------------------------------------------------------------------------------------


class EventNotFound(LookupError):
    pass


def prove(event_id: str, settings: Settings | None = None) -> dict[str, Any]:
    """Inclusion proof of an event in its day's Merkle tree, with the anchor of that root."""
    import cofre_native

    s = settings or get_settings()
    ev = delta.read(EVENTS, settings=s).filter(pl.col("event_id") == event_id.lower())
    if ev.height == 0:
        raise EventNotFound(f"no event {event_id!r} in {EVENTS}")
    row = ev.row(0, named=True)
    day_df = day_events(row["event_date"], s)
    leaves = leaves_of(day_df)
    index = day_df.get_column("event_id").to_list().index(row["event_id"])
    path = cofre_native.merkle_proof(leaves, index)
    root = merkle_root(leaves)
    anc = anchors(s).filter((pl.col("day") == row["event_date"]) & (pl.col("root") == root.hex()))
    anchor = anc.row(-1, named=True) if anc.height else None
    return {
        "event": {k: (v.isoformat() if isinstance(v, (date, datetime)) else v) for k, v in row.items()},
        "day": row["event_date"].isoformat(),
        "leaf": row["event_hash"],
        "leaf_index": index,
        "leaf_count": len(leaves),
        "proof": [{"sibling": bytes(h).hex(), "sibling_is_left": bool(left)} for h, left in path],
        "root": root.hex(),
        "anchor": None
        if anchor is None
        else {
            "tx_hash": anchor["tx_hash"],
            "source_account": anchor["source_account"],
            "submitted": anchor["submitted"],
            "envelope_xdr": anchor["envelope_xdr"],
        },
    }


def check_proof(proof: dict[str, Any]) -> bool:
    import cofre_native

    path = [(bytes.fromhex(p["sibling"]), bool(p["sibling_is_left"])) for p in proof["proof"]]
    return bool(
        cofre_native.verify_merkle_proof(bytes.fromhex(proof["leaf"]), path, bytes.fromhex(proof["root"]))
    )


# --- verification ------------------------------------------------------------------------------


def verify_rows(df: pl.DataFrame) -> dict[str, Any]:
    """Check the exported chain: links (native verify_chain), genesis, seq contiguity, event_id,
    payload vs payload_hash and the plain columns vs the payload. Names the first bad event."""
    df = df.sort("seq")
    rows = df.to_dicts()
    n = len(rows)
    if n == 0:
        return {"ok": True, "length": 0, "first_bad_seq": None, "first_bad_event_id": None, "reason": None}
    prevs = [bytes.fromhex(r["prev_hash"] or "") for r in rows]
    payloads = [bytes.fromhex(r["payload_hash"]) for r in rows]
    hashes = [bytes.fromhex(r["event_hash"]) for r in rows]
    cands: list[tuple[int, str]] = []
    try:
        bad = verify_chain(prevs, payloads, hashes)
    except ValueError as exc:
        bad = int(str(exc).split("record ")[1].split(":")[0]) if "record " in str(exc) else 0
    if bad is not None:
        cands.append((bad, "hash link broken"))
    first_seq = rows[0]["seq"]
    if first_seq == 1 and prevs[0] != GENESIS:
        cands.append((0, "first event does not start from the genesis hash"))
    for i, r in enumerate(rows):
        if r["seq"] != first_seq + i:
            cands.append((i, f"sequence gap: expected seq {first_seq + i}, found {r['seq']}"))
            break
    for i, r in enumerate(rows):
        if r["event_id"] != r["event_hash"]:
            cands.append((i, "event_id is not the event hash"))
            break
        if r["redacted"]:
            continue
        if r["payload"] is None or hashlib.sha256(r["payload"].encode()).hexdigest() != r["payload_hash"]:
            cands.append((i, "payload does not match its payload hash"))
            break
        fields = json.loads(r["payload"])
        if (fields.get("action"), fields.get("outcome"), fields.get("actor")) != (
            r["action"],
            r["outcome"],
            r["actor_pk"],
        ):
            cands.append((i, "columns action/outcome/actor_pk differ from the hashed payload"))
            break
    if not cands:
        return {
            "ok": True,
            "length": n,
            "first_seq": first_seq,
            "first_bad_seq": None,
            "first_bad_event_id": None,
            "reason": None,
        }
    idx, reason = min(cands)
    return {
        "ok": False,
        "length": n,
        "first_seq": first_seq,
        "first_bad_seq": rows[idx]["seq"],
        "first_bad_event_id": rows[idx]["event_id"],
        "reason": reason,
    }


def verify_anchors(
    df_events: pl.DataFrame, df_anchors: pl.DataFrame, public_key: str, passphrase: str
) -> list[dict[str, Any]]:
    """Per anchor: recomputed root equals the anchored one, the envelope carries that root under
    ``cofre-audit-<day>``, is signed by ``public_key`` and hashes to tx_hash."""
    from lake.anchoring import anchored_value, data_name, envelope_hash_hex, verify_signatures

    out = []
    envs = df_anchors.get_column("envelope_xdr").to_list()
    sig_err: str | None
    try:
        sig_ok = verify_signatures(envs, passphrase, public_key)
    except ValueError as exc:
        sig_ok = [False] * len(envs)
        sig_err = str(exc)
    else:
        sig_err = None
    for i, a in enumerate(df_anchors.to_dicts()):
        day_df = df_events.filter(pl.col("event_date") == a["day"]).sort("seq")
        problems = []
        recomputed = merkle_root(leaves_of(day_df)).hex()
        if recomputed != a["root"]:
            problems.append(f"events of the day give root {recomputed}, anchored root is {a['root']}")
        try:
            source, name, value = anchored_value(a["envelope_xdr"], passphrase)
            if value.hex() != a["root"] or name != data_name(a["day"]):
                problems.append("envelope does not carry this day's root")
            if source != public_key:
                problems.append(f"envelope source {source} is not the anchoring key")
            if envelope_hash_hex(a["envelope_xdr"], passphrase) != a["tx_hash"]:
                problems.append("tx_hash does not match the envelope")
        except ValueError as exc:
            problems.append(f"bad envelope: {exc}")
        if not sig_ok[i]:
            problems.append(
                "signature does not verify with the anchoring public key"
                + (f" ({sig_err})" if sig_err else "")
            )
        out.append(
            {
                "day": a["day"].isoformat(),
                "root": a["root"],
                "tx_hash": a["tx_hash"],
                "leaf_count": a["leaf_count"],
                "submitted": a["submitted"],
                "ok": not problems,
                "problems": problems,
            }
        )
    return out


def verify_all(
    settings: Settings | None = None, public_key: str | None = None, *, include_store: bool = False
) -> dict[str, Any]:
    """Chain of audit.events, every anchor (root, envelope, signature) and a proof per anchored day;
    optionally the store's own chain too."""
    from lake.anchoring import public_key as own_key

    s = settings or get_settings()
    events = (
        delta.read(EVENTS, settings=s)
        if delta.exists(EVENTS, s)
        else pl.DataFrame(schema=get_table(EVENTS).schema)
    )
    key = public_key or own_key(s)
    report: dict[str, Any] = {"public_key": key, "lake_chain": verify_rows(events)}
    report["anchors"] = verify_anchors(events, anchors(s), key, s.stellar_network_passphrase)
    proofs_ok = True
    for a in report["anchors"]:
        first = events.filter(pl.col("event_date") == date.fromisoformat(a["day"])).sort("seq")
        if first.height and not check_proof(prove(first.get_column("event_id")[0], s)):
            proofs_ok = False
    report["proofs_ok"] = proofs_ok
    if include_store:
        from lake.auditlog import verify_events

        report["store_chain"] = verify_events(read_events(s))
    report["ok"] = (
        report["lake_chain"]["ok"]
        and proofs_ok
        and all(a["ok"] for a in report["anchors"])
        and report.get("store_chain", {"ok": True})["ok"]
    )
    return report
