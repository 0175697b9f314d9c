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
    """The audit store's verification: chain links, redactions and Stellar anchors."""

    ok: bool = Field(
        description="chain intact, every redaction proven, consistent with every anchor", examples=[True]
    )
    length: int = Field(description="events in the chain that were checked", examples=[18342])
    first_bad_index: int | None = Field(
        description="0-based position of the first event that breaks the chain (null when intact)",
        examples=[None],
    )
    first_bad_seq: int | None = Field(
        description="the `seq` of that event (null when intact)", examples=[None]
    )
    reason: str | None = Field(
        description="why the chain is broken there, e.g. a link or field hash that does not match (null when "
        "intact)",
        examples=[None],
    )
    redacted: int = Field(
        description="events with personal fields removed (each proven by a signed record)", examples=[3]
    )
    legacy_v1: int = Field(
        description="events of hash version 1 (written before per-field commitments)", examples=[0]
    )
    anchored_through_seq: int | None = Field(
        description="last seq vouched for by a valid anchor", examples=[18128]
    )
    anchored_root: str | None = Field(
        description="Merkle root (hex) of that anchor",
        examples=["9c1185a5c5e9fc54...a3b4c5d6 (64 hex digits)"],
    )
    anchored_day: str | None = Field(
        description="the day (UTC, YYYY-MM-DD) the last valid anchor covers", examples=["2026-12-02"]
    )
    anchor_tx_hash: str | None = Field(
        description="Stellar transaction of that anchor",
        examples=["3389e9f0f1a65f19...a607c8889 (64 hex digits)"],
    )
    unanchored_from_seq: int | None = Field(
        description="first seq after the last anchor: from here on a rewrite of the tail with every link "
        "recomputed, or a truncation, cannot be detected yet",
        examples=[18129],
    )
    unanchored_count: int = Field(
        description="events after the last anchor (the unanchored tail)", examples=[214]
    )
    anchors_checked: int = Field(
        description="anchors read from Stellar and compared with the chain", examples=[31]
    )
    anchor_problems: list[str] = Field(
        description="each anchor that disagrees with the chain (its day and what differs); empty when all agree",
        examples=[[]],
    )
    anchoring_error: str | None = Field(
        description="why anchors could not be read (then nothing is vouched for)", examples=[None]
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
    actor: str | None = Query(
        None, max_length=64, description="the actor's pseudonym (keyed hash, never a CPF)"
    ),
    action: str | None = Query(
        None, max_length=200, description="e.g. `auth:login`, `pix:release`, `decision:fraud`"
    ),
    resource: str | None = Query(
        None, max_length=300, description="the resource path, e.g. `/pix/transfers`"
    ),
    outcome: str | None = Query(None, max_length=64, description="e.g. `ok`, `denied`, `locked`, `approve`"),
    request_id: str | None = Query(None, max_length=128, description="the X-Request-ID of one request"),
    model_version: str | None = Query(
        None, max_length=64, description="decisions of one model, e.g. `fraud/7`"
    ),
    since: LogTime | None = Query(None, description="RFC 3339 with offset, 1970 to before 3000"),
    until: LogTime | None = Query(None, description="RFC 3339 with offset, 1970 to before 3000"),
    limit: int = Query(100, ge=1, le=1000, description="page size"),
    offset: int = Query(0, ge=0, le=10**9, description="events to skip (newest first), for the next page"),
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
