"""Build a TransferContext from the user's transfer history in the relational store."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from serving.db.models import Transfer
from serving.fraud.screen import TransferContext

POSTED = ("completed",)


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
    mine = (Transfer.user_id == user_id) & (Transfer.kind == "pix") & (Transfer.status.in_(POSTED))
    n, mx, mean = db.execute(
        select(func.count(Transfer.id), func.max(Transfer.amount_cents), func.avg(Transfer.amount_cents)).where(mine)
    ).one()
    paid_before = (
        db.execute(select(Transfer.id).where(mine, Transfer.recipient_key == recipient_key).limit(1)).first()
        is not None
    )
    device_seen = device_id is not None and (
        db.execute(select(Transfer.id).where(mine, Transfer.device_id == device_id).limit(1)).first() is not None
    )
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
    )
