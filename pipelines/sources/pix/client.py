"""Typed async client of the BACEN API Pix (cob, cobv, loc, received Pix and refunds, webhooks).

Real PSP URL (``settings.pix_url``) or the sandbox in-process. Lists page with
``paginacao.paginaAtual`` until ``quantidadeDePaginas`` is reached. API errors (RFC 7807
``Problema``) raise :class:`PixApiError` with ``type``/``violacoes``. Identifiers are checked
before anything is sent (:class:`PixIdError`, rules in :mod:`lake.domain.pix_ids`): a charge's
txid has 26-35 letters/digits, an endToEndId is ``E`` + ISPB + ``yyyyMMddHHmm`` + 11, a refund id
1-35. Amounts go as Decimal with at most two places (a float or a fraction of a cent is refused).

:meth:`PixClient.refund` is safe to retry: the API refuses a refund ``id`` used before for the Pix,
so after such a refusal the client reads that refund back and returns it when it is the same
request (same ``valor`` and ``natureza``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import httpx

from lake.domain import pix_ids
from lake.settings import Settings, get_settings
from pipelines.sources.client_factory import make_http_and_tokens
from pipelines.sources.clock import Clock
from pipelines.sources.http import ApiClient
from pipelines.sources.pix.schemas import Cob, CobV, Devolucao, Loc, ReceivedPix, Webhook
from pipelines.sources.timefmt import iso_millis

API = "/api"
SCOPES = (
    "cob.write cob.read cobv.write cobv.read payloadlocation.write payloadlocation.read "
    "pix.write pix.read webhook.write webhook.read"
)


class PixApiError(RuntimeError):
    """An API Pix error (``Problema``): ``status``, ``type`` (e.g. .../CobOperacaoInvalida), ``violacoes``."""

    def __init__(
        self, status: int, type_: str, title: str, detail: str, violacoes: list[dict] | None
    ) -> None:
        super().__init__(f"{status} {type_.rsplit('/', 1)[-1]}: {detail}")
        self.status, self.type, self.title, self.detail = status, type_, title, detail
        self.violacoes = violacoes or []

    @property
    def name(self) -> str:
        return self.type.rsplit("/", 1)[-1]


class PixIdError(ValueError):
    """An identifier that breaks the Pix rules (nothing was sent)."""


def money(value: Decimal) -> str:
    """``\\d{1,10}\\.\\d{2}`` text of a Decimal amount; floats and fractions of a cent are refused."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise TypeError(f"amounts are Decimal, got {type(value).__name__}")
    if value != value.quantize(Decimal("0.01")) or value < 0 or value >= Decimal("1e10"):
        raise ValueError(f"amount must have at most 2 decimals and 10 integer digits, got {value}")
    return f"{value:.2f}"


def _charge_txid(txid: str) -> str:
    if not pix_ids.is_charge_txid(txid):
        raise PixIdError(f"txid of a charge must be 26-35 letters/digits, got {txid!r}")
    return txid


def _e2eid(e2eid: str) -> str:
    if not pix_ids.is_end_to_end_id(e2eid):
        raise PixIdError(f"not an endToEndId (E + ISPB + yyyyMMddHHmm + 11): {e2eid!r}")
    return e2eid


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
        settings = settings or get_settings()
        http, tokens = make_http_and_tokens(
            settings.pix_url,
            "pix",
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
        if not isinstance(body, dict):
            body = {}
        raise PixApiError(
            resp.status_code,
            str(body.get("type", "about:blank")),
            str(body.get("title", "")),
            str(body.get("detail", resp.text[:300])),
            body.get("violacoes"),
        )

    async def _pages(
        self, url: str, key: str, inicio: datetime | None, fim: datetime | None, extra: dict
    ) -> list[dict]:
        out: list[dict] = []
        for page in range(self.max_pages):
            params: dict[str, Any] = {
                "paginacao.paginaAtual": page,
                "paginacao.itensPorPagina": self.page_size,
            }
            if inicio is not None and fim is not None:
                params.update(inicio=iso_millis(inicio), fim=iso_millis(fim))
            params.update({k: _query_value(v) for k, v in extra.items() if v is not None})
            body = await self.json("GET", url, params=params)
            out.extend(body.get(key, []))
            if page + 1 >= body["parametros"]["paginacao"]["quantidadeDePaginas"]:
                return out
        raise RuntimeError(f"more than {self.max_pages} pages at {url}")

    # --- cob ------------------------------------------------------------------------------------
    async def create_cob(
        self,
        chave: str,
        valor: Decimal,
        *,
        txid: str | None = None,
        expiracao: int = 3600,
        devedor: dict | None = None,
        solicitacao: str | None = None,
        loc_id: int | None = None,
    ) -> Cob:
        """``PUT /cob/{txid}`` (``txid`` given) or ``POST /cob`` (the PSP chooses it)."""
        body: dict[str, Any] = {
            "calendario": {"expiracao": expiracao},
            "valor": {"original": money(valor)},
            "chave": chave,
        }
        if devedor:
            body["devedor"] = devedor
        if solicitacao:
            body["solicitacaoPagador"] = solicitacao
        if loc_id is not None:
            body["loc"] = {"id": loc_id}
        if txid is None:
            data = await self.json("POST", f"{API}/cob", json=body, ok=(201,))
        else:
            data = await self.json("PUT", f"{API}/cob/{_charge_txid(txid)}", json=body, ok=(201,))
        return Cob.model_validate(data)

    async def revise_cob(self, txid: str, changes: dict) -> Cob:
        """``PATCH /cob/{txid}`` with the fields to change (``CobRevisada``; amounts already as text)."""
        return Cob.model_validate(await self.json("PATCH", f"{API}/cob/{_charge_txid(txid)}", json=changes))

    async def remove_cob(self, txid: str) -> Cob:
        return await self.revise_cob(txid, {"status": "REMOVIDA_PELO_USUARIO_RECEBEDOR"})

    async def get_cob(self, txid: str, revisao: int | None = None) -> Cob:
        params = {"revisao": revisao} if revisao is not None else None
        return Cob.model_validate(await self.json("GET", f"{API}/cob/{_charge_txid(txid)}", params=params))

    async def list_cobs(
        self,
        inicio: datetime,
        fim: datetime,
        *,
        status: str | None = None,
        cpf: str | None = None,
        cnpj: str | None = None,
        location_presente: bool | None = None,
    ) -> list[Cob]:
        """Every cob created in [inicio, fim], reading all pages."""
        extra = {"status": status, "cpf": cpf, "cnpj": cnpj, "locationPresente": location_presente}
        return [Cob.model_validate(c) for c in await self._pages(f"{API}/cob", "cobs", inicio, fim, extra)]

    # --- cobv -----------------------------------------------------------------------------------
    async def create_cobv(
        self,
        txid: str,
        chave: str,
        original: Decimal,
        vencimento: date,
        devedor: dict,
        *,
        validade_apos_vencimento: int = 30,
        multa: dict | None = None,
        juros: dict | None = None,
        abatimento: dict | None = None,
        desconto: dict | None = None,
        solicitacao: str | None = None,
        loc_id: int | None = None,
    ) -> CobV:
        """``PUT /cobv/{txid}``. ``multa``/``juros``/``abatimento``/``desconto`` as in the spec
        (``{"modalidade": n, "valorPerc": "2.00"}``; ``desconto`` may carry ``descontoDataFixa``)."""
        valor: dict[str, Any] = {"original": money(original)}
        for name, part in (
            ("multa", multa),
            ("juros", juros),
            ("abatimento", abatimento),
            ("desconto", desconto),
        ):
            if part is not None:
                valor[name] = part
        body: dict[str, Any] = {
            "calendario": {
                "dataDeVencimento": vencimento.isoformat(),
                "validadeAposVencimento": validade_apos_vencimento,
            },
            "devedor": devedor,
            "valor": valor,
            "chave": chave,
        }
        if solicitacao:
            body["solicitacaoPagador"] = solicitacao
        if loc_id is not None:
            body["loc"] = {"id": loc_id}
        return CobV.model_validate(
            await self.json("PUT", f"{API}/cobv/{_charge_txid(txid)}", json=body, ok=(201,))
        )

    async def revise_cobv(self, txid: str, changes: dict) -> CobV:
        return CobV.model_validate(await self.json("PATCH", f"{API}/cobv/{_charge_txid(txid)}", json=changes))

    async def remove_cobv(self, txid: str) -> CobV:
        return await self.revise_cobv(txid, {"status": "REMOVIDA_PELO_USUARIO_RECEBEDOR"})

    async def get_cobv(self, txid: str, revisao: int | None = None) -> CobV:
        params = {"revisao": revisao} if revisao is not None else None
        return CobV.model_validate(await self.json("GET", f"{API}/cobv/{_charge_txid(txid)}", params=params))

    async def list_cobvs(
        self, inicio: datetime, fim: datetime, *, status: str | None = None, cpf: str | None = None
    ) -> list[CobV]:
        extra = {"status": status, "cpf": cpf}
        return [CobV.model_validate(c) for c in await self._pages(f"{API}/cobv", "cobs", inicio, fim, extra)]

    # --- loc ------------------------------------------------------------------------------------
    async def create_loc(self, tipo_cob: str) -> Loc:
        return Loc.model_validate(
            await self.json("POST", f"{API}/loc", json={"tipoCob": tipo_cob}, ok=(201,))
        )

    async def get_loc(self, loc_id: int) -> Loc:
        return Loc.model_validate(await self.json("GET", f"{API}/loc/{int(loc_id)}"))

    async def list_locs(
        self,
        inicio: datetime,
        fim: datetime,
        *,
        tipo_cob: str | None = None,
        txid_presente: bool | None = None,
    ) -> list[Loc]:
        extra = {"tipoCob": tipo_cob, "txIdPresente": txid_presente}
        return [Loc.model_validate(x) for x in await self._pages(f"{API}/loc", "loc", inicio, fim, extra)]

    async def unlink_loc(self, loc_id: int) -> Loc:
        """``DELETE /loc/{id}/txid``: the charge linked to the location loses it."""
        return Loc.model_validate(await self.json("DELETE", f"{API}/loc/{int(loc_id)}/txid"))

    # --- received Pix and refunds ---------------------------------------------------------------
    async def received_pix(
        self,
        inicio: datetime,
        fim: datetime,
        *,
        cpf: str | None = None,
        txid: str | None = None,
        devolucao_presente: bool | None = None,
    ) -> list[ReceivedPix]:
        """Every Pix received in [inicio, fim], reading all pages."""
        extra = {"cpf": cpf, "txid": txid, "devolucaoPresente": devolucao_presente}
        return [
            ReceivedPix.model_validate(p) for p in await self._pages(f"{API}/pix", "pix", inicio, fim, extra)
        ]

    async def get_pix(self, e2eid: str) -> ReceivedPix:
        return ReceivedPix.model_validate(await self.json("GET", f"{API}/pix/{_e2eid(e2eid)}"))

    async def refund(
        self,
        e2eid: str,
        refund_id: str,
        valor: Decimal,
        *,
        natureza: str = "ORIGINAL",
        descricao: str | None = None,
    ) -> Devolucao:
        """``PUT /pix/{e2eid}/devolucao/{id}`` (a partial or total refund), safe to retry (module doc)."""
        if not pix_ids.is_refund_id(refund_id):
            raise PixIdError(f"refund id must be 1-35 letters/digits, got {refund_id!r}")
        body: dict[str, Any] = {"valor": money(valor), "natureza": natureza}
        if descricao:
            body["descricao"] = descricao
        url = f"{API}/pix/{_e2eid(e2eid)}/devolucao/{refund_id}"
        try:
            return Devolucao.model_validate(await self.json("PUT", url, json=body, ok=(201,)))
        except PixApiError as exc:
            if exc.status != 400 or not any(v.get("propriedade") == "id" for v in exc.violacoes):
                raise
            earlier = await self.get_refund(e2eid, refund_id)
            if earlier.valor != valor or (earlier.natureza or "ORIGINAL") != natureza:
                raise
            return earlier

    async def get_refund(self, e2eid: str, refund_id: str) -> Devolucao:
        return Devolucao.model_validate(
            await self.json("GET", f"{API}/pix/{_e2eid(e2eid)}/devolucao/{refund_id}")
        )

    # --- webhooks -------------------------------------------------------------------------------
    async def set_webhook(self, chave: str, url: str) -> None:
        await self.json("PUT", f"{API}/webhook/{chave}", json={"webhookUrl": url})

    async def get_webhook(self, chave: str) -> Webhook:
        return Webhook.model_validate(await self.json("GET", f"{API}/webhook/{chave}"))

    async def delete_webhook(self, chave: str) -> None:
        await self.json("DELETE", f"{API}/webhook/{chave}", ok=(204,))

    async def list_webhooks(
        self, inicio: datetime | None = None, fim: datetime | None = None
    ) -> list[Webhook]:
        return [
            Webhook.model_validate(w)
            for w in await self._pages(f"{API}/webhook", "webhooks", inicio, fim, {})
        ]

    # --- sandbox-only helpers (simulate the payer side) ----------------------------------------
    async def sandbox_pay(self, txid: str) -> dict:
        return await self.json("POST", f"/sandbox/cob/{txid}/pay", auth=False)

    async def sandbox_pay_cobv(self, txid: str, day: date | None = None) -> dict:
        params = {"data": day.isoformat()} if day else None
        return await self.json("POST", f"/sandbox/cobv/{txid}/pay", auth=False, params=params)

    async def sandbox_med(
        self, e2eid: str, valor: Decimal, natureza: str = "MED_FRAUDE", motivo: str | None = None
    ) -> dict:
        body = {"valor": money(valor), "natureza": natureza, **({"motivo": motivo} if motivo else {})}
        return await self.json("POST", f"/sandbox/pix/{e2eid}/med", auth=False, json=body)

    async def sandbox_deliver(self, inicio: datetime, fim: datetime) -> dict:
        return await self.json(
            "POST",
            "/sandbox/webhook/deliver",
            auth=False,
            params={"inicio": iso_millis(inicio), "fim": iso_millis(fim)},
        )


def _query_value(value: Any) -> Any:
    return ("true" if value else "false") if isinstance(value, bool) else value
