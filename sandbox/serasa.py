"""Serasa-like credit score sandbox (FastAPI). No official spec exists; this is the API:

``POST /token``
    OAuth2 client credentials (see pipelines.sources.oauth); returns a bearer token.
``GET /score/v1/{cpf}``  (``Authorization: Bearer <token>`` required)
    200 ``{cpf, score (0-1000), band, consultedAt, history: [{score, band, consultedAt}, ...]}``;
    ``band`` is baixo (0-300), regular (301-500), bom (501-700) or muito_bom (701-1000);
    ``consultedAt`` is the latest consultation in the world (RFC 3339, milliseconds, UTC);
    ``history`` lists every consultation newest first (the first equals the top-level score).
    400 ``INVALID_CPF`` (not 11 digits or wrong check digits), 404 ``CPF_NOT_FOUND``,
    401 ``UNAUTHORIZED``/``TOKEN_EXPIRED``. Errors are ``{"error": {"code", "message"}}``, also for an
    unknown route (404 ``NOT_FOUND``), another method (405 ``METHOD_NOT_ALLOWED``) and injected faults.

Data come from the world's ``bureau_scores`` table; the app is deterministic given the world.
"""

from __future__ import annotations

import polars as pl
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from lake.domain.identifiers import is_valid_cpf
from lake.settings import Settings, get_settings
from pipelines.sources.clock import Clock
from pipelines.sources.oauth import AuthError, TokenIssuer, token_router
from pipelines.sources.serasa.schemas import ErrorResponse, ScorePoint, ScoreResponse, band_of
from pipelines.sources.timefmt import iso_millis
from sandbox.errors import install_error_handlers
from sandbox.faults import FaultInjector, FaultPlan
from sandbox.world_index import WorldIndex


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def create_app(
    world: dict[str, pl.DataFrame],
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    faults: FaultPlan | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    index = world if isinstance(world, WorldIndex) else WorldIndex(world)
    issuer = TokenIssuer(
        {settings.client_id: settings.client_secret.get_secret_value()}, settings.sandbox_token_ttl_s, clock
    )
    app = FastAPI(title="Serasa-like score sandbox", version="1.0.0")
    app.state.issuer = issuer
    app.include_router(token_router(issuer))

    @app.exception_handler(AuthError)
    async def _auth(_: Request, exc: AuthError) -> JSONResponse:
        resp = _error(exc.status, exc.code, exc.detail)
        resp.headers["WWW-Authenticate"] = "Bearer"
        return resp

    @app.get(
        "/score/v1/{cpf}",
        response_model=ScoreResponse,
        responses={
            400: {"model": ErrorResponse},
            401: {"model": ErrorResponse},
            404: {"model": ErrorResponse},
        },
    )
    async def score(cpf: str, request: Request) -> JSONResponse:
        issuer.authenticate(request.headers.get("authorization"))
        if not is_valid_cpf(cpf):
            return _error(400, "INVALID_CPF", f"{cpf!r} is not a valid CPF (11 digits with check digits)")
        points = index.scores_by_cpf.get(cpf)
        if not points:
            return _error(404, "CPF_NOT_FOUND", "no score for this CPF")
        history = [
            ScorePoint(score=p["score"], band=band_of(p["score"]), consultedAt=p["consulted_at"])
            for p in reversed(points)
        ]
        body = {
            "cpf": cpf,
            "score": history[0].score,
            "band": history[0].band,
            "consultedAt": iso_millis(history[0].consultedAt),
            "history": [
                {"score": h.score, "band": h.band, "consultedAt": iso_millis(h.consultedAt)} for h in history
            ],
        }
        return JSONResponse(body)

    codes = {
        "not_found": "NOT_FOUND",
        "method_not_allowed": "METHOD_NOT_ALLOWED",
        "bad_request": "INVALID_REQUEST",
    }
    install_error_handlers(
        app, lambda _r, status, kind, detail: _error(status, codes.get(kind, "ERROR"), detail)
    )

    plan = faults or FaultPlan(
        rate=settings.sandbox_fault_rate,
        seed=settings.sandbox_fault_seed,
        retry_after_s=settings.sandbox_fault_retry_after_s,
    )
    app.state.faults = plan
    app.add_middleware(
        FaultInjector,
        plan=plan,
        render=lambda status, detail: (
            "application/json",
            {"error": {"code": "SANDBOX_FAULT", "message": detail}},
        ),
    )
    return app
