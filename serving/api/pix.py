"""PIX router: the user's keys (register/list/delete; changes need step-up) and idempotent transfers.

``POST /pix/transfers`` requires an ``Idempotency-Key`` header. Order of work: step-up check for
amounts above settings.stepup_amount_cents; replay of a known key (same body: original status and
body; different body: 409); recipient resolution (a key of another user of this bank credits that
user's account; any other syntactically valid key is an external transfer credited to the
``pix_clearing`` system account, to be settled through SPI by a later process); fraud screen via
the FraudScreen dependency (block: 403 with reasons; review: 202, the transfer is *held*, its amount
reserved until an analyst releases or refuses it, :mod:`serving.api.holds`); ledger posting against
the available balance (insufficient funds: 422). Blocked, held and rejected outcomes are stored under
the key too, so a retry returns the same answer (a held transfer's retry answers the original 202; its
current status is at ``GET /pix/transfers/{id}``).
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, FastAPI, Header, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lake.settings import Settings
from serving.api.idempotency import require_key
from serving.api.types import Cents, IdPath, Instant
from serving.db.orm import Account, PixKey, Transfer
from serving.db.session import transaction
from serving.decisions import record_decision_sync
from serving.deps import (
    current_principal,
    get_clock,
    get_db,
    get_fraud_screen,
    get_services,
    principal_user,
    require_step_up,
    step_up_problem,
)
from serving.errors import PROBLEM_MEDIA_TYPE, Problem
from serving.fraud.context import build_context
from serving.fraud.screen import FraudScreen
from serving.openapi import problems
from serving.pix import holds, ledger
from serving.pix.keys import InvalidPixKey, KeyType, infer_type, new_evp, normalise
from serving.security.tokens import Principal
from serving.services import Services

router = APIRouter(tags=["pix"])
MAX_KEYS_PER_USER = 20


KEY_TYPES_TEXT = (
    "the DICT key type: `CPF` (11 digits), `CNPJ` (14 digits), `EMAIL`, `PHONE` (E.164, +55...) or `EVP` "
    "(a random UUID the bank creates)"
)


class PixKeyIn(BaseModel):
    """A PIX key to register."""

    key_type: KeyType = Field(description=KEY_TYPES_TEXT, examples=["EMAIL"])
    key: str | None = Field(
        default=None,
        max_length=77,
        description="the key; omit it for EVP (the bank generates the random key: sending one is a 422)",
        examples=["maria@example.com"],
    )


class PixKeyOut(BaseModel):
    """A registered PIX key."""

    id: int = Field(
        description="the key's id (for `DELETE /pix/keys/{key_id}` and `POST /pix/brcode`)", examples=[3]
    )
    key_type: KeyType = Field(description=KEY_TYPES_TEXT, examples=["EMAIL"])
    key: str = Field(
        description="the key, normalised (CPF digits only, e-mail lower-case, phone E.164)",
        examples=["maria@example.com"],
    )
    created_at: Instant = Field(
        description="when it was registered: RFC 3339 date-time with its UTC offset (served in UTC, ending in Z)",
        examples=["2026-12-03T17:30:00Z"],
    )


class TransferIn(BaseModel):
    """A PIX to send."""

    amount_cents: Cents = Field(
        description="the amount to send, integer cents (a JSON integer)", examples=[12550]
    )
    key: str = Field(
        min_length=1, max_length=77, description="recipient PIX key", examples=["bob@example.com"]
    )
    key_type: KeyType | None = Field(
        default=None, description="inferred from the key when omitted", examples=["EMAIL"]
    )
    description: str | None = Field(
        default=None,
        max_length=140,
        description="a message to the recipient (PIX `infoPagador`, up to 140 characters)",
        examples=["almoço"],
    )


def _account_of(db: Session, user_id: int) -> Account:
    acc = (
        db.execute(
            select(Account).where(Account.user_id == user_id, Account.kind == "customer").order_by(Account.id)
        )
        .scalars()
        .first()
    )
    if acc is None:
        raise Problem(404, "account_not_found", "the user has no account")
    return acc


@router.get("/pix/keys", response_model=list[PixKeyOut])
def list_keys(
    principal: Principal = Depends(current_principal), db: Session = Depends(get_db)
) -> list[PixKeyOut]:
    rows = db.scalars(select(PixKey).where(PixKey.user_id == principal.user_id).order_by(PixKey.id)).all()
    return [
        PixKeyOut(id=r.id, key_type=KeyType(r.key_type), key=r.key, created_at=r.created_at) for r in rows
    ]


@router.post(
    "/pix/keys",
    status_code=201,
    response_model=PixKeyOut,
    responses=problems(
        {
            404: "`account_not_found`",
            409: "`pix_key_taken` or `too_many_keys`",
            422: "`invalid_pix_key` (a CPF key must be the holder's own) or validation error",
        }
    ),
)
def register_key(
    body: PixKeyIn, principal: Principal = Depends(require_step_up), db: Session = Depends(get_db)
) -> PixKeyOut:
    if body.key_type is KeyType.EVP and body.key is not None:
        # EVP keys are generated by the bank (as DICT does): a chosen UUID could be another person's
        # key at another institution, and lake erasure/access trusts EVP keys as the holder's own
        msg = "a random (EVP) key is generated by the bank: omit key"
        raise Problem(
            422, "invalid_pix_key", msg, errors=[{"field": "body.key", "message": msg, "type": "value_error"}]
        )
    if body.key_type is KeyType.EVP:
        key = new_evp()
    elif body.key is None:
        raise Problem(
            422,
            "validation_error",
            "key is required for this key type",
            errors=[{"field": "body.key", "message": "required", "type": "missing"}],
        )
    else:
        key = body.key
    try:
        key = normalise(body.key_type, key)
    except InvalidPixKey as exc:
        raise Problem(
            422,
            "invalid_pix_key",
            str(exc),
            errors=[{"field": "body.key", "message": str(exc), "type": "value_error"}],
        ) from None
    try:
        with transaction(db):
            user = principal_user(db, principal)
            if body.key_type is KeyType.CPF and key != user.cpf:
                raise Problem(422, "invalid_pix_key", "a CPF key must be the holder's own CPF")
            if body.key_type is KeyType.CPF and user.identity_verified_at is None:
                from serving.kyc.proofing import not_verified_problem

                raise not_verified_problem()
            n = len(db.scalars(select(PixKey.id).where(PixKey.user_id == principal.user_id)).all())
            if n >= MAX_KEYS_PER_USER:
                raise Problem(409, "too_many_keys", f"at most {MAX_KEYS_PER_USER} keys per user")
            row = PixKey(
                user_id=principal.user_id,
                account_id=_account_of(db, principal.user_id).id,
                key_type=body.key_type.value,
                key=key,
            )
            db.add(row)
            db.flush()
    except IntegrityError:
        raise Problem(409, "pix_key_taken", "this key is already registered") from None
    return PixKeyOut(id=row.id, key_type=body.key_type, key=row.key, created_at=row.created_at)


@router.delete(
    "/pix/keys/{key_id}",
    status_code=204,
    response_class=Response,
    responses=problems({404: "`pix_key_not_found`"}),
)
def delete_key(
    key_id: IdPath, principal: Principal = Depends(require_step_up), db: Session = Depends(get_db)
) -> Response:
    with transaction(db):
        row = db.get(PixKey, key_id)
        if row is None or row.user_id != principal.user_id:
            raise Problem(404, "pix_key_not_found", "no such key")
        db.delete(row)
    return Response(status_code=204)


@router.post(
    "/pix/transfers",
    status_code=201,
    responses={
        200: {"description": "replay of an earlier request with the same Idempotency-Key"},
        202: {
            "description": "held for fraud review: nothing debited yet, the amount is reserved until an "
            "analyst releases or refuses it (or the hold expires); ``message`` tells the customer"
        },
        201: {
            "description": "the transfer; a retry with the same Idempotency-Key and body gets the original "
            "status and body again, with the header `Idempotent-Replayed: true`"
        },
        **problems(
            {
                400: "`idempotency_key_required`",
                403: "`step_up_required` or `blocked_by_fraud_screen` (with the reasons)",
                404: "`account_not_found`",
                409: "`idempotency_key_conflict`: the key was used with a different body",
                422: "`insufficient_funds`, `invalid_pix_key`, `self_transfer` or validation error",
            }
        ),
    },
)
def create_transfer(
    body: TransferIn,
    request: Request,
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key", max_length=128),
    device_id: str | None = Header(default=None, alias="X-Device-ID", max_length=64),
    principal: Principal = Depends(current_principal),
    services: Services = Depends(get_services),
    screen: FraudScreen = Depends(get_fraud_screen),
    now: datetime = Depends(get_clock),
) -> JSONResponse:
    idempotency_key = require_key(idempotency_key)
    if body.amount_cents > services.settings.stepup_amount_cents and not principal.stepped_up:
        raise step_up_problem(
            f"transfers above {services.settings.stepup_amount_cents} cents require step-up authentication"
        )
    try:
        key_type = body.key_type or infer_type(body.key)
        key = normalise(key_type, body.key)
    except InvalidPixKey as exc:
        raise Problem(
            422,
            "invalid_pix_key",
            str(exc),
            errors=[{"field": "body.key", "message": str(exc), "type": "value_error"}],
        ) from None
    req_hash = ledger.request_hash(
        {
            "amount_cents": body.amount_cents,
            "key": key,
            "key_type": key_type.value,
            "description": body.description,
        }
    )
    sessions = services.sessions
    holds.expire_due(services, now, principal.user_id)  # an expired hold no longer reserves money
    try:
        replay = ledger.lookup(sessions, principal.user_id, idempotency_key, req_hash)
        if replay is not None:
            return _respond(replay)
        with sessions() as db:
            payer = _account_of(db, principal.user_id)
            target = db.execute(select(PixKey).where(PixKey.key == key)).scalar_one_or_none()
            if target is not None and target.user_id == principal.user_id:
                raise Problem(422, "self_transfer", "the recipient key belongs to the payer")
            internal = target is not None
            to_account = (
                target.account_id if target is not None else ledger.system_account_id(db, "pix_clearing")
            )
            ctx = build_context(
                db,
                user_id=principal.user_id,
                amount_cents=body.amount_cents,
                recipient_key=key,
                recipient_internal=internal,
                device_id=device_id,
                at=now,
            )
            payer_id = payer.id
        decision = screen.score(ctx)
        outcome = ledger.post_transfer(
            sessions,
            user_id=principal.user_id,
            kind="pix",
            idem_key=idempotency_key,
            req_hash=req_hash,
            from_account_id=payer_id,
            to_account_id=to_account,
            amount_cents=body.amount_cents,
            ispb=services.settings.pix_ispb,
            recipient_key=key,
            recipient_key_type=key_type.value,
            recipient_internal=internal,
            decision=decision,
            device_id=device_id,
            instance=request.url.path,
            at=now,
        )
    except ledger.IdempotencyConflict:
        raise Problem(
            409, "idempotency_key_conflict", "this Idempotency-Key was used with a different request body"
        ) from None
    if not outcome.replayed:
        record_decision_sync(
            request,
            service="fraud",
            outcome=decision.decision,
            resource=f"transfer:{outcome.body.get('id') or outcome.body.get('transfer', {}).get('id')}",
            model_version=decision.model_version,
            details={
                "probability": decision.probability,
                "reasons": list(decision.reasons),
                "status": outcome.status_code,
            },
        )
        if outcome.status_code == 202:
            with sessions() as db:
                held = db.get(Transfer, outcome.body["id"])
            if held is None:  # pragma: no cover - written by this request, never deleted
                raise RuntimeError(f"held transfer {outcome.body['id']} is missing")
            holds.audit(
                services,
                held,
                "hold",
                actor_id=principal.user_id,
                request_id=getattr(request.state, "request_id", None),
            )
    return _respond(outcome)


def _respond(outcome: ledger.Outcome) -> JSONResponse:
    media = PROBLEM_MEDIA_TYPE if outcome.status_code >= 400 else "application/json"
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
    return JSONResponse(outcome.body, status_code=outcome.status_code, media_type=media, headers=headers)


def create_app(settings: Settings | None = None) -> FastAPI:
    from serving.app import create_app as gateway

    return gateway(settings, routers=[router])
