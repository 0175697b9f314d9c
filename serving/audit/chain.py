"""The audit hash chain, as the gateway sees it: a re-export of :mod:`lake.audit.events`.

Links: ``hash = SHA-256(prev_hash || payload_hash)``, the first event's prev_hash being 32 zero
bytes; the payload hash (v2) commits to the clear fields and to salted commitments of the personal
ones, so redaction keeps every hash and is proven by a signed record (:mod:`lake.audit.redaction`).
The chain is defined once in lake/ because the pipelines (which may not import serving) verify it too;
links are verified with ``cofre_native.verify_chain``.
"""

from __future__ import annotations

from lake.audit.events import (
    CLEAR_FIELDS,
    EVENT_FIELDS,
    GENESIS,
    HASH_VERSION,
    REDACTABLE,
    REDACTION_ACTION,
    canonical_json,
    event_problem,
    field_commitment,
    link_hash,
    payload_hash,
    redacted_fields,
    seal,
    verify_chain,
    verify_chain_py,
    verify_events,
)

# one definition of the chain, re-exported for the gateway
__all__ = [
    "CLEAR_FIELDS",
    "EVENT_FIELDS",
    "GENESIS",
    "HASH_VERSION",
    "REDACTABLE",
    "REDACTION_ACTION",
    "canonical_json",
    "event_problem",
    "field_commitment",
    "link_hash",
    "payload_hash",
    "redacted_fields",
    "seal",
    "verify_chain",
    "verify_chain_py",
    "verify_events",
]
