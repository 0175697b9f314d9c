"""Input and output types shared by the routers: ids, money and timestamps, bounded and strict.

* :data:`Id` (JSON body) and :data:`IdPath` (path segment): integers in ``1 .. 2**63 - 1``, the range
  of the BIGINT/rowid columns they are looked up in (a larger value overflowed the database driver:
  500). In a JSON body an id is a JSON integer: ``true``, ``"1"`` and ``1.0`` are refused.
* :data:`Cents`: money in integer cents, a JSON integer (``true``, ``"100"``, ``" 100 "``, ``"1_00"``
  and ``100.0`` are refused: each was once coerced), ``1 .. 10**13``.
* :func:`instant`: an input timestamp that must carry its offset (a naive time is ambiguous for a bank
  in UTC-3), is normalised to UTC and must fall within the given bounds (``0001-01-01T00:00:00+14:00``
  or ``9999-12-31T23:59:59-14:00`` overflowed when normalised: 500).
* :data:`Instant`: an output timestamp, always serialised with its offset (``...Z``): the SQLite store
  hands back naive UTC datetimes.

Every refusal is a 422 validation problem naming the field.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, Field

INT64_MAX = 2**63 - 1
MONEY_MAX_CENTS = 10**13

Id = Annotated[int, Field(strict=True, ge=1, le=INT64_MAX, description="an id (1 .. 2^63-1)")]
IdPath = Annotated[int, Path(ge=1, le=INT64_MAX, description="an id (1 .. 2^63-1)")]
Cents = Annotated[
    int, Field(strict=True, gt=0, le=MONEY_MAX_CENTS, description="integer cents (a JSON integer)")
]


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Instant = Annotated[
    datetime,
    AfterValidator(_as_utc),
    Field(description="RFC 3339 date-time with its UTC offset (served in UTC, ending in Z)"),
]


def instant(lo: datetime, hi: datetime, what: str = "timestamp"):  # noqa: ANN201 - a type
    """A timestamp type: offset required, normalised to UTC, ``lo <= t < hi``."""

    def check(value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{what} must carry a UTC offset (e.g. Z or -03:00)")
        try:
            utc = value.astimezone(UTC)
        except (OverflowError, ValueError):
            raise ValueError(f"{what} out of range") from None
        if not lo <= utc < hi:
            raise ValueError(f"{what} must be from {lo.isoformat()} to before {hi.isoformat()}")
        return utc

    return Annotated[datetime, AfterValidator(check)]
