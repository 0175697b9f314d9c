"""Credit suitability router: the champion credit model on Feast ``credit_v1`` online features.

* ``GET /suitability/me``: the caller's score (0-1000), Serasa band, PD, adverse reasons in Portuguese
  and the model version; features keyed by the caller's ``customer_pk`` (CPF pseudonymised with
  :mod:`lake.pseudonym`, the lake's key).
* ``POST /suitability/score``: the same for a CPF given in the body (admins; a customer may only
  pass their own CPF), optionally with ``overrides`` of model features (what-if simulations).

404 ``customer_features_not_found`` when the lake has no features for the customer; 503
``model_unavailable`` without a champion. Every answer is a recorded decision (audit + Prometheus).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from lake.domain.identifiers import normalize_cpf
from serving.decisions import record_decision_sync
from serving.deps import get_services
from serving.errors import Problem
from serving.lgpd.consent import require_consent
from serving.openapi import problems
from serving.scoring import core
from serving.security.tokens import Principal
from serving.services import Services

router = APIRouter(tags=["scoring"])
SCORING_ERRORS = {
    404: "`customer_features_not_found`: the lake has no features for the customer yet",
    503: "`model_unavailable`: no champion model",
}


class Reason(BaseModel):
    """An adverse reason of a credit score."""

    feature: str = Field(description="the model feature behind the reason", examples=["overdraft_days_90d"])
    motivo: str = Field(
        description="the adverse reason as shown to the customer, in Portuguese",
        examples=["Uso frequente do cheque especial"],
    )
    pontos: int = Field(
        description="points the score would gain with a typical good value of this feature", examples=[38]
    )


class SuitabilityOut(BaseModel):
    """A credit score, its band, the probability of default and the adverse reasons."""

    score: int = Field(ge=0, le=1000, description="credit score 0 (worst) to 1000 (best)", examples=[712])
    band: str = Field(
        description="the Serasa band of the score: `baixo` (0-300), `regular` (301-500), `bom` (501-700) or "
        "`muito bom` (701-1000)",
        examples=["muito bom"],
    )
    pd: float = Field(description="probability of default (90+ days late) within 6 months", examples=[0.042])
    reasons: list[Reason] = Field(description="the main adverse reasons, largest loss of points first")
    model_version: str = Field(
        description="the model that scored: registered name/version", examples=["credit/4"]
    )


class ScoreIn(BaseModel):
    """Whose credit score to compute, optionally with what-if feature values."""

    cpf: str | None = Field(
        default=None, max_length=14, description="default: the caller's CPF", examples=["529.982.247-25"]
    )
    overrides: dict[str, float | None] = Field(
        default_factory=dict,
        description="feature -> value (what-if)",
        examples=[{"monthly_income_cents": 850000}],
    )


def suitability_for(services: Services, cpf: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    scoring = services.scoring
    model = scoring.get("credit")
    row = core.credit_features(services.settings, core.customer_pk(services.settings, cpf))
    if row is None:
        raise Problem(
            404, "customer_features_not_found", "the lake has no credit features for this customer yet"
        )
    unknown = sorted(set(overrides or {}) - set(model.features))
    if unknown:
        raise Problem(
            422,
            "unknown_feature",
            f"not features of the credit model: {unknown}",
            errors=[
                {"field": f"body.overrides.{u}", "message": "unknown feature", "type": "value_error"}
                for u in unknown
            ],
        )
    row.update(overrides or {})
    return {**core.score_credit(model, row), "model_version": scoring.version("credit")}


def _record(request: Request, out: dict[str, Any]) -> None:
    record_decision_sync(
        request,
        service="suitability",
        outcome=out["band"],
        resource=None,
        model_version=out["model_version"],
        details={"score": out["score"], "pd": out["pd"], "reasons": [r["feature"] for r in out["reasons"]]},
    )


@router.get("/suitability/me", response_model=SuitabilityOut, responses=problems(SCORING_ERRORS))
async def my_suitability(
    request: Request,
    principal: Principal = Depends(require_consent("credit_analysis")),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    cpf = await run_in_threadpool(core.user_cpf, services.sessions, principal.user_id)
    out = await run_in_threadpool(suitability_for, services, cpf)
    await run_in_threadpool(_record, request, out)
    return out


@router.post(
    "/suitability/score",
    response_model=SuitabilityOut,
    responses=problems(
        {
            **SCORING_ERRORS,
            403: "`consent_required`, or `forbidden`: only admins may score another CPF",
            422: "`invalid_cpf`, `unknown_feature` or validation error",
        }
    ),
)
async def score(
    body: ScoreIn,
    request: Request,
    principal: Principal = Depends(require_consent("credit_analysis")),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    admin_lookup = principal.role == "admin" and body.cpf is not None
    own = (
        None if admin_lookup else await run_in_threadpool(core.user_cpf, services.sessions, principal.user_id)
    )
    try:  # the bare 11 ASCII digits or the standard mask, nothing else
        cpf = normalize_cpf(body.cpf) if body.cpf is not None else own
    except ValueError:
        raise Problem(
            422,
            "invalid_cpf",
            "not a valid CPF",
            errors=[{"field": "body.cpf", "message": "invalid CPF", "type": "value_error"}],
        ) from None
    if cpf is None:  # pragma: no cover - own is the caller's CPF whenever no admin named one
        raise Problem(404, "user_not_found", "no such user")
    if not admin_lookup and cpf != own:
        raise Problem(403, "forbidden", "only admins may score another customer's CPF")
    out = await run_in_threadpool(suitability_for, services, cpf, body.overrides)
    await run_in_threadpool(_record, request, out)
    return out
