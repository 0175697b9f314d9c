"""Build a TransferContext from the user's transfer history in the relational store.

One statement, built once (constructing a SQLAlchemy statement costs more than SQLite running it):
the count, largest and mean amount of the user's completed PIX transfers, whether any of them went to
this recipient key, whether this device is known, and what this device moved today (since 00:00 in
São Paulo, completed or held transfers: the new-device allowance), aggregated in one pass.

A device is known when it made the account's first completed PIX (the phone the customer started
with, as the training world's first phone is never "new"), or when it made a completed PIX at least
:data:`DEVICE_KNOWN_AFTER` before: any other device stays "new" for a day after its first PIX, so one
R$ 1 test transfer does not make an intruder's phone trusted.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, case, func, select
from sqlalchemy.orm import Session, aliased

from serving.db.models import Transfer
from serving.fraud.screen import BRT, TransferContext

DEVICE_KNOWN_AFTER = timedelta(hours=24)
POSTED = ("completed",)
MOVING = ("completed", "held")  # money that left, or is reserved to leave
_POSTED = Transfer.status.in_(POSTED)
_TODAY = (
    Transfer.status.in_(MOVING)
    & (Transfer.device_id == bindparam("device_id"))
    & (Transfer.created_at >= bindparam("day_start"))
)
_FIRST = aliased(Transfer)
_FIRST_DEVICE = (  # the device of the user's first completed PIX
    select(_FIRST.device_id)
    .where(_FIRST.user_id == bindparam("user_id"), _FIRST.kind == "pix", _FIRST.status.in_(POSTED))
    .order_by(_FIRST.created_at, _FIRST.id)
    .limit(1)
    .correlate(None)
    .scalar_subquery()
)
_HISTORY = select(
    func.count(case((_POSTED, Transfer.id))),
    func.max(case((_POSTED, Transfer.amount_cents))),
    func.avg(case((_POSTED, Transfer.amount_cents))),
    func.max(case((_POSTED & (Transfer.recipient_key == bindparam("recipient_key")), 1), else_=0)),
    func.max(  # a NULL device is never equal
        case(
            (
                _POSTED
                & (Transfer.device_id == bindparam("device_id"))
                & (Transfer.created_at <= bindparam("known_before")),
                1,
            ),
            else_=0,
        )
    ),
    func.sum(case((_TODAY, Transfer.amount_cents), else_=0)),
    _FIRST_DEVICE,
).where((Transfer.user_id == bindparam("user_id")) & (Transfer.kind == "pix") & Transfer.status.in_(MOVING))


def day_start(at: datetime) -> datetime:
    """00:00 in São Paulo of the day of ``at``, in UTC."""
    local = at.astimezone(BRT)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def build_context(
    db: Session,
    *,
    user_id: int,
    amount_cents: int,
    recipient_key: str,
    recipient_internal: bool,
    device_id: str | None,
    at: datetime,
) -> TransferContext:
    n, mx, mean, paid, seen, today, first_device = db.execute(
        _HISTORY,
        {
            "user_id": user_id,
            "recipient_key": recipient_key,
            "device_id": device_id,
            "day_start": day_start(at),
            "known_before": at - DEVICE_KNOWN_AFTER,
        },
    ).one()
    paid_before = bool(paid)
    device_seen = device_id is not None and (bool(seen) or first_device == device_id)
    return TransferContext(
        user_id=user_id,
        amount_cents=amount_cents,
        recipient_key=recipient_key,
        recipient_internal=recipient_internal,
        at=at,
        device_id=device_id,
        n_past_transfers=int(n or 0),
        max_past_amount_cents=int(mx or 0),
        mean_past_amount_cents=int(mean or 0),
        paid_recipient_before=paid_before,
        device_seen_before=device_seen,
        device_today_cents=int(today or 0),
    )
