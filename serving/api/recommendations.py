"""Recommendations router: ``GET /recommendations/me``, suitable and eligible offers for the caller.

The eligibility hard filter (:mod:`models.recommend.eligibility`) decides what may be offered: credit
products by score floor, payroll/card requirements and the 30 % debt-service rule (Decimal Price
instalments); investments only within the CVM 30 profile's maximum risk and the account balance. The
ranker (recommend champion) only orders what the filter let through.

Inputs: Feast ``credit_v1`` online features of the caller (income, arrears, latest day), the credit
champion's score, the account balance from the gateway DB and, for investments, the CVM 30
questionnaire answers (``answers=a,b,c,d,e`` option indices, ``answered_on``); without a valid
questionnaire no investment is offered (CVM 30). 503 ``model_unavailable`` without the recommend
champion, or without the credit champion when a credit score is needed.

LGPD purposes do not leak into each other. The route needs the ``marketing`` consent, under which it
may rank offers and explain investment suitability (investor profile, balance, income, savings
behaviour). A credit score is a credit analysis: it is computed, returned and used to offer credit
only when the customer also granted ``credit_analysis``. Without it the credit model is not called,
nothing derived from it reaches the ranker (score and debt service are missing values), credit
products are left out (``credit_offers: "omitted"``, a ``notice`` in Portuguese says why and how to
consent) and the audit event records the purposes used (``purposes``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from models.recommend.catalog import BY_CODE
from models.recommend.eligibility import Customer
from models.recommend.lake import customer_inputs
from models.recommend.profile import Questionnaire, investor_profile
from serving.db.orm import Account
from serving.decisions import record_decision_sync
from serving.deps import get_clock, get_services
from serving.errors import Problem
from serving.lgpd import registry as consents
from serving.lgpd.consent import require_consent
from serving.openapi import problems
from serving.scoring import core
from serving.security.tokens import Principal
from serving.services import Services

router = APIRouter(tags=["scoring"])


class OfferOut(BaseModel):
    """A product offer."""

    product: str = Field(description="the product's code in the catalogue", examples=["CDB_PRE"])
    name: str = Field(
        description="the product's name, shown to the customer (Portuguese)",
        examples=["CDB prefixado 2 anos"],
    )
    kind: str = Field(description="`investment` or `credit`", examples=["investment"])
    amount_cents: int = Field(
        description="investments: the suggested amount; credit: the amount or limit offered (integer cents)",
        examples=[500000],
    )
    instalment_cents: int = Field(
        description="credit: the monthly payment (Price table) or the monthly interest on a revolving limit; "
        "0 for investments",
        examples=[0],
    )
    term_months: int = Field(
        description="credit: number of instalments (0: revolving or investment)", examples=[0]
    )
    monthly_rate: str = Field(
        description="credit: the monthly interest rate as a decimal string (e.g. `0.0199` = 1.99% a month)",
        examples=["0"],
    )
    risk: int = Field(description="investments: risk grade 1 (lowest) to 5; 0 for credit", examples=[2])
    accept_probability: float = Field(
        description="the recommender's probability that the customer takes the offer (0 to 1)",
        examples=[0.27],
    )


class RecommendationsOut(BaseModel):
    """Ranked product offers and what the processing used."""

    investor_profile: str | None = Field(
        description="CVM 30 suitability profile from the questionnaire: `conservador`, `moderado` or "
        "`arrojado` (null without answers)",
        examples=["moderado"],
    )
    credit_score: int | None = Field(description="only with the credit_analysis consent", examples=[712])
    credit_offers: Literal["included", "omitted"] = Field(
        description="`omitted` without the `credit_analysis` consent (see `notice`)", examples=["included"]
    )
    purposes: list[str] = Field(
        description="the consented purposes this processing used", examples=[["marketing", "credit_analysis"]]
    )
    notice: str | None = Field(
        description="why something was left out, shown to the customer (Portuguese); null when nothing was",
        examples=[
            "Ofertas de crédito não foram incluídas: para avaliá-las precisamos calcular seu score de crédito, "
            "o que só fazemos com o seu consentimento para análise de crédito "
            "(POST /lgpd/consents/credit_analysis)."
        ],
    )
    offers: list[OfferOut] = Field(description="eligible offers, best ranked first (at most `k`)")
    model_version: str = Field(
        description="the recommender: registered name/version", examples=["recommend/3"]
    )


NO_CREDIT_NOTICE = (
    "Ofertas de crédito não foram incluídas: para avaliá-las precisamos calcular seu score de crédito, "
    "o que só fazemos com o seu consentimento para análise de crédito "
    "(POST /lgpd/consents/credit_analysis)."
)


def _questionnaire(answers: str | None, answered_on: dt.date | None, today: dt.date) -> Questionnaire | None:
    if not answers:
        return None
    try:
        vals = tuple(int(x) for x in answers.split(","))
        return Questionnaire(vals, answered_on or today)  # type: ignore[arg-type]
    except ValueError as exc:
        raise Problem(
            422,
            "invalid_questionnaire",
            str(exc),
            errors=[{"field": "query.answers", "message": str(exc), "type": "value_error"}],
        ) from None


def credit_consent(services: Services, user_id: int) -> bool:
    with services.engine.connect() as conn:
        return consents.has_consent(conn, user_id, "credit_analysis")


def recommend_for(
    services: Services,
    user_id: int,
    q: Questionnaire | None,
    k: int,
    today: dt.date,
    *,
    credit_analysis: bool,
) -> dict[str, Any]:
    """Offers for ``user_id``; ``credit_analysis``: whether that consent is granted (see the docstring)."""
    cpf = core.user_cpf(services.sessions, user_id)  # first: an unproven CPF gets nothing, model or not
    scoring = services.scoring
    ranker = scoring.get("recommend")
    credit = scoring.get("credit") if credit_analysis else None
    s = services.settings
    feats = core.credit_features(s, core.customer_pk(s, cpf))
    if feats is None:
        raise Problem(404, "customer_features_not_found", "the lake has no features for this customer yet")
    score = core.score_credit(credit, feats)["score"] if credit is not None else None
    inputs = customer_inputs(feats)
    with services.sessions() as db:
        acc = db.execute(
            select(Account.balance_cents, Account.held_cents)
            .where(Account.user_id == user_id, Account.kind == "customer")
            .order_by(Account.id)
        ).first()
        balance = acc[0] - acc[1] if acc else 0  # available: what a held PIX reserves is not investable
    profile = investor_profile(q, inputs["savings_rate"], inputs["balance_volatility"], today)
    cust = Customer(
        str(user_id),
        profile,
        score,
        inputs["monthly_income_cents"],
        inputs["existing_instalments_cents"] if credit is not None else None,  # debt: credit analysis
        int(balance),
        inputs["has_card"],
        inputs["payroll_eligible"],
    )
    extra = {"savings_rate": inputs["savings_rate"], "balance_volatility": inputs["balance_volatility"]}
    if q is not None:
        extra.update({f"q{i + 1}": float(a) for i, a in enumerate(q.answers)})
    ranked = ranker.recommend(cust, extra, k=k)
    offers = []
    for o, p in ranked:
        prod = BY_CODE[o.product]
        offers.append(
            {
                "product": o.product,
                "name": prod.name,
                "kind": o.kind,
                "amount_cents": o.amount_cents,
                "instalment_cents": o.instalment_cents,
                "term_months": o.term_months,
                "monthly_rate": str(prod.monthly_rate),
                "risk": prod.risk,
                "accept_probability": round(p, 6),
            }
        )
    version = scoring.version("recommend")
    return {
        "investor_profile": profile,
        "credit_score": score,
        "credit_offers": "included" if credit is not None else "omitted",
        "purposes": ["marketing", "credit_analysis"] if credit is not None else ["marketing"],
        "notice": None if credit is not None else NO_CREDIT_NOTICE,
        "offers": offers,
        "model_version": f"{version}+{scoring.version('credit')}" if credit is not None else version,
    }


@router.get(
    "/recommendations/me",
    response_model=RecommendationsOut,
    responses=problems(
        {
            404: "`customer_features_not_found`: the lake has no features for the customer yet",
            422: "`invalid_questionnaire` or validation error",
            503: "`model_unavailable`: no credit or recommend champion",
        }
    ),
)
async def my_recommendations(
    request: Request,
    answers: str | None = Query(
        default=None,
        max_length=20,
        pattern=r"^[0-9](,[0-9]){4}$",
        description="CVM 30 questionnaire: five option indices, e.g. 2,1,2,1,2",
    ),
    answered_on: dt.date | None = Query(
        default=None, description="date of the questionnaire (default today)"
    ),
    k: int = Query(default=5, ge=1, le=16, description="at most this many offers"),
    principal: Principal = Depends(require_consent("marketing")),
    services: Services = Depends(get_services),
    now: dt.datetime = Depends(get_clock),
) -> dict[str, Any]:
    q = _questionnaire(answers, answered_on, now.date())
    credit_analysis = await run_in_threadpool(credit_consent, services, principal.user_id)
    out = await run_in_threadpool(
        lambda: recommend_for(services, principal.user_id, q, k, now.date(), credit_analysis=credit_analysis)
    )
    await run_in_threadpool(
        record_decision_sync,
        request,
        service="recommendations",
        outcome=f"{len(out['offers'])}_offers",
        resource=None,
        model_version=out["model_version"],
        details={
            "products": [o["product"] for o in out["offers"]],
            "investor_profile": out["investor_profile"],
            "credit_score": out["credit_score"],
            "purposes": out["purposes"],
        },
    )
    return out
