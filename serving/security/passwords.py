"""Password hashing with argon2id (argon2-cffi), with transparent re-hash when parameters change.

The cost parameters come from the settings (``password_hash_*``: argon2-cffi's defaults unless the
embedded profile lowers them, as the test suite does); one hasher per parameter set."""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from lake.settings import Settings


@functools.lru_cache(maxsize=8)
def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> tuple[PasswordHasher, str]:
    """The hasher for one parameter set, and a fixed hash of it verified when the user does not exist,
    so that timing does not reveal accounts."""
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)
    return hasher, hasher.hash("cofre-dummy-password")


def hasher_for(settings: Settings) -> tuple[PasswordHasher, str]:
    return _hasher(
        settings.password_hash_time_cost,
        settings.password_hash_memory_kib,
        settings.password_hash_parallelism,
    )


def hash_password(password: str, settings: Settings) -> str:
    return hasher_for(settings)[0].hash(password)


def verify_password(stored_hash: str | None, password: str, settings: Settings) -> bool:
    hasher, dummy = hasher_for(settings)
    try:
        return hasher.verify(stored_hash or dummy, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str, settings: Settings) -> bool:
    return hasher_for(settings)[0].check_needs_rehash(stored_hash)
