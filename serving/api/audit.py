"""Audit router: ``GET /audit/verify`` (chain status) and ``GET /logs`` (filtered events), both for
the admin and auditor roles only."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from serving.api.types import instant
from serving.audit.chain import verify_events
from serving.deps import get_services, require_roles
from serving.security.tokens import Principal
from serving.services import Services

router = APIRouter(tags=["audit"])
LogTime = instant(datetime(1970, 1, 1, tzinfo=UTC), datetime(3000, 1, 1, tzinfo=UTC))
auditor = require_roles("admin", "auditor")


class ChainStatus(BaseModel):
    ok: bool
    length: int
    first_bad_index: int | None
    first_bad_seq: int | None
    reason: str | None


@router.get("/audit/verify", response_model=ChainStatus)
async def verify(
    principal: Principal = Depends(auditor), services: Services = Depends(get_services)
) -> ChainStatus:
    events = await run_in_threadpool(services.audit.chain)
    return ChainStatus(**verify_events(events))


def _iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    if dt.tzinfo is not None:
        from datetime import UTC

        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@router.get("/logs")
async def logs(
    actor: str | None = Query(None, max_length=64),
    action: str | None = Query(None, max_length=200),
    resource: str | None = Query(None, max_length=300),
    outcome: str | None = Query(None, max_length=64),
    request_id: str | None = Query(None, max_length=128),
    model_version: str | None = Query(None, max_length=64),
    since: LogTime | None = Query(None, description="RFC 3339 with offset, 1970 to before 3000"),
    until: LogTime | None = Query(None, description="RFC 3339 with offset, 1970 to before 3000"),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10**9),
    principal: Principal = Depends(auditor),
    services: Services = Depends(get_services),
) -> dict:
    filters = {
        "actor": actor,
        "action": action,
        "resource": resource,
        "outcome": outcome,
        "request_id": request_id,
        "model_version": model_version,
    }
    events = await run_in_threadpool(services.audit.query, filters, _iso(since), _iso(until), limit, offset)
    return {"events": events, "count": len(events), "limit": limit, "offset": offset}


def create_app(settings=None):  # noqa: ANN001, ANN201
    from serving.app import create_app as gateway

    return gateway(settings, routers=[router])
