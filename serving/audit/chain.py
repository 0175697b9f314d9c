"""The audit hash chain, as the gateway sees it: a re-export of :mod:`lake.auditlog`.

``payload_hash = SHA-256(canonical JSON of the event fields)`` and
``hash = SHA-256(prev_hash || payload_hash)``; the first event's prev_hash is 32 zero bytes.
The chain is defined once in lake/ because the pipelines (which may not import serving) verify it too;
verification uses ``cofre_native.verify_chain``.
"""

from __future__ import annotations

from lake.auditlog import (
    EVENT_FIELDS,
    GENESIS,
    canonical_json,
    link_hash,
    payload_hash,
    verify_chain,
    verify_chain_py,
    verify_events,
)

# one definition of the chain, re-exported for the gateway
__all__ = [
    "EVENT_FIELDS",
    "GENESIS",
    "canonical_json",
    "link_hash",
    "payload_hash",
    "verify_chain",
    "verify_chain_py",
    "verify_events",
]
