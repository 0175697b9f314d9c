"""The Idempotency-Key header of the money-moving routes (PIX transfers, PIX refunds, contract calls):
one check, so every route answers a missing or blank key with the same 400 problem."""

from __future__ import annotations

from serving.errors import Problem


def require_key(key: str | None) -> str:
    """The request's Idempotency-Key; a missing or blank one is the 400 ``idempotency_key_required``."""
    if not key or not key.strip():
        raise Problem(400, "idempotency_key_required", "the Idempotency-Key header is required")
    return key
