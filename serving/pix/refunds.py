"""Refund (devolução) of a received PIX transfer by the receiving customer: double-entry, idempotent.

A refund moves money back from the receiver's account to the payer's account of an earlier
``completed`` PIX transfer, as a transfer of kind ``pix_refund`` whose ``end_to_end_id`` is the
return's ``rtrId`` (``D`` + ISPB + ``yyyyMMddHHmm`` + 11, :mod:`lake.domain.pix_ids`), linked to the
original by a :class:`PixRefund` row. Rules (BACEN's for a devolução): partial refunds add up to at
most the original amount; within 90 days of the original; nature ``ORIGINAL``.

:func:`post_refund` runs in one transaction: it locks both accounts (ascending id, FOR UPDATE) and
the original transfer row, re-checks the idempotency key under the lock, checks what is left to
refund (so two concurrent refunds cannot pass the original amount together), then writes the refund
transfer with its response snapshot, a debit and a credit entry summing to zero, the new balances
and the link. A refund the receiver's balance cannot cover is stored ``rejected`` (422) under its
key, so a retry gets the same answer. The same key with another body is :class:`IdempotencyConflict`.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, String, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from lake.domain import pix_ids
from serving.db.models import Account, Base, BigId, LedgerEntry, Transfer
from serving.errors import PROBLEM_BASE
from serving.pix.ledger import IdempotencyConflict, Outcome, find_existing

REFUND_WINDOW = timedelta(days=90)
KIND = "pix_refund"


class PixRefund(Base):
    """Link of a refund transfer to the transfer it gives back (table created by migration 0004)."""

    __tablename__ = "pix_refunds"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    refund_transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id"), unique=True)
    original_transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    nature: Mapped[str] = mapped_column(String(16), default="ORIGINAL")
    description: Mapped[str | None] = mapped_column(String(140), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (CheckConstraint("amount_cents > 0", name="ck_pix_refunds_positive"),)


class RefundRefused(Exception):
    """The refund cannot be made (a 404 or 422 problem, not stored: nothing moved)."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


@dataclass(frozen=True)
class RefundRequest:
    user_id: int
    transfer_id: int
    amount_cents: int | None  # None: all that is left
    description: str | None
    idem_key: str
    req_hash: str
    ispb: str
    now: datetime


def refunded_cents(db: Session, transfer_id: int) -> int:
    total = db.execute(
        select(func.coalesce(func.sum(PixRefund.amount_cents), 0)).where(
            PixRefund.original_transfer_id == transfer_id
        )
    ).scalar_one()
    return int(total)


def receivable(db: Session, user_id: int, transfer_id: int) -> Transfer:
    """The completed PIX transfer ``transfer_id`` received on an account of ``user_id``, else 404."""
    original = db.get(Transfer, transfer_id)
    to_account = db.get(Account, original.to_account_id) if original is not None else None
    if (
        original is None
        or original.kind != "pix"
        or original.status != "completed"
        or to_account is None
        or to_account.user_id != user_id
        or to_account.kind != "customer"
    ):
        raise RefundRefused(
            404, "transfer_not_found", "no completed PIX transfer received by you with this id"
        )
    return original


def _utc(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def post_refund(sessions: sessionmaker, req: RefundRequest, instance: str | None = None) -> Outcome:
    try:
        with sessions() as db, db.begin():
            original = db.execute(
                select(Transfer).where(Transfer.id == req.transfer_id).with_for_update()
            ).scalar_one_or_none()
            if original is None:
                raise RefundRefused(404, "transfer_not_found", "no such transfer")
            receivable(db, req.user_id, req.transfer_id)
            ids = sorted({original.from_account_id, original.to_account_id})
            locked = {
                a.id: a
                for a in db.scalars(
                    select(Account).where(Account.id.in_(ids)).order_by(Account.id).with_for_update()
                )
            }
            existing = find_existing(db, req.user_id, req.idem_key)
            if existing is not None:
                if existing.request_hash != req.req_hash:
                    raise IdempotencyConflict()
                return Outcome(existing.response_status, json.loads(existing.response_body), replayed=True)
            if req.now - _utc(original.created_at) > REFUND_WINDOW:
                raise RefundRefused(422, "refund_window_expired", "a PIX can be refunded within 90 days")
            left = original.amount_cents - refunded_cents(db, original.id)
            amount = left if req.amount_cents is None else req.amount_cents
            if amount <= 0 or amount > left:
                raise RefundRefused(
                    422,
                    "refund_exceeds_transfer",
                    f"at most {left} cents of this transfer are left to refund",
                )
            payer, payee = locked[original.to_account_id], locked[original.from_account_id]
            suffix = "".join(secrets.choice(pix_ids.ALNUM) for _ in range(11))
            refund = Transfer(
                end_to_end_id=pix_ids.return_id(req.ispb, req.now, suffix),
                user_id=req.user_id,
                kind=KIND,
                idempotency_key=req.idem_key,
                request_hash=req.req_hash,
                from_account_id=payer.id,
                to_account_id=payee.id,
                amount_cents=amount,
                created_at=req.now,
                status="pending",
                response_status=0,
                response_body="{}",
            )
            db.add(refund)
            db.flush()
            summary: dict[str, Any] = {
                "id": refund.id,
                "refund_of": original.id,
                "rtr_id": refund.end_to_end_id,
                "end_to_end_id": original.end_to_end_id,
                "amount_cents": amount,
                "nature": "ORIGINAL",
                "description": req.description,
                "created_at": req.now.isoformat(),
            }
            if not payer.allow_negative and payer.balance_cents < amount:
                status, code = "rejected", 422
                body: dict[str, Any] = {
                    "type": PROBLEM_BASE + "insufficient_funds",
                    "title": "Unprocessable Content",
                    "status": 422,
                    "code": "insufficient_funds",
                    "detail": "the balance does not cover the refund",
                    "refund": {**summary, "status": status},
                }
                if instance:
                    body["instance"] = instance
            else:
                payer.balance_cents -= amount
                payee.balance_cents += amount
                db.add_all(
                    [
                        LedgerEntry(
                            transfer_id=refund.id,
                            account_id=payer.id,
                            side="debit",
                            amount_cents=-amount,
                            created_at=req.now,
                        ),
                        LedgerEntry(
                            transfer_id=refund.id,
                            account_id=payee.id,
                            side="credit",
                            amount_cents=amount,
                            created_at=req.now,
                        ),
                        PixRefund(
                            refund_transfer_id=refund.id,
                            original_transfer_id=original.id,
                            amount_cents=amount,
                            description=req.description,
                            created_at=req.now,
                        ),
                    ]
                )
                status, code = "completed", 201
                body = {
                    **summary,
                    "status": status,
                    "refundable_cents": left - amount,
                    "balance_cents": payer.balance_cents,
                }
            refund.status = status
            refund.response_status = code
            refund.response_body = json.dumps(body, sort_keys=True)
        return Outcome(code, body)
    except IntegrityError:
        # a concurrent request with the same key won the race: answer from its snapshot
        with sessions() as db, db.begin():
            existing = find_existing(db, req.user_id, req.idem_key)
        if existing is None:
            raise
        if existing.request_hash != req.req_hash:
            raise IdempotencyConflict() from None
        return Outcome(existing.response_status, json.loads(existing.response_body), replayed=True)


def refunds_of(db: Session, transfer_id: int) -> list[dict[str, Any]]:
    rows = db.execute(
        select(PixRefund, Transfer)
        .join(Transfer, Transfer.id == PixRefund.refund_transfer_id)
        .where(PixRefund.original_transfer_id == transfer_id)
        .order_by(PixRefund.id)
    ).all()
    return [
        {
            "id": t.id,
            "rtr_id": t.end_to_end_id,
            "amount_cents": r.amount_cents,
            "nature": r.nature,
            "description": r.description,
            "status": t.status,
            "created_at": _utc(r.created_at).isoformat(),
        }
        for r, t in rows
    ]
