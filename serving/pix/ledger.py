"""Double-entry ledger posting with idempotency, in one transaction with row locks.

``post_transfer`` locks both accounts with SELECT ... FOR UPDATE in ascending id order (no deadlock
between opposite transfers; on SQLite the whole transaction already runs under BEGIN IMMEDIATE),
re-checks the idempotency key under the lock, then writes the transfer row (with its response
snapshot) and, when approved and funded, a debit and a credit entry that sum to zero and the new
balances. A concurrent duplicate that slips past the check hits the unique (user_id,
idempotency_key) constraint and is answered from the stored snapshot.

Funds are checked against the *available* balance (balance - held). A transfer the fraud screen sends
to review is not posted: it is ``held`` (202), its amount is added to the payer's ``held_cents``
(reserved, no ledger entry) until :mod:`serving.pix.holds` releases it (then posted), or refuses it /
it expires (reservation undone); the customer is notified in the same transaction.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import string
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from serving.db.models import Account, LedgerEntry, Transfer
from serving.errors import PROBLEM_BASE
from serving.fraud.screen import Decision
from serving.pix import notices

_ALNUM = string.ascii_letters + string.digits


@dataclass(frozen=True)
class Outcome:
    status_code: int
    body: dict[str, Any]
    replayed: bool = False


class IdempotencyConflict(Exception):
    """Same idempotency key, different request body."""


def request_hash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def end_to_end_id(ispb: str, at: datetime) -> str:
    """BACEN EndToEndId: 'E' + ISPB (8) + yyyyMMddHHmm (UTC) + 11 alphanumerics = 32 characters."""
    return (
        "E"
        + ispb
        + at.astimezone(UTC).strftime("%Y%m%d%H%M")
        + "".join(secrets.choice(_ALNUM) for _ in range(11))
    )


def system_account_id(db: Session, code: str) -> int:
    return db.execute(select(Account.id).where(Account.code == code)).scalar_one()


def _replay(existing: Transfer, req_hash: str) -> Outcome:
    if existing.request_hash != req_hash:
        raise IdempotencyConflict()
    return Outcome(existing.response_status, json.loads(existing.response_body), replayed=True)


def find_existing(db: Session, user_id: int, idem_key: str) -> Transfer | None:
    return db.execute(
        select(Transfer).where(Transfer.user_id == user_id, Transfer.idempotency_key == idem_key)
    ).scalar_one_or_none()


def lookup(sessions: sessionmaker, user_id: int, idem_key: str, req_hash: str) -> Outcome | None:
    with sessions() as db, db.begin():
        existing = find_existing(db, user_id, idem_key)
        return _replay(existing, req_hash) if existing else None


def post_transfer(
    sessions: sessionmaker,
    *,
    user_id: int,
    kind: str,
    idem_key: str,
    req_hash: str,
    from_account_id: int,
    to_account_id: int,
    amount_cents: int,
    ispb: str,
    recipient_key: str | None = None,
    recipient_key_type: str | None = None,
    recipient_internal: bool = True,
    decision: Decision | None = None,
    device_id: str | None = None,
    instance: str | None = None,
    at: datetime | None = None,
) -> Outcome:
    if amount_cents <= 0:
        raise ValueError("amount must be positive")
    if from_account_id == to_account_id:
        raise ValueError("cannot transfer to the same account")
    try:
        with sessions() as db, db.begin():
            locked = lock_accounts(db, from_account_id, to_account_id)
            existing = find_existing(db, user_id, idem_key)
            if existing is not None:
                return _replay(existing, req_hash)
            payer, payee = locked[from_account_id], locked[to_account_id]
            now = notices.utc(at) if at is not None else datetime.now(UTC)
            transfer = Transfer(
                end_to_end_id=end_to_end_id(ispb, now),
                user_id=user_id,
                kind=kind,
                idempotency_key=idem_key,
                request_hash=req_hash,
                from_account_id=payer.id,
                to_account_id=payee.id,
                amount_cents=amount_cents,
                recipient_key=recipient_key,
                recipient_key_type=recipient_key_type,
                decision=decision.decision if decision else None,
                fraud_probability=f"{decision.probability:.4f}" if decision else None,
                model_version=decision.model_version if decision else None,
                device_id=device_id,
                created_at=now,
                status="pending",
                response_status=0,
                response_body="{}",
            )
            db.add(transfer)
            db.flush()
            summary = {
                "id": transfer.id,
                "end_to_end_id": transfer.end_to_end_id,
                "amount_cents": amount_cents,
                "recipient": {
                    "key": recipient_key,
                    "key_type": recipient_key_type,
                    "internal": recipient_internal,
                },
                "created_at": now.isoformat(),
            }
            if decision is not None:
                summary["fraud"] = {
                    "decision": decision.decision,
                    "probability": decision.probability,
                    "reasons": list(decision.reasons),
                    "model_version": decision.model_version,
                }
            if decision is not None and decision.decision == "block":
                status, code = "blocked", 403
                body = _problem(
                    403,
                    "blocked_by_fraud_screen",
                    "the transfer was blocked by the fraud screen",
                    instance,
                    transfer=summary,
                    reasons=list(decision.reasons),
                )
            elif not payer.allow_negative and available_cents(payer) < amount_cents:
                status, code = "rejected", 422
                body = _problem(
                    422,
                    "insufficient_funds",
                    "the available balance does not cover the amount",
                    instance,
                    transfer=summary,
                )
            elif decision is not None and decision.decision == "review":
                payer.held_cents += amount_cents
                expires = notices.hold_deadline(now)
                transfer.hold_expires_at = expires
                status, code = "held", 202
                body = {
                    **summary,
                    "status": status,
                    "hold_expires_at": expires.isoformat(),
                    "message": notices.message("pix_held", amount_cents, expires_at=expires),
                    "balance_cents": payer.balance_cents,
                    "available_cents": available_cents(payer),
                }
                notices.notify(
                    db,
                    user_id=user_id,
                    kind="pix_held",
                    transfer_id=transfer.id,
                    amount_cents=amount_cents,
                    at=now,
                    expires_at=expires,
                )
            else:
                post_entries(db, transfer, payer, payee, now)
                status, code = "completed", 201
                body = {
                    **summary,
                    "status": status,
                    "balance_cents": payer.balance_cents,
                    "available_cents": available_cents(payer),
                }
            if code >= 400:
                body["transfer"]["status"] = status
            transfer.status = status
            transfer.response_status = code
            transfer.response_body = json.dumps(body, sort_keys=True)
        return Outcome(code, body)
    except IntegrityError:
        # a concurrent request with the same key won the race: answer from its snapshot
        with sessions() as db, db.begin():
            existing = find_existing(db, user_id, idem_key)
        if existing is None:
            raise
        return _replay(existing, req_hash)


def available_cents(acc: Account) -> int:
    """What the account may spend: the balance minus the amounts reserved by held transfers."""
    return acc.balance_cents - (acc.held_cents or 0)


def post_entries(db: Session, transfer: Transfer, payer: Account, payee: Account, at: datetime) -> None:
    """The debit and the credit of ``transfer`` (they sum to zero) and the new balances; accounts locked."""
    amount = transfer.amount_cents
    payer.balance_cents -= amount
    payee.balance_cents += amount
    db.add_all(
        [
            LedgerEntry(
                transfer_id=transfer.id,
                account_id=payer.id,
                side="debit",
                amount_cents=-amount,
                created_at=at,
            ),
            LedgerEntry(
                transfer_id=transfer.id,
                account_id=payee.id,
                side="credit",
                amount_cents=amount,
                created_at=at,
            ),
        ]
    )


def lock_accounts(db: Session, *ids: int) -> dict[int, Account]:
    """SELECT ... FOR UPDATE of the accounts, in ascending id order (the order every writer uses)."""
    return {
        a.id: a
        for a in db.scalars(
            select(Account).where(Account.id.in_(sorted(set(ids)))).order_by(Account.id).with_for_update()
        )
    }


def _problem(status: int, code: str, detail: str, instance: str | None, **extra: Any) -> dict[str, Any]:
    title = {403: "Forbidden", 422: "Unprocessable Content"}[status]
    body = {"type": PROBLEM_BASE + code, "title": title, "status": status, "code": code, "detail": detail}
    if instance:
        body["instance"] = instance
    body.update(extra)
    return body
