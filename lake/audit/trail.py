"""The auditors' trail in the lake: audit events exported to ``audit.events``, daily Merkle roots,
inclusion proofs and verification of chain, proofs and Stellar anchors.

Definitions (stable: auditors rely on them):

* ``event_id`` = the event's chain hash (hex). ``payload`` = exactly the bytes whose SHA-256 is
  ``payload_hash`` (:mod:`lake.audit.events`: hash version 2, the clear fields and the commitments of the
  personal ones; version 1, the canonical JSON of all fields); ``event_hash = SHA-256(prev || payload_hash)``.
* The leaves of day D are the raw 32-byte ``event_hash`` values of the events whose ``ts`` falls on
  UTC day D, in ``seq`` order (an anchor covers those between its ``first_seq`` and ``last_seq``); the day's root is ``cofre_native.merkle_root(leaves)`` (RFC 6962:
  leaf = SHA-256(0x00 || event_hash), node = SHA-256(0x01 || l || r)). The root is anchored on
  Stellar (:mod:`lake.audit.anchoring`) and recorded in ``audit.anchors``.
* A proof for an event is ``cofre_native.merkle_proof(leaves, index)``: the audit path from its
  leaf to the day's root; anyone holding the event hash, the path and the anchored root checks it
  with ``verify_merkle_proof`` without trusting the lake.
* Events of hash version 2 (:mod:`lake.audit.events`) keep ``payload`` (clear fields and the personal
  fields' commitments, no personal data) even once redacted; their personal values and salts are in
  ``openings`` (JSON ``{field: {"value", "salt"}}``), which erasure removes. A redacted row needs a
  signed record in ``audit.redactions`` (:mod:`lake.audit.redaction`).
* Anchoring coverage (:func:`anchor_coverage`): the hash chain makes each anchored root vouch for
  every event up to the anchor's ``last_seq``. Verification reports the last anchored seq and root
  and flags every later event as unanchored: a rewrite of that tail with every later link
  recomputed, or its truncation, cannot be detected until it is anchored; before it, a rewrite
  breaks an anchored root and a truncation leaves an anchor pointing past the end of the chain.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from typing import Any

import polars as pl

from lake import delta
from lake.audit import redaction as audit_redaction
from lake.audit.events import (
    GENESIS,
    REDACTABLE,
    REDACTION_ACTION,
    field_commitment,
    hash_version,
    payload_bytes,
    read_events,
    verify_chain,
    verify_events,
)
from lake.catalog import get_table
from lake.settings import Settings, get_settings

EVENTS = "audit.events"
ANCHORS = "audit.anchors"
REDACTIONS = "audit.redactions"


# --- export ------------------------------------------------------------------------------------


def _parse_ts(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone(UTC)


def _split_resource(resource: str | None) -> tuple[str | None, str | None]:
    if resource is None:
        return None, None
    rtype, _, rid = resource.partition(":")
    return rtype or None, rid or None


def openings_of(e: dict[str, Any]) -> str | None:
    """JSON of the v2 event's personal fields still present, with their salts (None if none)."""
    salts = e.get("salts") or {}
    present = {f: {"value": e.get(f), "salt": salts[f]} for f in REDACTABLE if f in salts}
    return json.dumps(present, sort_keys=True, ensure_ascii=False) if present else None


def event_rows(events: list[dict[str, Any]]) -> pl.DataFrame:
    """Rows of ``audit.events`` for store events (dicts with bytes hashes)."""
    rows = []
    for e in events:
        redacted = bool(e.get("redacted"))
        v2 = hash_version(e) == 2
        rtype, rid = _split_resource(e.get("resource"))
        ts = _parse_ts(e["ts"])
        rows.append(
            {
                "event_id": bytes(e["hash"]).hex(),
                "seq": int(e["seq"]),
                "occurred_at": ts,
                "event_date": ts.date(),
                "actor_pk": e.get("actor"),
                "action": e["action"],
                "resource_type": rtype,
                "resource_id": rid,
                "outcome": e.get("outcome"),
                "payload": payload_bytes(e).decode() if v2 or not redacted else None,
                "payload_hash": bytes(e["payload_hash"]).hex(),
                "prev_hash": bytes(e["prev_hash"]).hex(),
                "event_hash": bytes(e["hash"]).hex(),
                "redacted": redacted,
                "anchor_tx": None,
                "openings": openings_of(e) if v2 else None,
            }
        )
    return pl.DataFrame(rows, schema=get_table(EVENTS).schema)


def ensure_columns(table: str, settings: Settings | None = None) -> None:
    """Add the catalog's nullable columns a table created by an older cofre lacks (``openings``)."""
    from deltalake import DeltaTable, Field
    from deltalake.schema import PrimitiveType

    s = settings or get_settings()
    if not delta.exists(table, s):
        return
    t = get_table(table)
    dt = DeltaTable(delta.table_uri(table, s), storage_options=delta.storage_options(s))
    have = {f.name for f in dt.schema().fields}
    missing = [f for f in t.arrow_schema if f.name not in have]
    if missing:
        dt.alter.add_columns([Field(f.name, PrimitiveType("string"), nullable=True) for f in missing])


def redaction_rows(records: list[dict[str, Any]]) -> pl.DataFrame:
    rows = [
        {
            "event_id": r["event_hash"],
            "seq": int(r["seq"]),
            "sig": r["sig"],
            "signer": r["signer"],
            "reason": r.get("reason"),
            "record": json.dumps(r, sort_keys=True, ensure_ascii=False),
            "recorded_at": datetime.now(UTC),
        }
        for r in records
    ]
    return pl.DataFrame(rows, schema=get_table(REDACTIONS).schema)


def add_redaction_records(records: list[dict[str, Any]], settings: Settings | None = None) -> int:
    """Keep signed redaction records in audit.redactions (insert only, by event and signature)."""
    if not records:
        return 0
    m = delta.merge(REDACTIONS, redaction_rows(records), update=False, settings=settings or get_settings())
    return int(m.get("num_target_rows_inserted", 0))


def lake_records(settings: Settings | None = None) -> dict[str, list[dict[str, Any]]]:
    """event_id -> the signed records kept in audit.redactions."""
    s = settings or get_settings()
    if not delta.exists(REDACTIONS, s):
        return {}
    out: dict[str, list[dict[str, Any]]] = {}
    for eid, rec in delta.read(REDACTIONS, columns=["event_id", "record"], settings=s).iter_rows():
        out.setdefault(eid, []).append(json.loads(rec))
    return out


def export_day(day: date, settings: Settings | None = None) -> dict[str, Any]:
    """MERGE the store's events of ``day`` into audit.events by event_id (insert only: a re-run adds
    nothing), with the store's signed records of those already redacted into audit.redactions.
    Returns counts and the table version."""
    s = settings or get_settings()
    ensure_columns(EVENTS, s)
    events = read_events(s, day)
    if not events:
        delta.ensure_table(EVENTS, s)
        return {"day": day.isoformat(), "events": 0, "inserted": 0, "version": delta.version(EVENTS, s)}
    m = delta.merge(EVENTS, event_rows(events), update=False, settings=s)
    redacted = {bytes(e["hash"]).hex() for e in events if e.get("redacted")}
    records = []
    if redacted:
        chain_records = audit_redaction.records_in_chain(read_events(s, action=REDACTION_ACTION))
        records = [r for h in sorted(redacted) for _, r in chain_records.get(h, [])]
    return {
        "day": day.isoformat(),
        "events": len(events),
        "inserted": int(m.get("num_target_rows_inserted", 0)),
        "redaction_records": add_redaction_records(records, s),
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


def _lake_row_problem(
    r: dict[str, Any], records: dict[str, list[dict[str, Any]]], key: str | None
) -> str | None:
    """What is wrong with one row of audit.events on its own (payload, columns, openings, flag,
    redaction record), or None."""
    if r["event_id"] != r["event_hash"]:
        return "event_id is not the event hash"
    payload = r.get("payload")
    try:
        doc = json.loads(payload) if payload is not None else None
    except ValueError:
        return "payload is not JSON"
    version = 2 if isinstance(doc, dict) and doc.get("v") == 2 else 1
    if payload is not None and hashlib.sha256(payload.encode()).hexdigest() != r["payload_hash"]:
        return "payload does not match its payload hash"
    occurred = r["occurred_at"]
    occurred = occurred.astimezone(UTC) if occurred.tzinfo else occurred.replace(tzinfo=UTC)
    try:
        hashed_ts = _parse_ts(str(doc.get("ts"))) if isinstance(doc, dict) else None
    except ValueError:
        return "the hashed payload's ts is malformed"
    if version == 2:
        assert doc is not None  # nosec B101 # type narrowing: version 2 means doc is a dict
        if (hashed_ts, doc.get("action"), doc.get("outcome")) != (occurred, r["action"], r["outcome"]):
            return "columns occurred_at/action/outcome differ from the hashed payload"
        try:
            openings = json.loads(r.get("openings") or "{}")
            commitments = doc.get("commitments") or {}
            for f, o in openings.items():
                if f not in REDACTABLE or field_commitment(f, o["value"], bytes.fromhex(o["salt"])).hex() != (
                    commitments.get(f)
                ):
                    return f"opening of {f} does not match its commitment"
        except (ValueError, TypeError, KeyError, AttributeError):
            return "openings are malformed"
        actor = openings["actor"]["value"] if "actor" in openings else None
        rtype, rid = (
            _split_resource(openings["resource"]["value"]) if "resource" in openings else (None, None)
        )
        if (r["actor_pk"], r["resource_type"], r["resource_id"]) != (actor, rtype, rid):
            return "columns actor_pk/resource_type/resource_id differ from the committed fields"
        removed = [f for f in REDACTABLE if f not in openings]
        if bool(r["redacted"]) != bool(removed):
            return "redacted flag does not match the fields removed"
        if not removed:
            return None
        if key is None:
            return "a redacted event cannot be checked without the audit public key"
        return audit_redaction.lake_record_problem(r, 2, removed, records.get(r["event_id"], []), key)
    if r.get("openings") is not None:
        return "a hash version 1 event has openings"
    if not r["redacted"]:
        if doc is None:
            return "payload does not match its payload hash"
        if (doc.get("action"), doc.get("outcome"), doc.get("actor")) != (
            r["action"],
            r["outcome"],
            r["actor_pk"],
        ):
            return "columns action/outcome/actor_pk differ from the hashed payload"
        if (hashed_ts, *_split_resource(doc.get("resource"))) != (
            occurred,
            r["resource_type"],
            r["resource_id"],
        ):
            return "columns occurred_at/resource_type/resource_id differ from the hashed payload"
        return None
    if payload is not None or r["actor_pk"] is not None or r["resource_id"] is not None or r["resource_type"]:
        return "a redacted hash version 1 event still holds personal columns"
    if key is None:
        return "a redacted event cannot be checked without the audit public key"
    return audit_redaction.lake_record_problem(r, 1, list(REDACTABLE), records.get(r["event_id"], []), key)


def verify_rows(
    df: pl.DataFrame,
    records: dict[str, list[dict[str, Any]]] | None = None,
    public_key: str | None = None,
) -> dict[str, Any]:
    """Check the exported chain: links (native verify_chain), genesis, seq contiguity, event_id,
    payload vs payload_hash, the plain columns and openings vs the payload, and for redacted rows a
    signed record (``records``: :func:`lake_records`, signer ``public_key``). Names the first bad event."""
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
        problem = _lake_row_problem(r, records or {}, public_key)
        if problem is not None:
            cands.append((i, problem))
            break
    redacted = sum(1 for r in rows if r["redacted"])
    if not cands:
        return {
            "ok": True,
            "length": n,
            "first_seq": first_seq,
            "first_bad_seq": None,
            "first_bad_event_id": None,
            "reason": None,
            "redacted": redacted,
        }
    idx, reason = min(cands)
    return {
        "ok": False,
        "length": n,
        "first_seq": first_seq,
        "first_bad_seq": rows[idx]["seq"],
        "first_bad_event_id": rows[idx]["event_id"],
        "reason": reason,
        "redacted": redacted,
    }


def _envelope_problems(
    df_anchors: pl.DataFrame, public_key: str, passphrase: str, contract_passphrase: str | None = None
) -> list[list[str]]:
    """Per anchor row: what is wrong with its envelope (root and name carried, source account,
    tx hash, signature by ``public_key``), independent of any events. Contract anchors (the
    ``audit_anchor`` contract on Soroban) are checked on ``contract_passphrase``'s network."""
    from lake.audit.anchoring import (
        anchored_value,
        data_name,
        envelope_hash_hex,
        is_contract_anchor,
        verify_signatures,
    )

    envs = df_anchors.get_column("envelope_xdr").to_list()
    networks = [
        contract_passphrase if contract_passphrase and is_contract_anchor(e) else passphrase for e in envs
    ]
    sig_ok = [False] * len(envs)
    sig_err: str | None = None
    for network in set(networks):
        idx = [i for i, n in enumerate(networks) if n == network]
        try:
            for i, ok in zip(
                idx, verify_signatures([envs[i] for i in idx], network, public_key), strict=True
            ):
                sig_ok[i] = ok
        except ValueError as exc:
            sig_err = str(exc)
    out = []
    for i, a in enumerate(df_anchors.to_dicts()):
        problems = []
        passphrase = networks[i]
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
        out.append(problems)
    return out


def verify_anchors(
    df_events: pl.DataFrame,
    df_anchors: pl.DataFrame,
    public_key: str,
    passphrase: str,
    contract_passphrase: str | None = None,
) -> list[dict[str, Any]]:
    """Per anchor: the root recomputed from the day's events it covers (seq first_seq..last_seq:
    events of the same day exported later belong to a later anchor) equals the anchored one, the
    envelope carries that root under ``cofre-audit-<day>``, is signed by ``public_key`` and hashes
    to tx_hash."""
    envelope = _envelope_problems(df_anchors, public_key, passphrase, contract_passphrase)
    out = []
    for a, problems in zip(df_anchors.to_dicts(), envelope, strict=True):
        day_df = df_events.filter(
            (pl.col("event_date") == a["day"]) & pl.col("seq").is_between(a["first_seq"], a["last_seq"])
        ).sort("seq")
        problems = list(problems)
        recomputed = merkle_root(leaves_of(day_df)).hex()
        if recomputed != a["root"]:
            problems.insert(0, f"events of the day give root {recomputed}, anchored root is {a['root']}")
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


def anchor_coverage(
    chain: list[tuple[int, date, bytes]],
    df_anchors: pl.DataFrame,
    public_key: str,
    passphrase: str,
    known_hashes: dict[int, tuple[date, bytes]] | None = None,
    contract_passphrase: str | None = None,
) -> dict[str, Any]:
    """How far a chain whose links already verify is anchored. ``chain`` is (seq, UTC day, event
    hash) in seq order. An anchor vouches for every event up to its ``last_seq`` (each event hash
    covers all before it): the chain's events of the anchor's day in [first_seq, last_seq] must give
    its root. Reports the last anchored seq, root, day and tx, the unanchored tail, and problems
    (an anchor whose envelope is bad, a chain that differs from an anchored root, or that ends
    before an anchored seq: truncated) with the first seq they make doubtful. ``known_hashes``
    (seq -> (day, event hash) exported to the lake) narrows that seq when the day's exported hashes
    reproduce the anchored root."""
    last_seq = chain[-1][0] if chain else 0
    by_seq = {seq: (day, h) for seq, day, h in chain}
    envelope = (
        _envelope_problems(df_anchors, public_key, passphrase, contract_passphrase)
        if df_anchors.height
        else []
    )
    anchors = sorted(
        zip(df_anchors.to_dicts(), envelope, strict=True),
        key=lambda x: (x[0]["last_seq"], x[0]["anchored_at"]),
    )
    good: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []
    for a, env_problems in anchors:
        where = f"the anchor of {a['day'].isoformat()} (tx {a['tx_hash']})"
        if env_problems:
            problems.append(
                {"first_bad_seq": None, "reason": f"{where} is not valid: {'; '.join(env_problems)}"}
            )
            continue
        after = max((g["last_seq"] for g in good), default=0) + 1
        if last_seq < a["last_seq"]:
            problems.append(
                {
                    "first_bad_seq": last_seq + 1,
                    "reason": f"chain truncated: {where} covers it up to seq {a['last_seq']}, "
                    f"it ends at seq {last_seq}",
                }
            )
            continue
        leaves = [
            by_seq[q][1]
            for q in range(a["first_seq"], a["last_seq"] + 1)
            if q in by_seq and by_seq[q][0] == a["day"]
        ]
        if len(leaves) != a["leaf_count"] or merkle_root(leaves).hex() != a["root"]:
            first = after
            rng = range(a["first_seq"], a["last_seq"] + 1)
            kh = known_hashes or {}
            known = [q for q in rng if q in kh and kh[q][0] == a["day"]]
            if known and merkle_root([kh[q][1] for q in known]).hex() == a["root"]:
                diff = [q for q in known if q not in by_seq or by_seq[q][1] != kh[q][1]]
                first = max(min(diff), after) if diff else first
            problems.append(
                {
                    "first_bad_seq": first,
                    "reason": f"chain differs from the root anchored by {where}: rewritten at or "
                    f"after seq {first}, up to seq {a['last_seq']}",
                }
            )
            continue
        good.append(a)
    firsts = [p["first_bad_seq"] for p in problems if p["first_bad_seq"] is not None]
    limit = min(firsts) - 1 if firsts else last_seq  # nothing after the first doubtful seq is vouched for
    vouching = [g for g in good if g["last_seq"] <= limit]
    best = max(vouching, key=lambda g: g["last_seq"]) if vouching else None
    through = best["last_seq"] if best else None
    first_bad = min(
        (p for p in problems if p["first_bad_seq"] is not None),
        key=lambda p: p["first_bad_seq"],
        default=None,
    )
    return {
        "ok": not problems,
        "anchored_through_seq": through,
        "anchored_root": best["root"] if best else None,
        "anchored_day": best["day"].isoformat() if best else None,
        "anchor_tx_hash": best["tx_hash"] if best else None,
        "unanchored_from_seq": (through or 0) + 1 if last_seq > (through or 0) else None,
        "unanchored_count": max(0, last_seq - (through or 0)),
        "anchors_checked": len(anchors),
        "anchor_problems": [p["reason"] for p in problems],
        "first_bad_seq": first_bad["first_bad_seq"] if first_bad else None,
        "reason": first_bad["reason"] if first_bad else (problems[0]["reason"] if problems else None),
    }


def _lake_known_hashes(df_events: pl.DataFrame) -> dict[int, tuple[date, bytes]]:
    return {
        int(q): (d, bytes.fromhex(h))
        for q, d, h in df_events.select("seq", "event_date", "event_hash").iter_rows()
    }


def verify_store_events(
    events: list[dict[str, Any]],
    settings: Settings | None = None,
    public_key: str | None = None,
) -> dict[str, Any]:
    """The audit store's chain (:func:`lake.audit.events.verify_events`: links, fields, flags, signed
    redaction records) and its anchoring coverage against audit.anchors. ``ok`` is false when the
    chain is broken or disagrees with an anchor; the unanchored tail is reported, not failed."""
    from lake.audit.anchoring import public_key as own_key

    s = settings or get_settings()
    key = public_key or own_key(s)
    status = verify_events(events, public_key=key)
    chain = [(int(e["seq"]), _parse_ts(e["ts"]).date(), bytes(e["hash"])) for e in events]
    try:
        df_anchors = anchors(s)
        known = None
        if df_anchors.height and delta.exists(EVENTS, s):
            cols = ["seq", "event_date", "event_hash"]
            known = _lake_known_hashes(delta.read(EVENTS, columns=cols, settings=s))
        cov = anchor_coverage(
            chain, df_anchors, key, s.stellar_network_passphrase, known, s.soroban_network_passphrase
        )
        cov["anchoring_error"] = None
    except Exception as exc:  # noqa: BLE001 - the lake is unreachable: the chain is still checked
        cov = anchor_coverage(chain, pl.DataFrame(schema=get_table(ANCHORS).schema), key, "")
        cov["anchoring_error"] = f"anchors unavailable ({type(exc).__name__}: {exc}): nothing is vouched for"
    out = {**status, **{k: v for k, v in cov.items() if k not in ("ok", "first_bad_seq", "reason")}}
    if status["ok"] and not cov["ok"]:
        out["ok"] = False
        out["first_bad_seq"] = cov["first_bad_seq"]
        out["first_bad_index"] = cov["first_bad_seq"] - 1 if cov["first_bad_seq"] is not None else None
        out["reason"] = cov["reason"]
    return out


def attest_legacy_lake(settings: Settings | None = None) -> dict[str, Any]:
    """One-time migration of the lake: sign records for hash-version-1 rows of audit.events that
    were redacted before records existed (clearing their resource_type, which nothing can prove).
    Refuses to run twice."""
    from lake.audit.anchoring import keypair

    s = settings or get_settings()
    if not delta.exists(EVENTS, s):
        return {"attested": 0}
    ensure_columns(EVENTS, s)
    recs = lake_records(s)
    if any(r.get("reason") == audit_redaction.LEGACY_REASON for rs in recs.values() for r in rs):
        raise RuntimeError("legacy redactions were already attested in the lake: nothing is re-attested")
    kp = keypair(s)
    df = delta.read(EVENTS, settings=s)
    todo = [
        r
        for r in df.to_dicts()
        if r["redacted"]
        and r["payload"] is None
        and audit_redaction.lake_record_problem(
            r, 1, list(REDACTABLE), recs.get(r["event_id"], []), kp.public_key
        )
    ]
    if not todo:
        return {"attested": 0}
    ids = [r["event_id"] for r in todo]
    fixed = df.with_columns(
        pl.when(pl.col("event_id").is_in(ids))
        .then(None)
        .otherwise(pl.col("resource_type"))
        .alias("resource_type"),
        pl.when(pl.col("event_id").is_in(ids))
        .then(None)
        .otherwise(pl.col("resource_id"))
        .alias("resource_id"),
        pl.when(pl.col("event_id").is_in(ids)).then(None).otherwise(pl.col("actor_pk")).alias("actor_pk"),
    )
    delta.overwrite(EVENTS, fixed, settings=s)
    records = [
        audit_redaction.sign(
            audit_redaction.make_record(lake_event(r), REDACTABLE, audit_redaction.LEGACY_REASON), kp
        )
        for r in todo
    ]
    add_redaction_records(records, s)
    return {"attested": len(records), "seqs": [r["seq"] for r in todo]}


def lake_event(r: dict[str, Any]) -> dict[str, Any]:
    """A store-like event dict for a row of audit.events (for making its redaction record): seq,
    hash, version and the clear fields (from the payload when there is one, else the columns)."""
    doc = json.loads(r["payload"]) if r.get("payload") else {}
    ts = doc.get("ts")
    if ts is None:
        occurred = r["occurred_at"]
        occurred = occurred.replace(tzinfo=UTC) if occurred.tzinfo is None else occurred.astimezone(UTC)
        ts = occurred.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {
        "seq": r["seq"],
        "hash": bytes.fromhex(r["event_hash"]),
        "v": 2 if doc.get("v") == 2 else 1,
        "ts": ts,
        "action": doc.get("action", r["action"]),
        "outcome": doc.get("outcome", r["outcome"]),
        "model_version": doc.get("model_version"),
        "request_id": doc.get("request_id"),
    }


def verify_all(
    settings: Settings | None = None, public_key: str | None = None, *, include_store: bool = False
) -> dict[str, Any]:
    """Chain of audit.events (with redaction records), its anchoring coverage, every anchor (root,
    envelope, signature) and a proof per anchored day; optionally the store's own chain and its
    coverage too. Everything after the last anchor is reported as unanchored."""
    from lake.audit.anchoring import public_key as own_key

    s = settings or get_settings()
    events = (
        delta.read(EVENTS, settings=s)
        if delta.exists(EVENTS, s)
        else pl.DataFrame(schema=get_table(EVENTS).schema)
    )
    if "openings" not in events.columns:  # a table written before hash version 2
        events = events.with_columns(pl.lit(None, pl.String).alias("openings"))
    key = public_key or own_key(s)
    report: dict[str, Any] = {"public_key": key, "lake_chain": verify_rows(events, lake_records(s), key)}
    df_anchors = anchors(s)
    report["anchors"] = verify_anchors(
        events, df_anchors, key, s.stellar_network_passphrase, s.soroban_network_passphrase
    )
    chain = [
        (int(q), d, bytes.fromhex(h))
        for q, d, h in events.sort("seq").select("seq", "event_date", "event_hash").iter_rows()
    ]
    report["lake_anchoring"] = anchor_coverage(
        chain, df_anchors, key, s.stellar_network_passphrase, contract_passphrase=s.soroban_network_passphrase
    )
    report["onchain"] = onchain_roots(df_anchors, s)
    proofs_ok = True
    for a in report["anchors"]:
        first = events.filter(pl.col("event_date") == date.fromisoformat(a["day"])).sort("seq")
        if first.height and not check_proof(prove(first.get_column("event_id")[0], s)):
            proofs_ok = False
    report["proofs_ok"] = proofs_ok
    if include_store:
        report["store_chain"] = verify_store_events(read_events(s), s, key)
    warnings = []
    for name, cov in (("lake", report["lake_anchoring"]), ("store", report.get("store_chain"))):
        if cov and cov.get("unanchored_count"):
            warnings.append(
                f"{name}: {cov['unanchored_count']} events from seq {cov['unanchored_from_seq']} are after the "
                f"last anchor (seq {cov['anchored_through_seq']}): a rewrite or truncation there is not detectable"
            )
    empty = report["lake_chain"]["length"] == 0 and not report["anchors"]
    if empty:
        warnings.insert(
            0,
            "lake: the audit trail is empty, nothing was verified: export a day first "
            "(cofre audit export --day YYYY-MM-DD, then cofre audit anchor --day YYYY-MM-DD)",
        )
    report["warnings"] = warnings
    report["ok"] = (
        report["lake_chain"]["ok"]
        and report["lake_anchoring"]["ok"]
        and proofs_ok
        and all(a["ok"] for a in report["anchors"])
        and all(a["ok"] for a in report["onchain"])
        and report.get("store_chain", {"ok": True})["ok"]
    )
    # "empty" is not "verified": nothing contradicts the trail, but there is no trail to trust either
    report["status"] = "failed" if not report["ok"] else ("empty" if empty else "verified")
    report["events_verified"] = report["lake_chain"]["length"]
    return report


def onchain_roots(df_anchors: pl.DataFrame, settings: Settings) -> list[dict[str, Any]]:
    """Each contract anchor's root read back from the ``audit_anchor`` contract through the Soroban
    RPC (when ``soroban_rpc_url`` is set): it must equal the root recorded in audit.anchors."""
    from lake.audit.anchoring import day_number, is_contract_anchor

    rows = [a for a in df_anchors.to_dicts() if is_contract_anchor(a["envelope_xdr"])]
    if not rows or not settings.soroban_rpc_url:
        return []
    from lake.soroban_contracts import ContractsService
    from lake.soroban_rpc import RpcError, SorobanRpc

    rpc = SorobanRpc.from_settings(settings)
    out = []
    try:
        svc = ContractsService(settings, rpc)
        for a in rows:
            day = a["day"] if isinstance(a["day"], date) else date.fromisoformat(str(a["day"]))
            try:
                onchain = svc.anchored_root(day_number(day))
            except RpcError as exc:
                out.append(
                    {"day": day.isoformat(), "ok": False, "problem": f"cannot read the contract: {exc}"}
                )
                continue
            ok = onchain is not None and onchain.hex() == a["root"]
            problem = (
                None if ok else ("day not anchored on chain" if onchain is None else "on-chain root differs")
            )
            out.append(
                {
                    "day": day.isoformat(),
                    "ok": ok,
                    "onchain_root": onchain.hex() if onchain else None,
                    "problem": problem,
                }
            )
    finally:
        rpc.close()
    return out
