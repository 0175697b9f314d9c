"""``require_consent(purpose)``: a FastAPI dependency refusing processing without a current consent.

The consent registry is :mod:`lake.consents` (shared with the pipelines); a missing or revoked
consent is a 403 problem ``consent_required`` naming the purpose.
"""

from __future__ import annotations

from fastapi import Depends
from starlette.concurrency import run_in_threadpool

from lake import consents
from serving.deps import current_principal, get_services
from serving.errors import Problem
from serving.security.tokens import Principal
from serving.services import Services


def require_consent(purpose: str):
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

    _dep.openapi_responses = {403: f"`consent_required`: no current consent for {purpose}"}
    return _dep
