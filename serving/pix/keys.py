"""PIX (DICT) key types and their validation/normalisation.

CPF and CNPJ: digits with valid check digits; EMAIL: lower-case address, at most 77 characters;
PHONE: E.164 Brazilian mobile ``+55`` + DDD + 8-9 digits; EVP: a random UUID (lower-case).
"""

from __future__ import annotations

import re
import uuid
from enum import StrEnum

from lake.domain.identifiers import is_valid_cnpj, is_valid_cpf, only_digits


class KeyType(StrEnum):
    """A PIX key type of the DICT: CPF, CNPJ, e-mail, phone (E.164) or random (EVP)."""

    CPF = "CPF"
    CNPJ = "CNPJ"
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    EVP = "EVP"


_EMAIL = re.compile(r"^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9-]+)+$")
_PHONE = re.compile(r"^\+55[1-9][0-9]9?[0-9]{8}$")
_EVP = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class InvalidPixKey(ValueError):
    pass


def normalise(key_type: KeyType, key: str) -> str:
    """The canonical form of ``key`` for ``key_type``; raises InvalidPixKey with the reason."""
    key = key.strip()
    if key_type is KeyType.CPF:
        if not is_valid_cpf(key):
            raise InvalidPixKey("invalid CPF key (check digits)")
        return only_digits(key)
    if key_type is KeyType.CNPJ:
        if not is_valid_cnpj(key):
            raise InvalidPixKey("invalid CNPJ key (check digits)")
        return only_digits(key)
    if key_type is KeyType.EMAIL:
        key = key.lower()
        if len(key) > 77 or not _EMAIL.match(key):
            raise InvalidPixKey("invalid e-mail key")
        return key
    if key_type is KeyType.PHONE:
        if not _PHONE.match(key):
            raise InvalidPixKey("invalid phone key: expected +55, area code and number (E.164)")
        return key
    key = key.lower()
    if not _EVP.match(key):
        raise InvalidPixKey("invalid EVP key: expected a UUID")
    return key


def infer_type(key: str) -> KeyType:
    """Guess the type of a key typed by a payer (as the DICT lookup of a PSP app does)."""
    k = key.strip()
    if _EVP.match(k.lower()):
        return KeyType.EVP
    if k.startswith("+"):
        return KeyType.PHONE
    if "@" in k:
        return KeyType.EMAIL
    digits = only_digits(k)
    if len(digits) == 11 and is_valid_cpf(k):
        return KeyType.CPF
    if len(digits) == 14:
        return KeyType.CNPJ
    raise InvalidPixKey("cannot tell the key type: pass key_type")


def new_evp() -> str:
    return str(uuid.uuid4())
