"""Signed short-lived download links for the local document store.

``sig = HMAC-SHA256(link key, "<doc id>|<expiry>")`` where the link key is the installation's
``HKDF(secret, 'cofre/document-links/v1')`` (lake/installation_keys.py). A link is accepted only
until its expiry and only when that expiry is at most ``max_ttl_s`` ahead of now
(``settings.document_link_ttl_s``, capped at an hour): a link that never expires, or one valid for
longer than any link the gateway issues, is refused even with a valid signature (``CLOCK_SKEW_S``
of leeway for gateways on other machines).
"""

from __future__ import annotations

import hashlib
import hmac

CLOCK_SKEW_S = 30


def sign(key: bytes, doc_id: str, expires: int) -> str:
    return hmac.new(key, f"{doc_id}|{expires}".encode(), hashlib.sha256).hexdigest()


def check(key: bytes, doc_id: str, expires: int, signature: str, now: float, max_ttl_s: int) -> bool:
    if expires < now or expires - now > max_ttl_s + CLOCK_SKEW_S:
        return False
    return hmac.compare_digest(sign(key, doc_id, expires).encode(), signature.encode("utf-8", "replace"))
