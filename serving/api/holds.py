"""PIX transfers after the fact: the customer's transfers and notifications, the analysts' review queue.

Customer (own data only, 404 for anyone else's):

* ``GET /pix/transfers`` / ``GET /pix/transfers/{id}``: the PIX transfers the caller made and their
  current status (``completed``, ``held``, ``refused``, ``blocked``, ``rejected``) with the review
  outcome (``released``, ``refused``, ``expired``);
* ``GET /notifications`` (newest first) and ``POST /notifications/{id}/read``.

Admins (role ``admin``; never their own transfer):

* ``GET /admin/pix/holds``: the held transfers, oldest first, with the fraud screen's reasons;
* ``POST /admin/pix/transfers/{id}/release`` (posts it) and ``.../refuse`` (undoes the reservation),
  with an optional note; 409 ``transfer_not_held`` when it was already reviewed or had expired.

Holds past their deadline are expired (refused, customer told, audited) when anyone looks at them:
these routes, ``GET /accounts/me`` and the next transfer of the payer (:func:`serving.pix.holds.expire_due`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from serving.db.orm import Notification, Transfer
from serving.deps import current_principal, get_clock, get_services, require_roles
from serving.errors import Problem
from serving.pix import holds, notices
from serving.security.tokens import Principal
from serving.services import Services

router = APIRouter(tags=["pix"])
MAX_ID = 2**63 - 1
Status = Literal["completed", "held", "refused", "blocked", "rejected"]


class Recipient(BaseModel):
    """Who a PIX transfer pays."""

    key: str | None = Field(description="the PIX key paid", examples=["bob@example.com"])
    key_type: str | None = Field(
        description="its DICT type: CPF, CNPJ, EMAIL, PHONE or EVP", examples=["EMAIL"]
    )
    internal: bool | None = Field(
        default=None,
        description="true when the key belongs to a customer of this bank (credited at once), false when "
        "it goes to clearing (SPI)",
        examples=[True],
    )


class Review(BaseModel):
    """The outcome of a held transfer's review."""

    outcome: Literal["released", "refused", "expired"] = Field(
        description="`released` (sent), `refused` by an analyst, or `expired` (the hold ran out: not sent)",
        examples=["released"],
    )
    at: datetime = Field(
        description="when it was decided: RFC 3339 date-time with its UTC offset",
        examples=["2026-12-03T17:45:00Z"],
    )
    by: int | None = Field(default=None, description="admin view: the analyst's user id", examples=[2])
    note: str | None = Field(
        default=None,
        description="admin view: the analyst's note",
        examples=["cliente confirmou por telefone"],
    )


class TransferView(BaseModel):
    """A PIX transfer as its customer sees it now."""

    id: int = Field(description="the transfer's id", examples=[1017])
    end_to_end_id: str = Field(
        description="the PIX EndToEndId (E + the ISPB of the payer's institution + yyyyMMddHHmm in UTC + 11 "
        "alphanumerics, 32 characters) that identifies the payment end to end in SPI",
        examples=["E00000000202612031730pQ7rS2tU9vW"],
    )
    kind: str = Field(
        description="what moved the money, e.g. `pix`, `pix_refund`, `deposit`", examples=["pix"]
    )
    status: str = Field(
        description="`completed`, `held` (in fraud review: the amount is reserved), `refused` (by the "
        "review), `blocked` (by the fraud screen) or `rejected` (insufficient funds)",
        examples=["completed"],
    )
    amount_cents: int = Field(description="the amount, integer cents", examples=[12550])
    recipient: Recipient | None = Field(description="who was paid (null for deposits)")
    created_at: datetime = Field(
        description="when it was requested: RFC 3339 date-time with its UTC offset",
        examples=["2026-12-03T17:30:00Z"],
    )
    hold_expires_at: datetime | None = Field(
        description="for a held transfer: when the hold ends (not sent unless released before): RFC 3339 date-time with its UTC offset",
        examples=["2026-12-04T17:30:00Z"],
    )
    review: Review | None = Field(description="the review's outcome, once decided")


class HeldTransfer(TransferView):
    """A transfer as an analyst sees it, with the fraud screen's result."""

    user_id: int | None = Field(description="the payer's user id", examples=[42])
    fraud: dict[str, Any] | None = Field(
        description="the fraud screen's result: probability, decision, reasons (Portuguese), model version",
        examples=[
            {
                "probability": 0.41,
                "decision": "review",
                "reasons": ["valor muito acima do habitual"],
                "model_version": "fraud/7",
            }
        ],
    )
    device_id: str | None = Field(
        description="the `X-Device-ID` the transfer came from", examples=["a1b2c3d4"]
    )


class NotificationOut(BaseModel):
    """A notice to the customer (Portuguese title and message)."""

    id: int = Field(description="the notification's id", examples=[12])
    kind: str = Field(
        description="`pix_held`, `pix_released`, `pix_refused` or `pix_expired`", examples=["pix_held"]
    )
    title: str = Field(
        description="the title shown to the customer, in Portuguese", examples=["Pix em análise"]
    )
    message: str = Field(
        description="the text shown to the customer, in Portuguese",
        examples=[
            "Seu Pix de R$ 2.500,00 está em análise de segurança. O valor fica reservado na sua conta e não sai "
            "até a análise terminar (no máximo até 04/12/2026 14:30, horário de Brasília). Avisaremos você do "
            "resultado."
        ],
    )
    transfer_id: int | None = Field(description="the transfer it is about", examples=[1017])
    created_at: datetime = Field(
        description="when it was sent: RFC 3339 date-time with its UTC offset",
        examples=["2026-12-03T17:30:00Z"],
    )
    read_at: datetime | None = Field(
        description="when it was marked read: RFC 3339 date-time with its UTC offset (null: unread)"
    )


class ReviewIn(BaseModel):
    """An analyst's note on a review decision."""

    note: str | None = Field(
        default=None,
        max_length=280,
        description="the analyst's note (kept, audited)",
        examples=["cliente confirmou o Pix por telefone"],
    )


def _notification(n: Notification) -> NotificationOut:
    return NotificationOut(
        id=n.id,
        kind=n.kind,
        title=n.title,
        message=n.message,
        transfer_id=n.transfer_id,
        created_at=notices.utc(n.created_at),
        read_at=notices.utc(n.read_at),
    )


@router.get("/pix/transfers", response_model=list[TransferView])
def my_transfers(
    status: Status | None = Query(default=None, description="only transfers in this status"),
    limit: int = Query(50, ge=1, le=500, description="page size"),
    offset: int = Query(0, ge=0, le=10**9, description="items to skip, for the next page"),
    principal: Principal = Depends(current_principal),
    services: Services = Depends(get_services),
    now: datetime = Depends(get_clock),
) -> list[dict[str, Any]]:
    holds.expire_due(services, now, principal.user_id)
    q = select(Transfer).where(Transfer.user_id == principal.user_id, Transfer.kind == "pix")
    if status is not None:
        q = q.where(Transfer.status == status)
    with services.sessions() as db:
        rows = db.scalars(q.order_by(Transfer.id.desc()).limit(limit).offset(offset)).all()
        return [holds.transfer_view(t) for t in rows]


@router.get("/pix/transfers/{transfer_id}", response_model=TransferView)
def my_transfer(
    transfer_id: int = Path(ge=1, le=MAX_ID, description="the transfer's id"),
    principal: Principal = Depends(current_principal),
    services: Services = Depends(get_services),
    now: datetime = Depends(get_clock),
) -> dict[str, Any]:
    holds.expire_due(services, now, principal.user_id)
    with services.sessions() as db:
        t = db.get(Transfer, transfer_id)
        if t is None or t.user_id != principal.user_id or t.kind != "pix":
            raise Problem(404, "transfer_not_found", "no such PIX transfer")
        return holds.transfer_view(t)


@router.get("/notifications", response_model=list[NotificationOut])
def my_notifications(
    unread: bool = Query(default=False, description="only the ones not marked as read"),
    limit: int = Query(50, ge=1, le=500, description="page size"),
    offset: int = Query(0, ge=0, le=10**9, description="items to skip, for the next page"),
    principal: Principal = Depends(current_principal),
    services: Services = Depends(get_services),
    now: datetime = Depends(get_clock),
) -> list[NotificationOut]:
    holds.expire_due(services, now, principal.user_id)
    q = select(Notification).where(Notification.user_id == principal.user_id)
    if unread:
        q = q.where(Notification.read_at.is_(None))
    with services.sessions() as db:
        rows = db.scalars(q.order_by(Notification.id.desc()).limit(limit).offset(offset)).all()
        return [_notification(n) for n in rows]


@router.post("/notifications/{notification_id}/read", response_model=NotificationOut)
def mark_read(
    notification_id: int = Path(ge=1, le=MAX_ID, description="the notification's id"),
    principal: Principal = Depends(current_principal),
    services: Services = Depends(get_services),
    now: datetime = Depends(get_clock),
) -> NotificationOut:
    with services.sessions() as db, db.begin():
        n = db.get(Notification, notification_id)
        if n is None or n.user_id != principal.user_id:
            raise Problem(404, "notification_not_found", "no such notification")
        if n.read_at is None:
            n.read_at = notices.utc(now)
        return _notification(n)


@router.get("/admin/pix/holds", response_model=list[HeldTransfer])
def held_transfers(
    limit: int = Query(100, ge=1, le=500, description="at most this many held transfers"),
    principal: Principal = Depends(require_roles("admin")),
    services: Services = Depends(get_services),
    now: datetime = Depends(get_clock),
) -> list[dict[str, Any]]:
    holds.expire_due(services, now)
    with services.sessions() as db:
        rows = db.scalars(
            select(Transfer).where(Transfer.status == "held").order_by(Transfer.id).limit(limit)
        ).all()
        return [holds.transfer_view(t, admin=True) for t in rows]


def _review(
    action: holds.Action,
    transfer_id: int,
    body: ReviewIn | None,
    request: Request,
    principal: Principal,
    services: Services,
    now: datetime,
) -> dict[str, Any]:
    t = holds.review(
        services,
        transfer_id,
        action,
        now=now,
        reviewer_id=principal.user_id,
        note=body.note if body else None,
        request_id=getattr(request.state, "request_id", None),
    )
    return holds.transfer_view(t, admin=True)


_REVIEW_RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {"description": "not an admin, or the admin's own transfer (own_transfer)"},
    404: {"description": "no such PIX transfer"},
    409: {"description": "transfer_not_held: already reviewed, or the hold expired"},
}


@router.post(
    "/admin/pix/transfers/{transfer_id}/release", response_model=HeldTransfer, responses=_REVIEW_RESPONSES
)
def release(
    request: Request,
    transfer_id: int = Path(ge=1, le=MAX_ID, description="the transfer's id"),
    body: ReviewIn | None = None,
    principal: Principal = Depends(require_roles("admin")),
    services: Services = Depends(get_services),
    now: datetime = Depends(get_clock),
) -> dict[str, Any]:
    """Release a held transfer: the money moves (ledger posted) and the customer is told."""
    return _review("release", transfer_id, body, request, principal, services, now)


@router.post(
    "/admin/pix/transfers/{transfer_id}/refuse", response_model=HeldTransfer, responses=_REVIEW_RESPONSES
)
def refuse(
    request: Request,
    transfer_id: int = Path(ge=1, le=MAX_ID, description="the transfer's id"),
    body: ReviewIn | None = None,
    principal: Principal = Depends(require_roles("admin")),
    services: Services = Depends(get_services),
    now: datetime = Depends(get_clock),
) -> dict[str, Any]:
    """Refuse a held transfer: nothing moves, the reservation is undone and the customer is told."""
    return _review("refuse", transfer_id, body, request, principal, services, now)
