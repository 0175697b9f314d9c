"""Custodial Stellar keys: one per customer, created on first use, sealed with AES-GCM.

The sealing key is HKDF(installation secret, 'cofre/custodial-stellar/v1'); the associated data is the
user id, so a sealed seed copied to another user's row does not open. The seed never leaves this
module except as a ``Keypair`` used to sign; the API only ever shows the public key.
"""

from __future__ import annotations

import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from stellar_sdk import Keypair

from lake.settings import Settings
from serving.db.orm import CustodialKey

LABEL = "cofre/custodial-stellar/v1"


def _aad(user_id: int) -> bytes:
    return f"{LABEL}:{user_id}".encode()


def seal(key: bytes, user_id: int, seed: str) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(key).encrypt(nonce, seed.encode(), _aad(user_id))


def unseal(key: bytes, user_id: int, blob: bytes) -> str:
    return AESGCM(key).decrypt(blob[:12], blob[12:], _aad(user_id)).decode()


class Custody:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self._key = settings.purpose_key(LABEL)
        self._sessions = sessions

    def public_key(self, user_id: int) -> str | None:
        with self._sessions() as db:
            return db.scalar(select(CustodialKey.public_key).where(CustodialKey.user_id == user_id))

    def keypair(self, user_id: int) -> Keypair:
        """The customer's key, created (and sealed) on first use."""
        with self._sessions() as db:
            row = db.get(CustodialKey, user_id)
            if row is not None:
                return Keypair.from_secret(unseal(self._key, user_id, row.sealed_seed))
            kp = Keypair.random()
            db.add(
                CustodialKey(
                    user_id=user_id, public_key=kp.public_key, sealed_seed=seal(self._key, user_id, kp.secret)
                )
            )
            try:
                db.commit()
            except IntegrityError:  # a concurrent first use won: take its key
                db.rollback()
                row = db.get(CustodialKey, user_id)
                if row is None:  # the conflict was something else than a concurrent first use
                    raise
                return Keypair.from_secret(unseal(self._key, user_id, row.sealed_seed))
            return kp
