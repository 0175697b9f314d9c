"""Health router: /health (liveness), /ready (DB, log store, object store reachable; scoring models and
fraud screen in use, informative), /metrics."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from lake.settings import Settings
from serving.deps import get_services
from serving.metrics import CONTENT_TYPE
from serving.services import Services

router = APIRouter(tags=["health"])
log = logging.getLogger("cofre.serving.health")


@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


def _check(services: Services) -> dict[str, Any]:
    results: dict[str, Any] = {}

    def probe(name: str, fn: Callable[[], object]) -> None:
        try:
            fn()
            results[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            # /ready is public: the kind of failure only (messages name hosts, paths, users); details to the log
            results[name] = f"error: {type(exc).__name__}"
            log.warning("readiness probe %s failed: %s", name, exc)

    def db() -> None:
        with services.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    probe("database", db)
    probe("log_store", services.audit.ping)
    probe("object_store", services.documents.ping)
    limiter = services.limiter
    results["rate_limit_store"] = limiter.backend + (
        f" (fallback: {limiter.fallback_reason})" if limiter.fallback_reason else ""
    )
    scoring = services.scoring
    models = scoring.status()
    models["fraud_screen"] = getattr(
        services.fraud_screen, "model_version", type(services.fraud_screen).__name__
    )
    if "fraud" not in scoring.models:
        models["fraud_screen"] += " (rules fallback: no fraud champion)"
    results["models"] = models  # informative: a missing model gives 503 on its endpoints, not on /ready
    return results


READY = {
    "type": "object",
    "properties": {"status": {"enum": ["ready", "not_ready"]}, "checks": {"type": "object"}},
    "required": ["status", "checks"],
}


@router.get(
    "/ready",
    responses={
        200: {"description": "every dependency answers", "content": {"application/json": {"schema": READY}}},
        503: {
            "description": "a dependency does not answer",
            "content": {"application/json": {"schema": READY}},
        },
    },
)
async def ready(services: Services = Depends(get_services)) -> JSONResponse:
    checks = await run_in_threadpool(_check, services)
    ok = all(v == "ok" for k, v in checks.items() if k not in ("rate_limit_store", "models"))
    return JSONResponse(
        {"status": "ready" if ok else "not_ready", "checks": checks}, status_code=200 if ok else 503
    )


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus text format",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
)
def metrics(services: Services = Depends(get_services)) -> Response:
    return Response(services.metrics.render(), media_type=CONTENT_TYPE)


def create_app(settings: Settings | None = None) -> FastAPI:
    from serving.app import create_app as gateway

    return gateway(settings, routers=[])
