"""Actor pseudonyms for audit events: keyed HMAC-SHA256 of the user id with settings.pseudonym_key."""

from __future__ import annotations

import hashlib
import hmac


def actor_pseudonym(key: bytes, user_id: int | str | None) -> str | None:
    if user_id is None:
        return None
    return hmac.new(key, f"user:{user_id}".encode(), hashlib.sha256).hexdigest()[:32]
