"""Signed webhook deliveries of the Pix API (a shared-secret HMAC standing in for mTLS).

The BACEN API Pix authenticates webhook calls by mutual TLS between the PSP and the receiving user.
Here the PSP (the sandbox) signs each delivery and the receiver (cofre,
:mod:`pipelines.sources.pix.webhook_receiver`) checks it:

``X-Pix-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>``

with ``settings.pix_webhook_secret``. ``X-Pix-Delivery-Id`` names the delivery (the same on every
retry of it), so a receiver can take each delivery once. A signature is accepted when the HMAC
matches (constant-time comparison) and ``t`` is within ``tolerance_s`` of the receiver's clock
(replayed old deliveries are refused).
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "x-pix-signature"
DELIVERY_HEADER = "x-pix-delivery-id"


class SignatureError(ValueError):
    """A delivery whose signature is missing, malformed, wrong or too old."""


def sign(secret: str, body: bytes, t: int) -> str:
    """The ``X-Pix-Signature`` value for ``body`` sent at unix time ``t``."""
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify(secret: str, header: str | None, body: bytes, now: float, tolerance_s: int = 300) -> int:
    """Check ``header`` against ``body``; returns the signed time or raises :class:`SignatureError`."""
    if not header:
        raise SignatureError("missing X-Pix-Signature")
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    t_text, mac = parts.get("t", ""), parts.get("v1", "")
    if not (t_text.isascii() and t_text.isdigit()) or len(mac) != 64:
        raise SignatureError("malformed X-Pix-Signature")
    t = int(t_text)
    expected = sign(secret, body, t).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, mac):
        raise SignatureError("signature does not match the body")
    if abs(now - t) > tolerance_s:
        raise SignatureError(f"signature time {t} is more than {tolerance_s}s from now")
    return t
