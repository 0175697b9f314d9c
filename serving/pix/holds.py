"""The life of a PIX held for fraud review: release, refusal, expiry; the transfer views; their audit.

A held transfer (``status = 'held'``, created by :func:`serving.pix.ledger.post_transfer`) has its
amount in the payer's ``held_cents`` and no ledger entry. Exactly one transition leaves ``held``:

* ``release`` (an admin): the reservation is undone and the transfer is posted (debit + credit,
  summing to zero); status ``completed``;
* ``refuse`` (an admin) or ``expire`` (nobody reviewed it before ``hold_expires_at``): the
  reservation is undone, nothing is posted; status ``refused``.

Each transition locks the payer's and payee's accounts (ascending ids, as every ledger writer) and
re-reads the transfer under that lock, so of two racing reviewers one wins and the other gets 409
``transfer_not_held``; the customer's notification is written in the same transaction and the audit
event right after the commit. A reviewer never reviews a transfer they made (403 ``own_transfer``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from serving.audit.store import make_event
from serving.db.models import Transfer
from serving.errors import Problem
from serving.pix import ledger, notices

Action = Literal["release", "refuse", "expire"]
_OUTCOME = {"release": "released", "refuse": "refused", "expire": "expired"}
_NOTICE = {"release": "pix_released", "refuse": "pix_refused", "expire": "pix_expired"}


def transfer_view(t: Transfer, *, admin: bool = False) -> dict[str, Any]:
    """A transfer as its customer (or, with ``admin``, an analyst) sees it now."""
    snap = json.loads(t.response_body or "{}")
    snap = snap.get("transfer", snap)  # problem bodies carry the summary under "transfer"
    out: dict[str, Any] = {
        "id": t.id,
        "end_to_end_id": t.end_to_end_id,
        "kind": t.kind,
        "status": t.status,
        "amount_cents": t.amount_cents,
        "recipient": snap.get("recipient"),
        "created_at": notices.utc(t.created_at).isoformat(),
        "hold_expires_at": notices.utc(t.hold_expires_at).isoformat() if t.hold_expires_at else None,
        "review": (
            {"outcome": t.review_outcome, "at": notices.utc(t.reviewed_at).isoformat()}
            if t.review_outcome
            else None
        ),
    }
    if admin:
        out["user_id"] = t.user_id
        out["fraud"] = snap.get("fraud")
        out["device_id"] = t.device_id
        if out["review"] is not None:
            out["review"].update(by=t.reviewed_by, note=t.review_note)
    return out


def transition(
    sessions: sessionmaker,
    transfer_id: int,
    action: Action,
    *,
    now: datetime,
    reviewer_id: int | None = None,
    note: str | None = None,
) -> tuple[Transfer, Action]:
    """Take ``transfer_id`` out of ``held`` by ``action``; 404 / 409 / 403 problems otherwise.

    Returns the transfer and the action taken: ``expire`` instead of a review that came after the
    deadline (the expiry is committed; the caller audits it and answers 409).
    """
    now = notices.utc(now)
    with sessions() as db, db.begin():
        t = db.get(Transfer, transfer_id)
        if t is None or t.kind != "pix":
            raise Problem(404, "transfer_not_found", "no such PIX transfer")
        if reviewer_id is not None and t.user_id == reviewer_id:
            raise Problem(403, "own_transfer", "a reviewer may not review their own transfer")
        locked = ledger.lock_accounts(db, t.from_account_id, t.to_account_id)
        db.refresh(t, with_for_update=True)  # the state under the account locks, not the one read above
        if t.status != "held":
            raise Problem(409, "transfer_not_held", f"the transfer is {t.status}, not held for review")
        if action != "expire" and now >= notices.utc(t.hold_expires_at):
            action, reviewer_id, note = "expire", None, None
        _leave_hold(db, t, locked, action, now, reviewer_id, note)
    return t, action


def review(services, transfer_id: int, action: Action, *, now, reviewer_id: int, note=None, request_id=None):  # noqa: ANN001, ANN201
    """An analyst's release/refusal, audited; 409 when the hold had expired (the expiry is audited)."""
    t, done = transition(services.sessions, transfer_id, action, now=now, reviewer_id=reviewer_id, note=note)
    if done == "expire":
        audit(services, t, "expire", actor_id=None, request_id=request_id)
        raise Problem(409, "transfer_not_held", "the hold expired before this review; nothing was debited")
    audit(services, t, action, actor_id=reviewer_id, request_id=request_id)
    return t


def _leave_hold(
    db: Session,
    t: Transfer,
    locked: dict,
    action: Action,
    now: datetime,
    reviewer_id: int | None,
    note: str | None,
) -> None:
    payer, payee = locked[t.from_account_id], locked[t.to_account_id]
    payer.held_cents -= t.amount_cents
    if action == "release":
        ledger.post_entries(db, t, payer, payee, now)
        t.status = "completed"
    else:
        t.status = "refused"
    t.review_outcome = _OUTCOME[action]
    t.reviewed_at = now
    t.reviewed_by = reviewer_id
    t.review_note = note
    if t.user_id is not None:
        notices.notify(
            db,
            user_id=t.user_id,
            kind=_NOTICE[action],
            transfer_id=t.id,
            amount_cents=t.amount_cents,
            at=now,
        )
    db.flush()


def due(db: Session, now: datetime, user_id: int | None = None) -> list[int]:
    q = select(Transfer.id).where(Transfer.status == "held", Transfer.hold_expires_at <= notices.utc(now))
    if user_id is not None:
        q = q.where(Transfer.user_id == user_id)
    return list(db.scalars(q.order_by(Transfer.id)))


def expire_due(services, now: datetime, user_id: int | None = None) -> list[Transfer]:  # noqa: ANN001
    """Refuse every hold (of ``user_id``, or all) whose deadline has passed; audited. One cheap read when none."""
    with services.sessions() as db:
        ids = due(db, now, user_id)
    expired = []
    for tid in ids:
        try:
            t, _ = transition(services.sessions, tid, "expire", now=now)
        except Problem:  # reviewed or expired by someone else meanwhile
            continue
        audit(services, t, "expire", actor_id=None)
        expired.append(t)
    return expired


def audit(services, t: Transfer, action: str, *, actor_id: int | None, request_id: str | None = None) -> None:  # noqa: ANN001
    """The audit event of a hold transition (``pix:hold``, ``pix:release``, ``pix:refuse``, ``pix:hold_expired``)."""
    name = {
        "hold": "pix:hold",
        "release": "pix:release",
        "refuse": "pix:refuse",
        "expire": "pix:hold_expired",
    }
    services.audit.append(
        make_event(
            actor=services.pseudonym(actor_id) if actor_id is not None else None,
            action=name[action],
            resource=f"transfer:{t.id}",
            outcome=t.status,
            model_version=t.model_version,
            request_id=request_id,
            details={
                "amount_cents": t.amount_cents,
                "payer": services.pseudonym(t.user_id) if t.user_id is not None else None,
                "fraud_probability": t.fraud_probability,
                "hold_expires_at": notices.utc(t.hold_expires_at).isoformat() if t.hold_expires_at else None,
                "review_outcome": t.review_outcome,
                "note": t.review_note,
            },
        )
    )
