"""The FastAPI gateway: ``create_app(settings)`` builds the shared services and composes routers.

Default routers: health, auth, KYC, accounts, pix (+ transfer views, notifications, the review queue of
held transfers), BR Code, documents, audit, LGPD, chat (the support assistant) and the scoring routers
(suitability, fraud, recommendations). The scoring models are loaded ONCE here from the MLflow
registry (alias ``champion``, :mod:`serving.scoring.champions`); with a fraud champion, POST
/pix/transfers is screened by :class:`serving.scoring.screen.ModelFraudScreen`, else by the
RulesFraudScreen fallback (both reported by /ready). More routers plug in through ``extra_routers``.
``openapi_schema()`` gives the same OpenAPI document without building services (`cofre openapi dump`).

Middleware, outermost first: security headers (:mod:`serving.security.headers`), the gateway's
request id / rate limit / metrics / audit (:mod:`serving.middleware`), the body cap, deadline and
strict JSON (:mod:`serving.body`). The OpenAPI document is completed by :mod:`serving.openapi`;
/docs and /redoc are served from local files by :mod:`serving.docs`.
"""

from __future__ import annotations

import gc
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI

from lake.settings import Settings, get_settings
from serving import docs, openapi
from serving.body import BodyGuard, body_limits
from serving.errors import install_error_handlers
from serving.fraud.screen import FraudScreen
from serving.middleware import GatewayMiddleware
from serving.scoring.champions import load_scoring
from serving.scoring.screen import ModelFraudScreen
from serving.security.headers import SecurityHeaders
from serving.services import build_services

TITLE = "cofre gateway"
VERSION = "0.1.0"
DESCRIPTION = "Thin APIs of the cofre digital bank. Errors are RFC 9457 problem+json."


def _fastapi(lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None) -> FastAPI:
    """A FastAPI application with the gateway's title, version and description. /docs and /redoc
    are self-hosted (serving.docs), so FastAPI's own CDN-backed pages are off."""
    return FastAPI(
        title=TITLE,
        version=VERSION,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )


def default_routers() -> list[APIRouter]:
    from serving.api import (
        accounts,
        audit,
        auth,
        brcode,
        chat,
        documents,
        fraud,
        holds,
        kyc,
        lgpd,
        pix,
        pix_refunds,
        recommendations,
        suitability,
    )

    # the hot scoring routes first: requests are matched against routes in order (the prefixes
    # are disjoint, so the order changes nothing else)
    return [
        fraud.router,
        suitability.router,
        recommendations.router,
        pix.router,
        holds.router,
        pix_refunds.router,
        auth.router,
        kyc.router,
        accounts.router,
        brcode.router,
        documents.router,
        audit.router,
        lgpd.router,
        chat.router,
    ]


def create_app(
    settings: Settings | None = None,
    *,
    routers: Sequence[APIRouter] | None = None,
    extra_routers: Sequence[APIRouter] = (),
    fraud_screen: FraudScreen | None = None,
    clock: Callable[[], float] = time.time,
    identity_transports: dict[str, Any] | None = None,
    body_clock: Callable[[], float] = time.monotonic,
) -> FastAPI:
    """The gateway. ``identity_transports`` are in-process transports of the identity providers'
    sandboxes (``notify``, ``datavalid``) for the embedded profile; see ``cofre.embedded``."""
    settings = settings or get_settings()
    services = build_services(
        settings, fraud_screen=fraud_screen, clock=clock, identity_transports=identity_transports
    )
    services.scoring = scoring = load_scoring(settings)
    if fraud_screen is None and "fraud" in scoring.models:
        services.fraud_screen = ModelFraudScreen(
            scoring.models["fraud"], scoring.version("fraud"), settings, services.read_connections
        )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # the start-up heap (Feast registry, MLflow, models: millions of objects that live as long as
        # the process) moves out of the collector's reach, so full collections stop rescanning it —
        # each such scan was a pause of tens of milliseconds under load
        gc.collect()
        gc.freeze()
        app.state.export_jobs.resume()
        yield
        app.state.export_jobs.wait_idle()
        # the pool can be re-created; stores stay open so the app object can be served again
        services.engine.dispose()

    app = _fastapi(lifespan)
    app.state.services = services
    from serving.lgpd.jobs import ExportJobs

    app.state.export_jobs = ExportJobs(services)
    install_error_handlers(app)
    app.add_middleware(
        BodyGuard,
        max_bytes=settings.max_body_bytes,
        timeout_s=settings.body_timeout_s,
        limits=body_limits(settings),
        clock=body_clock,
    )
    app.add_middleware(GatewayMiddleware)
    app.add_middleware(
        SecurityHeaders, behind_tls=settings.behind_tls, hsts_max_age_s=settings.hsts_max_age_s
    )
    from serving.observability import setup_tracing

    setup_tracing(app, settings, services.engine)
    _include_routers(app, routers, extra_routers, settings)
    return app


def _include_routers(
    app: FastAPI,
    routers: Sequence[APIRouter] | None,
    extra_routers: Sequence[APIRouter],
    settings: Settings | None,
) -> None:
    from serving.api import health

    included = [*(default_routers() if routers is None else routers), *extra_routers, health.router]
    if (
        routers is None and settings is not None and settings.soroban_rpc_url
    ):  # the contracts API exists where a network is set
        from serving.api import contracts

        included.append(contracts.router)
    for r in included:
        app.include_router(r)
    docs.install(app, [route for r in included for route in r.routes])
    openapi.install(app, [route for r in included for route in r.routes])


def openapi_schema(
    routers: Sequence[APIRouter] | None = None, extra_routers: Sequence[APIRouter] = ()
) -> dict[str, Any]:
    """The OpenAPI document that ``create_app`` serves at /openapi.json, built without services,
    stores or models (the routes alone define it): what `cofre openapi dump` writes for clients."""
    app = _fastapi()
    _include_routers(app, routers, extra_routers, None)
    return app.openapi()
