"""Audit router: ``GET /audit/verify`` (chain status) and ``GET /logs`` (filtered events), both for
the admin and auditor roles only.

``/audit/verify`` checks the store's chain (links, every event's fields against its payload hash,
the redacted flags, a signed record for every redaction) and how far it is anchored: the last
anchored seq, root, day and Stellar transaction, and the unanchored tail (from ``unanchored_from_seq``,
``unanchored_count`` events), where a rewrite with recomputed links or a truncation is not yet
detectable. A chain that disagrees with an anchor, or ends before an anchored seq, is not ok."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from lake.audit.trail import verify_store_events
from lake.settings import Settings
from serving.api.types import instant
from serving.deps import get_services, require_roles
from serving.security.tokens import Principal
from serving.services import Services

router = APIRouter(tags=["audit"])
LogTime = Annotated[datetime, instant(datetime(1970, 1, 1, tzinfo=UTC), datetime(3000, 1, 1, tzinfo=UTC))]
auditor = require_roles("admin", "auditor")


class ChainStatus(BaseModel):
    ok: bool = Field(description="chain intact, every redaction proven, consistent with every anchor")
    length: int
    first_bad_index: int | None
    first_bad_seq: int | None
    reason: str | None
    redacted: int = Field(description="events with personal fields removed (each proven by a signed record)")
    legacy_v1: int = Field(description="events of hash version 1 (written before per-field commitments)")
    anchored_through_seq: int | None = Field(description="last seq vouched for by a valid anchor")
    anchored_root: str | None = Field(description="Merkle root (hex) of that anchor")
    anchored_day: str | None
    anchor_tx_hash: str | None = Field(description="Stellar transaction of that anchor")
    unanchored_from_seq: int | None = Field(
        description="first seq after the last anchor: from here on a rewrite of the tail with every link "
        "recomputed, or a truncation, cannot be detected yet"
    )
    unanchored_count: int
    anchors_checked: int
    anchor_problems: list[str]
    anchoring_error: str | None = Field(
        description="why anchors could not be read (then nothing is vouched for)"
    )


def _verify(services: Services) -> dict[str, Any]:
    return verify_store_events(services.audit.chain(), services.settings)


@router.get("/audit/verify", response_model=ChainStatus)
async def verify(
    principal: Principal = Depends(auditor), services: Services = Depends(get_services)
) -> ChainStatus:
    return ChainStatus(**await run_in_threadpool(_verify, services))


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
) -> dict[str, Any]:
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


def create_app(settings: Settings | None = None) -> FastAPI:
    from serving.app import create_app as gateway

    return gateway(settings, routers=[router])
