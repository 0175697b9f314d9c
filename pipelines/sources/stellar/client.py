"""Retrying Horizon client: account sequence, submit a signed envelope, read a transaction.

Built on :class:`pipelines.sources.http.ApiClient` (retries on 429/5xx/connection errors with
jittered back-off). ``settings.horizon_url`` names a real Horizon; ``None`` talks to the in-process sandbox
(pipelines.sources.in_process).
"""

from __future__ import annotations

from typing import Any

from lake.settings import Settings, get_settings
from pipelines.sources import in_process
from pipelines.sources.http import ApiClient, UpstreamError, build_http


class SubmitRefused(UpstreamError):
    """Horizon refused the transaction (its result codes are in ``body``)."""


class HorizonClient(ApiClient):
    @classmethod
    def from_settings(
        cls, settings: Settings | None = None, *, app: Any = None, **kwargs: Any
    ) -> HorizonClient:
        s = settings or get_settings()
        factory = (lambda: app) if app is not None else (lambda: in_process.app("horizon", s))
        return cls(build_http(s.horizon_url, factory, s, "horizon.cofre.local"), s, None, **kwargs)

    async def sequence(self, account_id: str) -> int:
        body = await self.json("GET", f"/accounts/{account_id}", auth=False)
        return int(body["sequence"])

    async def submit(self, envelope_xdr: str) -> dict[str, Any]:
        resp = await self.request("POST", "/transactions", auth=False, data={"tx": envelope_xdr})
        if resp.status_code != 200:
            try:
                body = resp.json()
            except ValueError:
                body = resp.text
            raise SubmitRefused(
                f"Horizon refused the transaction: {resp.status_code} {body}",
                status=resp.status_code,
                body=body,
            )
        return resp.json()

    async def transaction(self, tx_hash: str) -> dict[str, Any]:
        return await self.json("GET", f"/transactions/{tx_hash}", auth=False)
