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
    return ts.astimezone(UTC)


def iso_seconds(ts: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ``."""
    return _utc(ts).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_millis(ts: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.mmmZ``."""
    t = _utc(ts)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


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
