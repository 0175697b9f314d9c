"""Typed async client of the Serasa-like score API (real URL or in-process sandbox)."""

from __future__ import annotations

from typing import Any

import httpx

from lake.settings import Settings, get_settings
from pipelines.sources.client_factory import make_http_and_tokens
from pipelines.sources.clock import Clock
from pipelines.sources.http import ApiClient, UpstreamError
from pipelines.sources.serasa.schemas import ScoreResponse


class InvalidCpfError(ValueError):
    """The bureau rejected the CPF as malformed (HTTP 400)."""


class CpfNotFoundError(LookupError):
    """The bureau has no score for the CPF (HTTP 404)."""


class SerasaClient(ApiClient):
    """``await client.score(cpf)`` -> :class:`ScoreResponse`."""

    @classmethod
    def from_settings(
        cls,
        settings: Settings | None = None,
        *,
        world: dict | None = None,
        app: Any = None,
        clock: Clock | None = None,
        **kwargs: Any,
    ) -> SerasaClient:
        settings = settings or get_settings()
        http, tokens = make_http_and_tokens(
            settings.serasa_url, "serasa", settings, "serasa.cofre.local", world=world, app=app, clock=clock
        )
        return cls(http, settings, tokens, **kwargs)

    async def score(self, cpf: str) -> ScoreResponse:
        resp = await self.request("GET", f"/score/v1/{cpf}")
        if resp.status_code == 200:
            return ScoreResponse.model_validate(resp.json())
        self.raise_for(resp)
        raise AssertionError("unreachable")  # pragma: no cover

    def raise_for(self, resp: httpx.Response) -> None:
        try:
            err = resp.json().get("error", {})
        except (ValueError, AttributeError):
            err = {}
        if resp.status_code == 400 and err.get("code") == "INVALID_CPF":
            raise InvalidCpfError(err.get("message", "invalid CPF"))
        if resp.status_code == 404:
            raise CpfNotFoundError(err.get("message", "CPF not found"))
        raise UpstreamError(f"serasa {resp.status_code}: {resp.text[:300]}", status=resp.status_code)
