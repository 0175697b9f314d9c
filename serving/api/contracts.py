"""Contracts router: the customer's tokenised BRL wallet and escrows on Soroban.

* ``GET /contracts/wallet``: the customer's custodial Stellar address (the key is created on first
  use and never returned) and BRL token balance; ``POST /contracts/wallet/deposit`` tokenises
  ``amount_cents`` of the checking account (a ledger posting to the ``token_reserve`` account, then
  the bank mints the same amount to the wallet).
* ``POST /contracts/escrows`` opens an escrow to the customer behind ``payee_pix_key``;
  ``POST /contracts/escrows/{id}/{fund|release|confirm|claim|refund|dispute|cancel}`` moves it; the
  bank (role admin) settles disputes with ``POST /contracts/escrows/{id}/resolve``.
  ``GET /contracts/escrows`` lists the caller's, ``GET /contracts/escrows/{id}`` reads one.

Every state-changing call needs an ``Idempotency-Key`` (same key and body: the first answer is
replayed with ``Idempotent-Replayed: true``; another body: 409), release and refund need a step-up
token, contract refusals are problem+json with a Portuguese ``detail``, and every call is audited
(``contracts:<action>``). The router is mounted only when ``COFRE_SOROBAN_RPC_URL`` is set.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lake.soroban_contracts import ContractsService
from lake.soroban_rpc import RpcError, SorobanRpc
from serving.api.idempotency import require_key
from serving.audit.store import make_event
from serving.contracts.custody import Custody
from serving.contracts.problems import problem_of
from serving.db.orm import Account, ContractCall, PixKey, Transfer
from serving.deps import CurrentPrincipal, NowDep, ServicesDep, require_roles, step_up_problem
from serving.errors import Problem
from serving.openapi import problems
from serving.pix import keys as pix_keys
from serving.pix import ledger
from serving.security.tokens import Principal
from serving.services import Services

router = APIRouter(prefix="/contracts", tags=["contracts"])
RESERVE = "token_reserve"
STEP_UP = {"release", "refund"}
TRANSITIONS = ("fund", "release", "confirm", "claim", "refund", "dispute", "cancel")


class DepositIn(BaseModel):
    """Money of the checking account to tokenise."""

    amount_cents: int = Field(
        gt=0, le=10**11, description="integer cents of the checking account to tokenise", examples=[150000]
    )


class EscrowIn(BaseModel):
    """A new escrow between the caller (payer) and another customer (payee)."""

    payee_pix_key: str = Field(
        min_length=1,
        max_length=77,
        description="PIX key of the payee (a cofre customer)",
        examples=["bob@example.com"],
    )
    amount_cents: int = Field(
        gt=0,
        le=10**11,
        description="integer cents of the payer's tokens to lock in escrow",
        examples=[150000],
    )
    deadline: datetime = Field(
        description="after it the payer may be refunded (ISO 8601 with offset)",
        examples=["2026-12-31T23:59:00-03:00"],
    )


class ResolveIn(BaseModel):
    """How the bank splits a disputed escrow."""

    payee_share_cents: int = Field(
        ge=0, le=10**11, description="to the payee; the rest goes back to the payer", examples=[75000]
    )


CHAIN = {
    502: "`soroban_rejected` / `soroban_error`: the network refused the transaction",
    503: "`soroban_unavailable`: the Soroban RPC cannot be reached",
}
WRITE = {
    400: "`idempotency_key_required`",
    409: "`idempotency_key_conflict`, `escrow_wrong_state`, `escrow_deadline_passed`, `escrow_deadline_not_reached`",
    **CHAIN,
}


def contracts(services: Services) -> tuple[ContractsService, Custody]:
    """The service over the configured RPC (built once per gateway)."""
    cached = services.contracts
    if cached is None:
        if not services.settings.soroban_rpc_url:
            raise Problem(
                503,
                "soroban_unconfigured",
                "A rede de contratos não está configurada (COFRE_SOROBAN_RPC_URL).",
            )
        cached = (
            ContractsService(services.settings, SorobanRpc.from_settings(services.settings)),
            Custody(services.settings, services.sessions),
        )
        services.contracts = cached
    return cached


def _idempotent(
    services: Services,
    user_id: int,
    key: str,
    payload: dict[str, Any],
    run: Callable[[], tuple[int, dict[str, Any]]],
) -> JSONResponse:
    """Run ``run`` once per (user, key); replay its answer for the same body, 409 for another."""
    req_hash = ledger.request_hash(payload)
    with services.sessions() as db:
        db.add(ContractCall(user_id=user_id, idempotency_key=key, request_hash=req_hash))
        try:
            db.commit()
        except IntegrityError:
            db.rollback()
            done = db.scalar(
                select(ContractCall).where(
                    ContractCall.user_id == user_id, ContractCall.idempotency_key == key
                )
            )
            if done is None:  # the conflict was not on the idempotency key: not ours to replay
                raise
            if done.request_hash != req_hash:
                raise Problem(
                    409,
                    "idempotency_key_conflict",
                    "this Idempotency-Key was used with a different request body",
                ) from None
            if done.response_status == 0:
                raise Problem(
                    409, "idempotency_key_in_flight", "a request with this Idempotency-Key is in progress"
                ) from None
            return JSONResponse(
                json.loads(done.response_body),
                status_code=done.response_status,
                media_type="application/problem+json" if done.response_status >= 400 else "application/json",
                headers={"Idempotent-Replayed": "true"},
            )
    try:
        status, body = run()
    except Problem as exc:
        status, body = exc.status, exc.body()
    except BaseException:
        with services.sessions() as db:  # not answered: the key may be retried
            db.query(ContractCall).filter_by(user_id=user_id, idempotency_key=key).delete()
            db.commit()
        raise
    with services.sessions() as db:
        db.query(ContractCall).filter_by(user_id=user_id, idempotency_key=key).update(
            {"response_status": status, "response_body": json.dumps(body)}
        )
        db.commit()
    return JSONResponse(
        body,
        status_code=status,
        media_type="application/problem+json" if status >= 400 else "application/json",
    )


def _audit(
    services: Services,
    request: Request,
    principal: Principal,
    action: str,
    resource: str,
    outcome: str,
    **details: Any,
) -> None:
    services.audit.append(
        make_event(
            actor=services.pseudonym(principal.user_id),
            action=f"contracts:{action}",
            resource=resource,
            outcome=outcome,
            request_id=getattr(request.state, "request_id", None),
            details=details,
        )
    )


def _chain_call(
    services: Services,
    request: Request,
    principal: Principal,
    action: str,
    resource: str,
    call: Callable[[], tuple[int, dict[str, Any]]],
) -> tuple[int, dict[str, Any]]:
    """Run a chain call, audit its outcome, translate refusals."""
    try:
        status, body = call()
    except RpcError as exc:
        problem = problem_of(exc)
        _audit(services, request, principal, action, resource, problem.code, http_status=problem.status)
        raise problem from None
    _audit(
        services, request, principal, action, resource, "ok", http_status=status, tx_hash=body.get("tx_hash")
    )
    return status, body


@router.get("/wallet", responses=problems(CHAIN))
def wallet(principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    svc, custody = contracts(services)
    kp = custody.keypair(principal.user_id)
    try:
        svc.ensure_customer(kp)
        balance = svc.balance_cents(kp.public_key)
    except RpcError as exc:
        raise problem_of(exc) from None
    return {
        "address": kp.public_key,
        "balance_cents": balance,
        "token": {"code": svc.asset.code, "issuer": svc.asset.issuer, "contract_id": svc.token_id},
    }


@router.post(
    "/wallet/deposit",
    status_code=201,
    responses=problems({**WRITE, 404: "`account_not_found`", 422: "`insufficient_funds`"}),
)
def deposit(
    body: DepositIn,
    request: Request,
    principal: CurrentPrincipal,
    services: ServicesDep,
    now: NowDep,
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key", max_length=128),
) -> JSONResponse:
    key = require_key(idempotency_key)
    svc, custody = contracts(services)

    def run() -> tuple[int, dict[str, Any]]:
        kp = custody.keypair(principal.user_id)
        svc.ensure_customer(kp)
        with services.sessions() as db:
            checking = db.scalar(
                select(Account).where(Account.user_id == principal.user_id, Account.kind == "customer")
            )
            if checking is None:
                raise Problem(404, "account_not_found", "Conta corrente não encontrada.")
            reserve = db.scalar(select(Account).where(Account.code == RESERVE))
            if reserve is None:
                db.add(Account(kind="system", code=RESERVE, allow_negative=False))
                db.flush()
                reserve = db.scalar(select(Account).where(Account.code == RESERVE))
            if reserve is None:
                raise RuntimeError(f"the {RESERVE} system account could not be created")
            locked = ledger.lock_accounts(db, checking.id, reserve.id)
            payer = locked[checking.id]
            if ledger.available_cents(payer) < body.amount_cents:
                raise Problem(422, "insufficient_funds", "Saldo insuficiente na conta corrente.")
            transfer = Transfer(
                end_to_end_id="T" + secrets.token_hex(15),
                user_id=principal.user_id,
                kind="token_deposit",
                idempotency_key="contracts:" + key,
                request_hash=ledger.request_hash({"deposit": body.amount_cents}),
                from_account_id=payer.id,
                to_account_id=reserve.id,
                amount_cents=body.amount_cents,
                status="completed",
                response_status=201,
                response_body="{}",
                created_at=now,
            )
            db.add(transfer)
            db.flush()
            ledger.post_entries(db, transfer, payer, locked[reserve.id], now)
            inv = svc.mint(kp.public_key, body.amount_cents)  # the posting commits only once minted
            db.commit()
        return 201, {
            "amount_cents": body.amount_cents,
            "balance_cents": svc.balance_cents(kp.public_key),
            "tx_hash": inv.tx_hash,
        }

    return _idempotent(
        services,
        principal.user_id,
        key,
        {"deposit": body.amount_cents},
        lambda: _chain_call(services, request, principal, "deposit", "wallet", run),
    )


def _payee_user(services: Services, pix_key: str) -> int:
    try:
        normalised = pix_keys.normalise(pix_keys.infer_type(pix_key), pix_key)
    except ValueError:
        raise Problem(422, "invalid_pix_key", "Chave PIX inválida.") from None
    with services.sessions() as db:
        user_id: int | None = db.scalar(select(PixKey.user_id).where(PixKey.key == normalised))
    if user_id is None:
        raise Problem(404, "payee_not_found", "Nenhum cliente com esta chave PIX.")
    return user_id


@router.post(
    "/escrows",
    status_code=201,
    responses=problems(
        {
            **WRITE,
            404: "`payee_not_found`",
            422: "`escrow_invalid_amount`, `escrow_invalid_deadline`, `escrow_same_party`, `escrow_insufficient_funds`",
        }
    ),
)
def open_escrow(
    body: EscrowIn,
    request: Request,
    principal: CurrentPrincipal,
    services: ServicesDep,
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key", max_length=128),
) -> JSONResponse:
    key = require_key(idempotency_key)
    svc, custody = contracts(services)
    if body.deadline.tzinfo is None:
        raise Problem(
            422,
            "deadline_without_offset",
            "O prazo precisa de fuso horário (ex.: 2026-12-31T23:59:00-03:00).",
        )
    payload = {
        "open": body.payee_pix_key,
        "amount_cents": body.amount_cents,
        "deadline": body.deadline.isoformat(),
    }

    def run() -> tuple[int, dict[str, Any]]:
        payee_id = _payee_user(services, body.payee_pix_key)
        payee = custody.keypair(payee_id)
        svc.ensure_customer(payee)
        escrow_id, inv = svc.open(
            custody.keypair(principal.user_id), payee.public_key, body.amount_cents, body.deadline
        )
        return 201, {**svc.get(escrow_id).as_json(), "tx_hash": inv.tx_hash}

    return _idempotent(
        services,
        principal.user_id,
        key,
        payload,
        lambda: _chain_call(services, request, principal, "open", "escrow", run),
    )


@router.get("/escrows", responses=problems(CHAIN))
def list_escrows(principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    svc, custody = contracts(services)
    mine = custody.public_key(principal.user_id)
    if mine is None:
        return {"escrows": []}
    try:
        return {"escrows": [e.as_json() for e in svc.involving(mine)]}
    except RpcError as exc:
        raise problem_of(exc) from None


@router.get("/escrows/{escrow_id}", responses=problems({**CHAIN, 404: "`escrow_not_found`"}))
def get_escrow(
    escrow_id: int,
    principal: CurrentPrincipal,
    services: ServicesDep,
) -> dict[str, Any]:
    svc, custody = contracts(services)
    try:
        view = svc.get(escrow_id)
    except RpcError as exc:
        raise problem_of(exc) from None
    mine = custody.public_key(principal.user_id)
    if principal.role != "admin" and mine not in (view.payer, view.payee):
        raise Problem(404, "escrow_not_found", "Custódia não encontrada.")
    return view.as_json()


@router.get("/escrows/{escrow_id}/history", responses=problems({**CHAIN, 404: "`escrow_not_found`"}))
def escrow_history(
    escrow_id: int,
    principal: CurrentPrincipal,
    services: ServicesDep,
) -> dict[str, Any]:
    """On-chain transitions of an escrow, reconciled: each event's transaction envelope is fetched
    and its signature verified by the Rust module (``verified`` is false if any is not)."""
    view = get_escrow(escrow_id, principal, services)
    svc, _ = contracts(services)
    try:
        items = svc.history(escrow_id)
    except RpcError as exc:
        raise problem_of(exc) from None
    return {
        "escrow": view,
        "transitions": items,
        "verified": all(i["signature_valid"] for i in items)
        and bool(items)
        and items[-1]["status"] == view["status"],
    }


def _transition(action: str) -> Callable[..., JSONResponse]:
    def endpoint(
        escrow_id: int,
        request: Request,
        principal: CurrentPrincipal,
        services: ServicesDep,
        idempotency_key: str | None = Header(default=None, alias="Idempotency-Key", max_length=128),
    ) -> JSONResponse:
        key = require_key(idempotency_key)
        if action in STEP_UP and not principal.stepped_up:
            raise step_up_problem(f"escrow {action} requires step-up authentication")
        svc, custody = contracts(services)

        def run() -> tuple[int, dict[str, Any]]:
            kp = custody.keypair(principal.user_id)
            inv = svc.dispute(kp, escrow_id) if action == "dispute" else svc.transition(kp, action, escrow_id)
            return 200, {**svc.get(escrow_id).as_json(), "tx_hash": inv.tx_hash}

        return _idempotent(
            services,
            principal.user_id,
            key,
            {action: escrow_id},
            lambda: _chain_call(services, request, principal, action, f"escrow:{escrow_id}", run),
        )

    endpoint.__name__ = f"escrow_{action}"
    return endpoint


for _action in TRANSITIONS:
    router.add_api_route(
        f"/escrows/{{escrow_id}}/{_action}",
        _transition(_action),
        methods=["POST"],
        name=f"escrow_{_action}",
        responses=problems(
            {
                **WRITE,
                403: "`contract_not_authorised` (not the party the contract requires), `escrow_not_party`, `step_up_required`",
                404: "`escrow_not_found`",
            }
        ),
    )


@router.post(
    "/escrows/{escrow_id}/resolve",
    responses=problems(
        {**WRITE, 403: "admins only", 404: "`escrow_not_found`", 422: "`escrow_invalid_share`"}
    ),
)
def resolve_escrow(
    escrow_id: int,
    body: ResolveIn,
    request: Request,
    services: ServicesDep,
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key", max_length=128),
    principal: Principal = Depends(require_roles("admin")),
) -> JSONResponse:
    key = require_key(idempotency_key)
    svc, _ = contracts(services)

    def run() -> tuple[int, dict[str, Any]]:
        inv = svc.resolve(escrow_id, body.payee_share_cents)
        return 200, {**svc.get(escrow_id).as_json(), "tx_hash": inv.tx_hash}

    return _idempotent(
        services,
        principal.user_id,
        key,
        {"resolve": escrow_id, "share": body.payee_share_cents},
        lambda: _chain_call(services, request, principal, "resolve", f"escrow:{escrow_id}", run),
    )
