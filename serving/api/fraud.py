"""Fraud scoring router: ``POST /fraud/score`` scores a proposed transaction of the caller with the champion.

Input: amount (integer cents), the counterparty's PIX key (pseudonymised like the lake before any
lookup), optional timestamp (default now), device id, channel and type. Features: Feast ``fraud_v1``
online (the caller's windows and latest day, whether the pair is known) + on-demand features from the
request; the device signals and the new-device allowance as for a transfer
(:func:`serving.scoring.screen.model_decision`: the same path as POST /pix/transfers, so the same
context gets the same answer). Answer: probability (never lower for a larger amount), decision
(approve/review/block by the expected-cost policy, :mod:`models.fraud.policy`), reasons in
Portuguese, model version. Every answer is a recorded decision
(audit event + Prometheus), written before the answer leaves. No champion: 503 ``model_unavailable``.

Request path: after authentication, one ``services.run_io`` call (inline when the stores are local
files, else one thread-pool hop) does the DB lookups on one read-only connection, the online feature
row (:func:`features.online.online_row`), the model's one-row path and the decision's audit append.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Request, Response
from pydantic import BaseModel, Field

from serving.api.types import Cents, instant
from serving.decisions import record_decision_sync
from serving.deps import current_principal, get_clock, get_services
from serving.fraud.context import build_context
from serving.fraud.screen import Decision
from serving.openapi import problems
from serving.scoring import core
from serving.scoring.screen import model_decision
from serving.security.tokens import Principal
from serving.services import Services

router = APIRouter(tags=["scoring"])
TransactionTime = Annotated[
    datetime, instant(datetime(1970, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
]


class FraudScoreIn(BaseModel):
    """A proposed transaction to score for fraud."""

    amount_cents: Cents = Field(
        description="the amount of the proposed transaction, integer cents", examples=[250000]
    )
    counterparty_key: str = Field(
        min_length=1, max_length=77, description="PIX key of the recipient", examples=["+5511987654321"]
    )
    counterparty_key_type: Literal["CPF", "CNPJ", "EMAIL", "PHONE", "EVP"] | None = Field(
        default=None,
        description="the DICT key type of `counterparty_key` (CPF, CNPJ, e-mail, phone in E.164, random EVP), used to "
        "normalise the key before matching; "
        "guessed from the key's form when omitted",
        examples=["PHONE"],
    )
    timestamp: TransactionTime | None = Field(
        default=None,
        description="when the transaction happens (default now): RFC 3339 with offset, 1970 to before 2100",
        examples=["2026-12-03T14:30:00-03:00"],
    )
    channel: Literal["PIX", "CARD", "BOLETO", "TED"] = Field(
        default="PIX", description="the payment rail of the transaction", examples=["PIX"]
    )
    type: str = Field(
        default="PIX",
        max_length=40,
        description="the transaction type as Open Finance Brasil classifies account transactions (accounts API "
        "`EnumTransactionTypes`: e.g. PIX, TED, DOC, TRANSFERENCIA_MESMA_INSTITUICAO, BOLETO, CARTAO, SAQUE; "
        "OUTROS only when none fits)",
        examples=["PIX"],
    )


class FraudScoreOut(BaseModel):
    """The fraud score and the policy's decision."""

    probability: float = Field(
        description="the fraud champion's probability that the transaction is fraud (0 to 1)",
        examples=[0.031],
    )
    decision: Literal["approve", "review", "block"] = Field(
        description="the policy's decision at this probability: `approve`, `review` (a transfer would be "
        "held for an analyst) or `block`",
        examples=["approve"],
    )
    reasons: list[str] = Field(
        description="why, in Portuguese, as shown to the customer",
        examples=[["valor dentro do padrão do cliente"]],
    )
    model_version: str = Field(
        description="the model that scored: registered name/version", examples=["fraud/7"]
    )


def _score(
    services: Services, principal: Principal, body: FraudScoreIn, device_id: str | None, now: datetime
) -> Decision:
    scoring = services.scoring
    model = scoring.get("fraud")
    at = body.timestamp or now
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    s = services.settings
    with services.read_connections() as db:
        cpf, login, device = core.user_facts_in(db, principal.user_id, at)
        ctx = build_context(
            db,
            user_id=principal.user_id,
            amount_cents=body.amount_cents,
            recipient_key=body.counterparty_key,
            recipient_internal=False,
            device_id=device_id,
            at=at,
        )
    return model_decision(
        s,
        model,
        scoring.version("fraud"),
        ctx,
        cpf=cpf,
        last_login_at=login,
        last_device_enrolment_at=device,
        channel=body.channel,
        type_=body.type,
        counterparty_key_type=body.counterparty_key_type,
    )


@router.post(
    "/fraud/score",
    response_model=FraudScoreOut,
    responses=problems({503: "`model_unavailable`: no fraud champion"}),
)
async def fraud_score(
    body: FraudScoreIn,
    request: Request,
    device_id: str | None = Header(default=None, alias="X-Device-ID", max_length=64),
    principal: Principal = Depends(current_principal),
    services: Services = Depends(get_services),
    now: datetime = Depends(get_clock),
) -> Response:
    d = await services.run_io(_score_and_record, services, principal, body, device_id, now, request)
    out = FraudScoreOut(
        probability=d.probability, decision=d.decision, reasons=d.reasons, model_version=d.model_version
    )
    # serialised once by pydantic-core: FastAPI would validate the model again against response_model,
    # turn it into plain Python objects and encode those with json.dumps
    return Response(out.model_dump_json(), media_type="application/json")


def _score_and_record(
    services: Services,
    principal: Principal,
    body: FraudScoreIn,
    device_id: str | None,
    now: datetime,
    request: Request,
) -> Decision:
    d = _score(services, principal, body, device_id, now)
    record_decision_sync(
        request,
        service="fraud_score",
        outcome=d.decision,
        resource=None,
        model_version=d.model_version,
        details={"probability": d.probability, "reasons": d.reasons, "amount_cents": body.amount_cents},
    )
    return d
