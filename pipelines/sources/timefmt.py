"""Timestamp and date formats used by the external APIs (Open Finance, Pix).

Open Finance uses two shapes, field by field per its spec: ``2021-05-21T08:30:00Z`` (maxLength 20,
e.g. meta.requestDateTime, consent dates, balances.updateDateTime) and ``2021-05-21T08:30:00.000Z``
(transactionDateTime). Pix uses RFC 3339 with milliseconds.
"""

from __future__ import annotations

from datetime import UTC, date, datetime


def _utc(ts: datetime) -> datetime:
    if ts.tzinfo is None:
        return ts.replace(tzinfo=UTC)
    if ts.tzinfo is UTC:
        return ts
    return ts.astimezone(UTC)


def iso_seconds(ts: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` (the year always 4 digits: ``strftime("%Y")`` gives ``781`` for 781;
    ``isoformat`` pads it)."""
    return _utc(ts).isoformat(timespec="seconds")[:-6] + "Z"  # "+00:00" -> "Z"


def iso_millis(ts: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.mmmZ`` (4-digit year, as RFC 3339 requires; milliseconds truncated)."""
    return _utc(ts).isoformat(timespec="milliseconds")[:-6] + "Z"


def iso_date(d: date | datetime) -> str:
    if isinstance(d, datetime):
        d = _utc(d).date()
    return d.isoformat()


def parse_rfc3339(value: str) -> datetime:
    """Parse an RFC 3339 timestamp ("Z" or offset) into an aware UTC datetime."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    ts = datetime.fromisoformat(text)
    if ts.tzinfo is None:
        raise ValueError(f"timestamp without time zone: {value!r}")
    return ts.astimezone(UTC)
