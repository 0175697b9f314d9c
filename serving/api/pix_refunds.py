"""PIX refunds router: the receiving customer gives back (part of) a PIX transfer received.

``POST /pix/transfers/{transfer_id}/refunds`` (``Idempotency-Key`` required; body ``amount_cents``,
omitted for all that is left, and ``description``): only the customer who received the transfer may
refund it; partial refunds add up to at most the amount, within 90 days; amounts above
``settings.stepup_amount_cents`` need step-up, like transfers. The posting is double-entry and
idempotent (:mod:`serving.pix.refunds`): the same key and body replay the first answer
(status and body, with ``Idempotent-Replayed: true``), the same key with another body is 409. Each new refund writes an
audit event ``pix:refund`` (outcome, amounts, the transfers involved).
``GET /pix/transfers/{transfer_id}/refunds``: the refunds of a transfer, for its payer or receiver.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from serving.api.idempotency import require_key
from serving.api.types import IdPath
from serving.audit.store import make_event
from serving.db.orm import Account, Transfer
from serving.deps import current_principal, get_clock, get_db, get_services, step_up_problem
from serving.errors import PROBLEM_MEDIA_TYPE, Problem
from serving.pix import ledger
from serving.pix import refunds as rf
from serving.security.tokens import Principal
from serving.services import Services

router = APIRouter(tags=["pix"])


class RefundIn(BaseModel):
    """How much of a received PIX to give back."""

    amount_cents: int | None = Field(
        default=None,
        gt=0,
        le=10**13,
        description="integer cents; omit to refund all that is left",
        examples=[5000],
    )
    description: str | None = Field(
        default=None, max_length=140, description="message to the payer", examples=["devolução parcial"]
    )


@router.post(
    "/pix/transfers/{transfer_id}/refunds",
    status_code=201,
    responses={
        201: {"description": "refunded; a replay (same Idempotency-Key and body) repeats the first answer"},
        403: {"description": "step_up_required"},
        404: {"description": "transfer_not_found (not a completed PIX received by the caller)"},
        409: {"description": "Idempotency-Key reused with a different body"},
        422: {"description": "refund_exceeds_transfer, refund_window_expired or insufficient_funds"},
    },
)
def create_refund(
    transfer_id: IdPath,
    body: RefundIn,
    request: Request,
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key", max_length=128),
    principal: Principal = Depends(current_principal),
    services: Services = Depends(get_services),
    now: datetime = Depends(get_clock),
) -> JSONResponse:
    idempotency_key = require_key(idempotency_key)
    with services.sessions() as db:
        try:
            original = rf.receivable(db, principal.user_id, transfer_id)
        except rf.RefundRefused as exc:
            raise Problem(exc.status, exc.code, exc.detail) from None
        amount = body.amount_cents or original.amount_cents - rf.refunded_cents(db, transfer_id)
    if amount > services.settings.stepup_amount_cents and not principal.stepped_up:
        raise step_up_problem(
            f"refunds above {services.settings.stepup_amount_cents} cents require step-up authentication"
        )
    req_hash = ledger.request_hash(
        {"refund_of": transfer_id, "amount_cents": body.amount_cents, "description": body.description}
    )
    try:
        outcome = rf.post_refund(
            services.sessions,
            rf.RefundRequest(
                user_id=principal.user_id,
                transfer_id=transfer_id,
                amount_cents=body.amount_cents,
                description=body.description,
                idem_key=idempotency_key,
                req_hash=req_hash,
                ispb=services.settings.pix_ispb,
                now=now,
            ),
            instance=request.url.path,
        )
    except ledger.IdempotencyConflict:
        raise Problem(
            409, "idempotency_key_conflict", "this Idempotency-Key was used with a different request body"
        ) from None
    except rf.RefundRefused as exc:
        raise Problem(exc.status, exc.code, exc.detail) from None
    if not outcome.replayed:
        refund = outcome.body.get("refund") or outcome.body
        services.audit.append(
            make_event(
                actor=services.pseudonym(principal.user_id),
                action="pix:refund",
                resource=f"transfer:{transfer_id}",
                outcome=refund.get("status", "unknown"),
                request_id=getattr(request.state, "request_id", None),
                details={
                    "refund_transfer_id": refund.get("id"),
                    "amount_cents": refund.get("amount_cents"),
                    "rtr_id": refund.get("rtr_id"),
                    "http_status": outcome.status_code,
                },
            )
        )
    media = PROBLEM_MEDIA_TYPE if outcome.status_code >= 400 else "application/json"
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
    return JSONResponse(outcome.body, status_code=outcome.status_code, media_type=media, headers=headers)


@router.get("/pix/transfers/{transfer_id}/refunds")
def list_refunds(
    transfer_id: IdPath, principal: Principal = Depends(current_principal), db: Session = Depends(get_db)
) -> dict[str, Any]:
    original = db.get(Transfer, transfer_id)
    owners = set()
    if original is not None:
        for account_id in (original.from_account_id, original.to_account_id):
            acc = db.get(Account, account_id)
            if acc is not None and acc.user_id is not None:
                owners.add(acc.user_id)
    if original is None or original.kind != "pix" or principal.user_id not in owners:
        raise Problem(404, "transfer_not_found", "no PIX transfer of yours with this id")
    items = rf.refunds_of(db, transfer_id)
    refunded = sum(i["amount_cents"] for i in items if i["status"] == "completed")
    return {
        "transfer_id": transfer_id,
        "amount_cents": original.amount_cents,
        "refunded_cents": refunded,
        "refundable_cents": original.amount_cents - refunded,
        "refunds": items,
    }
