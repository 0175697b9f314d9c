"""Typed async client of the API Pix subset (cob, received Pix, webhooks).

Real PSP URL (``settings.pix_url``) or the sandbox in-process. :meth:`PixClient.received_pix`
pages with ``paginacao.paginaAtual`` until ``quantidadeDePaginas`` is reached. API errors
(RFC 7807 ``Problema``) raise :class:`PixApiError` with ``type``/``violacoes``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx

from lake.settings import Settings, get_settings
from pipelines.sources.client_factory import make_http_and_tokens
from pipelines.sources.clock import Clock
from pipelines.sources.http import ApiClient
from pipelines.sources.pix.models import Cob, ReceivedPix, Webhook
from pipelines.sources.timefmt import iso_millis

API = "/api"
SCOPES = "cob.write cob.read pix.read webhook.write webhook.read"


class PixApiError(RuntimeError):
    """An API Pix error (``Problema``): ``status``, ``type`` (e.g. .../CobOperacaoInvalida), ``violacoes``."""

    def __init__(
        self, status: int, type_: str, title: str, detail: str, violacoes: list[dict] | None
    ) -> None:
        super().__init__(f"{status} {type_.rsplit('/', 1)[-1]}: {detail}")
        self.status, self.type, self.title, self.detail, self.violacoes = (
            status,
            type_,
            title,
            detail,
            violacoes or [],
        )

    @property
    def name(self) -> str:
        return self.type.rsplit("/", 1)[-1]


class PixClient(ApiClient):
    page_size = 100
    max_pages = 100_000

    @classmethod
    def from_settings(
        cls,
        settings: Settings | None = None,
        *,
        world: dict | None = None,
        app: Any = None,
        clock: Clock | None = None,
        **kwargs: Any,
    ) -> PixClient:
        from pipelines.sources.pix.sandbox import create_app

        settings = settings or get_settings()
        http, tokens = make_http_and_tokens(
            settings.pix_url,
            create_app,
            settings,
            "pix.cofre.local",
            world=world,
            app=app,
            scope=SCOPES,
            clock=clock,
        )
        return cls(http, settings, tokens, **kwargs)

    def raise_for(self, resp: httpx.Response) -> None:
        try:
            body = resp.json()
        except ValueError:
            body = {}
        raise PixApiError(
            resp.status_code,
            str(body.get("type", "about:blank")),
            str(body.get("title", "")),
            str(body.get("detail", resp.text[:300])),
            body.get("violacoes"),
        )

    async def create_cob(
        self,
        chave: str,
        valor: Decimal,
        *,
        txid: str | None = None,
        expiracao: int = 3600,
        devedor: dict | None = None,
        solicitacao: str | None = None,
    ) -> Cob:
        body: dict[str, Any] = {
            "calendario": {"expiracao": expiracao},
            "valor": {"original": f"{valor:.2f}"},
            "chave": chave,
        }
        if devedor:
            body["devedor"] = devedor
        if solicitacao:
            body["solicitacaoPagador"] = solicitacao
        if txid is None:
            data = await self.json("POST", f"{API}/cob", json=body, ok=(201,))
        else:
            data = await self.json("PUT", f"{API}/cob/{txid}", json=body, ok=(201,))
        return Cob.model_validate(data)

    async def get_cob(self, txid: str) -> Cob:
        return Cob.model_validate(await self.json("GET", f"{API}/cob/{txid}"))

    async def list_cobs(self, inicio: datetime, fim: datetime, *, status: str | None = None) -> list[Cob]:
        """Every cob created in [inicio, fim], reading all pages."""
        extra = {"status": status} if status else {}
        return [Cob.model_validate(c) for c in await self._pages(f"{API}/cob", "cobs", inicio, fim, extra)]

    async def _pages(self, url: str, key: str, inicio: datetime, fim: datetime, extra: dict) -> list[dict]:
        out: list[dict] = []
        for page in range(self.max_pages):
            params = {
                "inicio": iso_millis(inicio),
                "fim": iso_millis(fim),
                "paginacao.paginaAtual": page,
                "paginacao.itensPorPagina": self.page_size,
                **extra,
            }
            body = await self.json("GET", url, params=params)
            out.extend(body.get(key, []))
            if page + 1 >= body["parametros"]["paginacao"]["quantidadeDePaginas"]:
                return out
        raise RuntimeError(f"more than {self.max_pages} pages at {url}")

    async def received_pix(
        self, inicio: datetime, fim: datetime, *, cpf: str | None = None
    ) -> list[ReceivedPix]:
        """Every Pix received in [inicio, fim], reading all pages."""
        extra = {"cpf": cpf} if cpf else {}
        return [
            ReceivedPix.model_validate(p) for p in await self._pages(f"{API}/pix", "pix", inicio, fim, extra)
        ]

    async def get_pix(self, e2eid: str) -> ReceivedPix:
        return ReceivedPix.model_validate(await self.json("GET", f"{API}/pix/{e2eid}"))

    async def set_webhook(self, chave: str, url: str) -> None:
        await self.json("PUT", f"{API}/webhook/{chave}", json={"webhookUrl": url})

    async def get_webhook(self, chave: str) -> Webhook:
        return Webhook.model_validate(await self.json("GET", f"{API}/webhook/{chave}"))

    async def delete_webhook(self, chave: str) -> None:
        await self.json("DELETE", f"{API}/webhook/{chave}", ok=(204,))

    # --- sandbox-only helpers (simulate the payer side) ----------------------------------------
    async def sandbox_pay(self, txid: str) -> dict:
        return await self.json("POST", f"/sandbox/cob/{txid}/pay", auth=False)

    async def sandbox_deliver(self, inicio: datetime, fim: datetime) -> dict:
        return await self.json(
            "POST",
            "/sandbox/webhook/deliver",
            auth=False,
            params={"inicio": iso_millis(inicio), "fim": iso_millis(fim)},
        )
