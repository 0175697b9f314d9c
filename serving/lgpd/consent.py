"""``require_consent(purpose)``: a FastAPI dependency refusing processing without a current consent.

The consent registry is :mod:`serving.lgpd.registry` (shared with the pipelines); a missing or revoked
consent is a 403 problem ``consent_required`` naming the purpose.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Depends
from starlette.concurrency import run_in_threadpool

from serving.deps import current_principal, get_services, with_responses
from serving.errors import Problem
from serving.lgpd import registry as consents
from serving.security.tokens import Principal
from serving.services import Services


def require_consent(purpose: str) -> Callable[..., Awaitable[Principal]]:
    if purpose not in consents.PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")

    async def _dep(
        principal: Principal = Depends(current_principal), services: Services = Depends(get_services)
    ) -> Principal:
        def check() -> bool:
            with services.engine.connect() as conn:
                return consents.has_consent(conn, principal.user_id, purpose)

        if not await run_in_threadpool(check):
            raise Problem(
                403,
                "consent_required",
                f"processing for {purpose} needs the customer's consent (LGPD art. 7, I); "
                f"grant it with POST /lgpd/consents/{purpose}",
                purpose=purpose,
            )
        return principal

    return with_responses(_dep, {403: f"`consent_required`: no current consent for {purpose}"})
