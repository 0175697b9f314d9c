"""Build a TransferContext from the user's transfer history in the relational store.

One statement, built once (constructing a SQLAlchemy statement costs more than SQLite running it):
the count, largest and mean amount of the user's completed PIX transfers and whether any of them
went to this recipient key or came from this device, aggregated in one pass.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, bindparam, case, func, select
from sqlalchemy.orm import Session

from serving.db.models import Transfer
from serving.fraud.screen import TransferContext

POSTED = ("completed",)
_MINE = (Transfer.user_id == bindparam("user_id")) & (Transfer.kind == "pix") & (Transfer.status.in_(POSTED))
_HISTORY = select(
    func.count(Transfer.id),
    func.max(Transfer.amount_cents),
    func.avg(Transfer.amount_cents),
    func.max(case((Transfer.recipient_key == bindparam("recipient_key"), 1), else_=0)),
    func.max(case((Transfer.device_id == bindparam("device_id"), 1), else_=0)),  # NULL device: never equal
).where(_MINE)


def build_context(
    db: Session | Connection,
    *,
    user_id: int,
    amount_cents: int,
    recipient_key: str,
    recipient_internal: bool,
    device_id: str | None,
    at: datetime,
) -> TransferContext:
    n, mx, mean, paid, seen = db.execute(
        _HISTORY, {"user_id": user_id, "recipient_key": recipient_key, "device_id": device_id}
    ).one()
    paid_before = bool(paid)
    device_seen = device_id is not None and bool(seen)
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
