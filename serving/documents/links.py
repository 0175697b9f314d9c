"""Signed short-lived download links for the local document store: HMAC-SHA256(doc id | expiry)."""

from __future__ import annotations

import hashlib
import hmac


def _key(secret: bytes) -> bytes:
    return hmac.new(secret, b"cofre-document-links-v1", hashlib.sha256).digest()


def sign(secret: bytes, doc_id: str, expires: int) -> str:
    return hmac.new(_key(secret), f"{doc_id}|{expires}".encode(), hashlib.sha256).hexdigest()


def check(secret: bytes, doc_id: str, expires: int, signature: str, now: float) -> bool:
    if expires < now:
        return False
    return hmac.compare_digest(sign(secret, doc_id, expires).encode(), signature.encode("utf-8", "replace"))
