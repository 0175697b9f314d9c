"""Helper for every router that takes a decision (fraud screen, suitability, recommendations):
counts it in Prometheus and writes an audit event, in one call."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from serving.audit.store import make_event


def record_decision_sync(
    request: Request,
    *,
    service: str,
    outcome: str,
    resource: str | None,
    model_version: str | None,
    details: dict[str, Any] | None = None,
) -> None:
    services = request.app.state.services
    services.metrics.decisions.labels(service, outcome, model_version or "none").inc()
    if (
        service in ("fraud", "fraud_score")
        and details
        and isinstance(details.get("probability"), int | float)
    ):
        services.metrics.fraud_score.labels(model_version or "none").observe(details["probability"])
    principal = getattr(request.state, "principal", None)
    services.audit.append(
        make_event(
            actor=services.pseudonym(principal.user_id if principal else None),
            action=f"decision:{service}",
            resource=resource,
            outcome=outcome,
            model_version=model_version,
            request_id=getattr(request.state, "request_id", None),
            details=details,
        )
    )


async def record_decision(request: Request, **kwargs: Any) -> None:
    """Async variant for async endpoints (the audit write runs in the thread pool)."""
    await run_in_threadpool(record_decision_sync, request, **kwargs)
