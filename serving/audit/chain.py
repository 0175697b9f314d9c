"""The audit hash chain.

``payload_hash = SHA-256(canonical JSON of the event fields)`` and
``hash = SHA-256(prev_hash || payload_hash)``; the first event's prev_hash is 32 zero bytes.
Storing payload_hash (not only the fields) keeps the chain verifiable after personal fields of an
event are redacted. Verification uses ``cofre_native.verify_chain`` when the native module has it,
else :func:`verify_chain_py` with the same semantics: the index of the first event whose hash does not
match ``SHA-256(prev || payload)`` or whose prev does not equal the previous event's hash, or None.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lake.auditlog import (  # noqa: F401 - one definition of the chain, re-exported for the gateway
    EVENT_FIELDS,
    GENESIS,
    canonical_json,
    link_hash,
    payload_hash,
    verify_chain_py,
)


def _native_verify():
    try:
        import cofre_native
    except ImportError:
        return None
    return getattr(cofre_native, "verify_chain", None)


def verify_chain(prev_hashes: list[bytes], payloads: list[bytes], hashes: list[bytes]) -> int | None:
    """Native verification when available, else the Python one (same result)."""
    native = _native_verify()
    if native is not None:
        return native(prev_hashes, payloads, hashes)
    return verify_chain_py(prev_hashes, payloads, hashes)


def verify_events(events: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Check a chain of stored events (ordered by seq): links, genesis, seq contiguity and, for
    events not redacted, that the stored payload_hash still matches the stored fields."""
    n = len(events)
    prevs = [bytes(e["prev_hash"]) for e in events]
    payloads = [bytes(e["payload_hash"]) for e in events]
    hashes = [bytes(e["hash"]) for e in events]
    candidates: list[tuple[int, str]] = []
    bad = verify_chain(prevs, payloads, hashes)
    if bad is not None:
        candidates.append((bad, "hash link broken"))
    if n and prevs[0] != GENESIS:
        candidates.append((0, "first event does not start from the genesis hash"))
    for i, e in enumerate(events):
        if e.get("seq") != i + 1:
            candidates.append((i, f"sequence gap: expected seq {i + 1}, found {e.get('seq')}"))
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
