"""Identifiers of the Pix arrangement: ``txid``, ``endToEndId`` (E2EID), ``rtrId`` and refund ids.

Rules (BACEN API Pix 2.9.0 and the SPI's "Manual de Padrões para Iniciação do Pix"):

* ``txid`` of a charge (``cob``/``cobv``): 26 to 35 characters ``[a-zA-Z0-9]``, created by the
  receiving user, unique per receiver; the ``txid`` a received Pix carries may be 1 to 35 (a static
  BR Code's is at most 25, see :mod:`lake.domain.brcode`);
* ``endToEndId``: 32 characters, ``E`` + the ISPB of the payer's institution (8 digits) + the UTC
  date and time ``yyyyMMddHHmm`` + 11 characters ``[a-zA-Z0-9]``; ``rtrId`` (the return's id in
  pacs.004) has the same shape with ``D`` and the ISPB of the institution that returns;
* a refund (``devolucao``) id: 1 to 35 characters ``[a-zA-Z0-9]``, created by the receiver, unique
  per ``endToEndId``.

Only ASCII letters and digits count (``str.isalnum`` would accept other scripts).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

CHARGE_TXID = re.compile(r"^[a-zA-Z0-9]{26,35}$")
PIX_TXID = re.compile(r"^[a-zA-Z0-9]{1,35}$")
REFUND_ID = re.compile(r"^[a-zA-Z0-9]{1,35}$")
_SPI_ID = re.compile(r"^([ED])([0-9]{8})([0-9]{12})([a-zA-Z0-9]{11})$")
ALNUM = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def is_charge_txid(value: object) -> bool:
    """A txid a cob/cobv may have (26-35 ASCII letters/digits)."""
    return isinstance(value, str) and bool(CHARGE_TXID.match(value))


def is_pix_txid(value: object) -> bool:
    """A txid a received Pix may carry (1-35 ASCII letters/digits)."""
    return isinstance(value, str) and bool(PIX_TXID.match(value))


def is_refund_id(value: object) -> bool:
    return isinstance(value, str) and bool(REFUND_ID.match(value))


def _spi_id(value: object, prefix: str) -> bool:
    if not isinstance(value, str):
        return False
    m = _SPI_ID.match(value)
    if m is None or m.group(1) != prefix:
        return False
    try:
        datetime.strptime(m.group(3), "%Y%m%d%H%M")
    except ValueError:
        return False
    return True


def is_end_to_end_id(value: object) -> bool:
    """``E`` + ISPB (8 digits) + a valid ``yyyyMMddHHmm`` + 11 ASCII letters/digits."""
    return _spi_id(value, "E")


def is_return_id(value: object) -> bool:
    """An ``rtrId``: like an endToEndId, with ``D``."""
    return _spi_id(value, "D")


def _build(prefix: str, ispb: str, at: datetime, suffix: str) -> str:
    if not re.fullmatch(r"[0-9]{8}", ispb):
        raise ValueError(f"ISPB must be 8 digits, got {ispb!r}")
    if not re.fullmatch(r"[a-zA-Z0-9]{11}", suffix):
        raise ValueError(f"suffix must be 11 letters/digits, got {suffix!r}")
    t = at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)
    return f"{prefix}{ispb}{t.year:04d}{t.month:02d}{t.day:02d}{t.hour:02d}{t.minute:02d}{suffix}"


def end_to_end_id(ispb: str, at: datetime, suffix: str) -> str:
    """The endToEndId of a Pix initiated at ``at`` by the institution ``ispb``."""
    return _build("E", ispb, at, suffix)


def return_id(ispb: str, at: datetime, suffix: str) -> str:
    """The rtrId of a return requested at ``at`` from the institution ``ispb``."""
    return _build("D", ispb, at, suffix)


def alnum_from_int(n: int, length: int) -> str:
    """``length`` characters of :data:`ALNUM` read off the integer ``n`` (deterministic ids)."""
    out = []
    for _ in range(length):
        n, r = divmod(n, len(ALNUM))
        out.append(ALNUM[r])
    return "".join(out)
