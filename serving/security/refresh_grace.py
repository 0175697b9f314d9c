"""The successor pair of a rotated refresh token, sealed so that only the holder of that token can
read it back (the refresh grace window, OAuth 2.0 Security BCP §4.14.2).

Two parallel ``/auth/refresh`` calls with one token are the norm on mobile (a retry after a lost
answer, two screens waking up): without a grace window the loser looked like a replay and revoked
the family, logging the user out. Within ``settings.refresh_reuse_grace_s`` of the rotation, the
same old token gets the very pair the first call got.

That pair cannot be stored in clear (a reader of the database would hold live tokens) and cannot
be re-derived (tokens are random). It is sealed with AES-256-GCM under a key derived by HKDF-SHA256
from the *old refresh token itself*, which the database keeps only as a SHA-256: whoever can open
the seal already holds the old token, i.e. is the client that may ask within the window. The seal
is bound to its row (associated data) and is wiped when the family rotates again or is revoked.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"cofre/refresh-grace/v1"


def _key(old_token: str, row_id: int) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=str(row_id).encode(), info=_INFO)
    return hkdf.derive(old_token.encode())


def seal(old_token: str, row_id: int, payload: bytes) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(_key(old_token, row_id)).encrypt(nonce, payload, _INFO + str(row_id).encode())


def open_sealed(old_token: str, row_id: int, blob: bytes) -> bytes | None:
    """The payload, or None when the blob was not sealed for this token and row."""
    try:
        return AESGCM(_key(old_token, row_id)).decrypt(blob[:12], blob[12:], _INFO + str(row_id).encode())
    except (InvalidTag, ValueError):
        return None
