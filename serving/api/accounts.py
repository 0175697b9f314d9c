"""Accounts router: the caller's balance and ledger entries; admin deposits (cash-in from the
``funding`` system account, posted through the same idempotent double-entry ledger).

``GET /accounts/me`` distinguishes the booked balance from what can be spent: ``held_cents`` is
reserved by PIX transfers held for fraud review, ``available_cents = balance_cents - held_cents``.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from lake.settings import Settings
from serving.api.idempotency import require_key
from serving.api.pix import _account_of, _respond
from serving.api.types import Cents, Id, Instant
from serving.db.orm import Account, LedgerEntry
from serving.deps import current_principal, get_clock, get_db, get_services, require_roles
from serving.errors import Problem
from serving.openapi import problems
from serving.pix import holds, ledger
from serving.security.tokens import Principal
from serving.services import Services

router = APIRouter(tags=["accounts"])


class AccountOut(BaseModel):
    """The caller's checking account and its balances (integer cents)."""

    id: int = Field(description="the account's id (the `account_id` of the login)", examples=[42])
    balance_cents: int = Field(description="booked balance (ledger), integer cents", examples=[150000])
    held_cents: int = Field(
        description="reserved by PIX transfers held for fraud review, integer cents", examples=[25000]
    )
    available_cents: int = Field(
        description="what can be spent: balance - held, integer cents", examples=[125000]
    )


class EntryOut(BaseModel):
    """One posting of the double-entry ledger on the caller's account."""

    transfer_id: int = Field(
        description="the transfer (PIX, deposit, refund) this posting belongs to; each transfer posts one "
        "debit and one credit of the same amount",
        examples=[1017],
    )
    side: str = Field(
        description="`debit` (money left this account) or `credit` (money came in)", examples=["credit"]
    )
    amount_cents: int = Field(
        description="the amount posted, integer cents (always positive)", examples=[12550]
    )
    created_at: Instant = Field(
        description="when it was booked: RFC 3339 date-time with its UTC offset (served in UTC, ending in Z)",
        examples=["2026-12-03T17:30:00Z"],
    )


class DepositIn(BaseModel):
    """A cash-in to a customer account (admins)."""

    account_id: Id = Field(description="the customer account to credit", examples=[42])
    amount_cents: Cents = Field(
        description="the amount to deposit, integer cents (a JSON integer)", examples=[500000]
    )


@router.get("/accounts/me", response_model=AccountOut, responses=problems({404: "`account_not_found`"}))
def my_account(
    principal: Principal = Depends(current_principal),
    services: Services = Depends(get_services),
    now: datetime = Depends(get_clock),
) -> AccountOut:
    holds.expire_due(services, now, principal.user_id)  # an expired hold no longer reserves money
    with services.sessions() as db:
        acc = _account_of(db, principal.user_id)
        return AccountOut(
            id=acc.id,
            balance_cents=acc.balance_cents,
            held_cents=acc.held_cents,
            available_cents=ledger.available_cents(acc),
        )


@router.get(
    "/accounts/me/entries", response_model=list[EntryOut], responses=problems({404: "`account_not_found`"})
)
def my_entries(
    limit: int = Query(50, ge=1, le=500, description="page size: at most this many entries"),
    offset: int = Query(0, ge=0, le=10**9, description="entries to skip (newest first) for the next page"),
    principal: Principal = Depends(current_principal),
    db: Session = Depends(get_db),
) -> list[EntryOut]:
    acc = _account_of(db, principal.user_id)
    rows = db.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.account_id == acc.id)
        .order_by(LedgerEntry.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return [
        EntryOut(transfer_id=r.transfer_id, side=r.side, amount_cents=r.amount_cents, created_at=r.created_at)
        for r in rows
    ]


@router.post(
    "/admin/deposits",
    status_code=201,
    responses=problems(
        {
            400: "`idempotency_key_required`",
            404: "`account_not_found`: no such customer account",
            409: "`idempotency_key_conflict`",
        }
    ),
)
def deposit(
    body: DepositIn,
    request: Request,
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key", max_length=128),
    principal: Principal = Depends(require_roles("admin")),
    services: Services = Depends(get_services),
) -> JSONResponse:
    idempotency_key = require_key(idempotency_key)
    with services.sessions() as db:
        acc = db.get(Account, body.account_id)
        if acc is None or acc.kind != "customer":
            raise Problem(404, "account_not_found", "no such customer account")
        funding = ledger.system_account_id(db, "funding")
    req_hash = ledger.request_hash({"account_id": body.account_id, "amount_cents": body.amount_cents})
    try:
        outcome = ledger.post_transfer(
            services.sessions,
            user_id=principal.user_id,
            kind="deposit",
            idem_key=f"deposit:{idempotency_key}",
            req_hash=req_hash,
            from_account_id=funding,
            to_account_id=body.account_id,
            amount_cents=body.amount_cents,
            ispb=services.settings.pix_ispb,
            instance=request.url.path,
        )
    except ledger.IdempotencyConflict:
        raise Problem(
            409, "idempotency_key_conflict", "this Idempotency-Key was used with a different body"
        ) from None
    return _respond(outcome)


def create_app(settings: Settings | None = None) -> FastAPI:
    from serving.app import create_app as gateway

    return gateway(settings, routers=[router])
