"""BACEN API Pix sandbox (subset of pix-api-openapi.yaml 2.9.0): FastAPI ``create_app(world, settings)``.

Endpoints (spec paths under the server base ``/api``; ``POST /token`` at the root):

* ``PUT /api/cob/{txid}``, ``POST /api/cob`` - create an immediate charge (``cob``) for one of the
  institution's customers' keys; answers ``CobGerada`` with ``loc``, ``location`` and
  ``pixCopiaECola`` (a dynamic BR Code: point of initiation 12, URL = location, txid ``***``).
* ``GET /api/cob/{txid}`` - ``CobCompleta`` (with the ``pix`` that paid it, once paid).
* ``GET /api/cob?inicio=&fim=`` - cobs created in the period (filters ``cpf``/``cnpj`` of the
  devedor, ``status``), paginated like ``GET /api/pix``.
* ``GET /api/pix?inicio=&fim=`` - Pix received in the period (the world's PIX credit transactions,
  plus paid cobs), filters ``cpf``/``cnpj`` (payer), ``txid``, ``txIdPresente``; pagination
  ``paginacao.paginaAtual`` (from 0) and ``paginacao.itensPorPagina`` (1..1000, default 100).
* ``GET /api/pix/{e2eid}`` - one received Pix.
* ``PUT|GET|DELETE /api/webhook/{chave}`` - webhook for a key; received Pix are POSTed to
  ``{webhookUrl}/pix`` as ``{"pix": [...]}``, retried with exponential backoff on failure
  (``settings.sandbox_webhook_retries``).

Sandbox-only (simulate the payer side): ``POST /sandbox/cob/{txid}/pay`` pays an active cob
(status CONCLUIDA, a Pix with its txid, webhook delivered); ``POST /sandbox/webhook/deliver?inicio=&fim=``
delivers the world's Pix of that period to every registered webhook. Both answer delivery reports.

Scopes: a token with explicit scopes (``cob.write cob.read pix.read webhook.write webhook.read``)
may only call matching endpoints (403 ``AcessoNegado``); a token without scope may call all.
Errors are RFC 7807 ``Problema`` bodies (``application/problem+json``) with the spec's type URIs.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal

import httpx
import polars as pl
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from lake.domain.brcode import BRCode, encode
from lake.domain.identifiers import is_valid_cpf
from lake.settings import Settings, get_settings
from pipelines.sources.clock import Clock, SystemClock, now_utc
from pipelines.sources.errors import install_error_handlers
from pipelines.sources.faults import FaultInjector, FaultPlan
from pipelines.sources.oauth import AuthError, TokenIssuer, token_router
from pipelines.sources.pix import payloads
from pipelines.sources.pix.sandbox_query import PixProblem, consulta, violation
from pipelines.sources.timefmt import iso_millis, parse_rfc3339
from pipelines.sources.world_index import WorldIndex

API = "/api"
PROBLEM_MEDIA = "application/problem+json"
ERROR_BASE = "https://pix.bcb.gov.br/api/v2/error/"
_TXID = re.compile(r"^[a-zA-Z0-9]{26,35}$")
_VALOR = re.compile(r"^\d{1,10}\.\d{2}$")
_CNPJ = re.compile(r"^[0-9A-Z]{14}$")


class WebhookDelivery:
    """POSTs received Pix to registered webhooks with exponential-backoff retries."""

    def __init__(
        self,
        retries: int,
        base_s: float,
        transport: httpx.AsyncBaseTransport | None,
        sleep: Callable[[float], Awaitable[None]] | None,
        timeout_s: float,
    ) -> None:
        self.retries = retries
        self.base_s = base_s
        self.transport = transport
        self.sleep = sleep or asyncio.sleep
        self.timeout_s = timeout_s
        self.log: list[dict] = []

    async def deliver(self, chave: str, url: str, pix: list[dict]) -> dict:
        target = url.rstrip("/") + "/pix"
        attempts, status, error = 0, None, None
        async with httpx.AsyncClient(transport=self.transport, timeout=self.timeout_s) as http:
            for attempt in range(self.retries + 1):
                attempts += 1
                try:
                    resp = await http.post(target, json={"pix": pix})
                    status, error = resp.status_code, None
                    if 200 <= resp.status_code < 300:
                        break
                except httpx.HTTPError as exc:
                    status, error = None, repr(exc)
                if attempt < self.retries:
                    await self.sleep(self.base_s * 2**attempt)
        report = {
            "chave": chave,
            "webhookUrl": url,
            "pix": len(pix),
            "attempts": attempts,
            "delivered": status is not None and 200 <= status < 300,
            "status": status,
        }
        if error:
            report["error"] = error
        self.log.append(report)
        return report


class _Ctx:
    def __init__(
        self, index: WorldIndex, settings: Settings, clock: Clock, delivery: WebhookDelivery
    ) -> None:
        self.index = index
        self.settings = settings
        self.clock = clock
        self.delivery = delivery
        self.issuer = TokenIssuer(
            {settings.client_id: settings.client_secret.get_secret_value()},
            settings.sandbox_token_ttl_s,
            clock,
        )
        self.cobs: dict[str, dict] = {}
        self.cob_created: dict[str, datetime] = {}
        self.cob_pix: list[dict] = []
        self.webhooks: dict[str, dict] = {}
        self.cob_seq = 0
        self.loc_seq = 0
        self.world_pix = self._world_pix()

    def _world_pix(self) -> list[dict]:
        out = []
        for tx in self.index.pix_credits:
            key = self.index.receiving_key(tx["account_id"])
            out.append(
                {
                    "pix": payloads.received_pix(tx, key),
                    "at": tx["booked_at"],
                    "payer_doc": tx["counterparty_document"],
                }
            )
        return out

    def now(self) -> datetime:
        return now_utc(self.clock)

    def all_pix(self) -> list[dict]:
        return sorted(self.world_pix + self.cob_pix, key=lambda p: (p["at"], p["pix"]["endToEndId"]))


def _problem(
    status: int, name: str, title: str, detail: str, violacoes: list[dict] | None = None
) -> JSONResponse:
    body = {"type": ERROR_BASE + name, "title": title, "status": status, "detail": detail}
    if violacoes:
        body["violacoes"] = violacoes
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA)


def _fault_problem(status: int, detail: str) -> tuple[str, dict]:
    """Injected faults as Pix problems: 503 ServicoIndisponivel; 429 has no Pix type (about:blank)."""
    if status == 503:
        body = {"type": ERROR_BASE + "ServicoIndisponivel", "title": "Serviço Indisponível"}
    else:
        body = {"type": "about:blank", "title": "Too Many Requests"}
    return PROBLEM_MEDIA, {**body, "status": status, "detail": detail}


def _auth(request: Request, scope: str) -> None:
    ctx: _Ctx = request.app.state.ctx
    token = ctx.issuer.authenticate(request.headers.get("authorization"))
    if token.scopes and scope not in token.scopes:
        raise PixProblem(403, "AcessoNegado", "Acesso Negado", f"the token lacks scope {scope}")


_violation = violation


def _cob_invalid(violacoes: list[dict]) -> PixProblem:
    return PixProblem(
        400,
        "CobOperacaoInvalida",
        "Cobrança inválida.",
        "A requisição que busca alterar ou criar uma cobrança para pagamento imediato não respeita "
        "o schema ou está semanticamente errada.",
        violacoes,
    )


def _validate_cob(body: object, ctx: _Ctx) -> dict:
    if not isinstance(body, dict):
        raise _cob_invalid([_violation("o corpo deve ser um objeto JSON", "cob")])
    errors = []
    cal = body.get("calendario") or {}
    expiracao = cal.get("expiracao", 86400) if isinstance(cal, dict) else None
    if not isinstance(expiracao, int) or isinstance(expiracao, bool) or expiracao <= 0:
        errors.append(
            _violation("expiracao deve ser um inteiro positivo", "cob.calendario.expiracao", expiracao)
        )
    valor = (body.get("valor") or {}).get("original") if isinstance(body.get("valor"), dict) else None
    if not isinstance(valor, str) or not _VALOR.match(valor) or Decimal(valor) <= 0:
        errors.append(
            _violation(
                "valor.original deve ser positivo no formato \\d{1,10}\\.\\d{2}", "cob.valor.original", valor
            )
        )
    chave = body.get("chave")
    key_row = ctx.index.pix_keys.get(chave) if isinstance(chave, str) else None
    if key_row is None or key_row["customer_id"] is None:
        errors.append(
            _violation("a chave não pertence a um usuário recebedor desta instituição", "cob.chave", chave)
        )
    devedor = body.get("devedor")
    if devedor is not None:
        if not isinstance(devedor, dict) or not devedor.get("nome"):
            errors.append(_violation("devedor requer nome e cpf ou cnpj", "cob.devedor"))
        elif "cpf" in devedor and "cnpj" in devedor:
            errors.append(_violation("cpf e cnpj não podem ser informados juntos", "cob.devedor"))
        elif "cpf" in devedor and not is_valid_cpf(str(devedor["cpf"])):
            errors.append(_violation("cpf inválido", "cob.devedor.cpf", devedor.get("cpf")))
        elif "cnpj" in devedor and not _CNPJ.match(str(devedor["cnpj"])):
            errors.append(_violation("cnpj inválido", "cob.devedor.cnpj", devedor.get("cnpj")))
        elif "cpf" not in devedor and "cnpj" not in devedor:
            errors.append(_violation("devedor requer cpf ou cnpj", "cob.devedor"))
    sol = body.get("solicitacaoPagador")
    if sol is not None and (not isinstance(sol, str) or len(sol) > 140):
        errors.append(_violation("solicitacaoPagador deve ter até 140 caracteres", "cob.solicitacaoPagador"))
    if errors:
        raise _cob_invalid(errors)
    return {
        "expiracao": expiracao,
        "valor": valor,
        "chave": chave,
        "key_row": key_row,
        "devedor": devedor,
        "solicitacaoPagador": sol,
        "infoAdicionais": body.get("infoAdicionais"),
    }


def _create_cob(request: Request, txid: str, body: object) -> dict:
    ctx: _Ctx = request.app.state.ctx
    spec = _validate_cob(body, ctx)
    now = ctx.now()
    ctx.loc_seq += 1
    # JSON ``location`` is a URI (the spec's format); the BR Code's field 26.25 carries it without scheme.
    location = f"https://{request.url.netloc}/qr/v2/{uuid.uuid5(uuid.NAMESPACE_URL, 'cofre-loc:' + txid).hex}"
    customer = ctx.index.customers.get(spec["key_row"]["customer_id"], {})
    city = payloads.CITY_BY_STATE.get(customer.get("state") or "", "BRASILIA")
    brcode = encode(
        BRCode(
            merchant_name=spec["key_row"]["owner_name"] or "Recebedor",
            merchant_city=city,
            url=location.removeprefix("https://"),
            amount=Decimal(spec["valor"]),
            txid="***",
            point_of_initiation="12",
        )
    )
    cob = {
        "calendario": {"criacao": iso_millis(now), "expiracao": spec["expiracao"]},
        "txid": txid,
        "revisao": 0,
        "loc": {
            "id": ctx.loc_seq,
            "location": location,
            "tipoCob": "cob",
            "criacao": iso_millis(now),
            "txid": txid,
        },
        "location": location,
        "status": "ATIVA",
        "valor": {"original": spec["valor"]},
        "chave": spec["chave"],
        "pixCopiaECola": brcode,
    }
    if spec["devedor"]:
        cob["devedor"] = {k: spec["devedor"][k] for k in ("cpf", "cnpj", "nome") if k in spec["devedor"]}
    if spec["solicitacaoPagador"]:
        cob["solicitacaoPagador"] = spec["solicitacaoPagador"]
    if spec["infoAdicionais"]:
        cob["infoAdicionais"] = spec["infoAdicionais"]
    ctx.cobs[txid] = cob
    ctx.cob_created[txid] = now
    return cob


def _period(request: Request) -> tuple[datetime, datetime]:
    try:
        inicio = parse_rfc3339(request.query_params["inicio"])
        fim = parse_rfc3339(request.query_params["fim"])
    except (KeyError, ValueError):
        raise PixProblem(
            400,
            "PixConsultaInvalida",
            "Consulta inválida",
            "inicio e fim são obrigatórios e devem respeitar a RFC 3339",
            [_violation("inicio/fim ausentes ou inválidos", "inicio")],
        ) from None
    if fim < inicio:
        raise PixProblem(
            400,
            "PixConsultaInvalida",
            "Consulta inválida",
            "fim é anterior a inicio",
            [_violation("fim anterior a inicio", "fim", request.query_params["fim"])],
        )
    return inicio, fim


def _router() -> APIRouter:
    r = APIRouter(prefix=API, tags=["pix"])

    @r.get("/cob")
    async def list_cobs(request: Request) -> JSONResponse:
        ctx: _Ctx = request.app.state.ctx
        _auth(request, "cob.read")
        c = consulta(request, "CobConsultaInvalida", ("cpf", "cnpj", "locationPresente", "status"))
        rows = sorted(
            (t for t, at in ctx.cob_created.items() if c.within(at)), key=lambda t: (ctx.cob_created[t], t)
        )
        cobs = [ctx.cobs[t] for t in rows]
        f = c.filters
        for name in ("cpf", "cnpj"):
            if name in f:
                cobs = [x for x in cobs if (x.get("devedor") or {}).get(name) == f[name]]
        if "status" in f:
            cobs = [x for x in cobs if x["status"] == f["status"]]
        if "locationPresente" in f:
            cobs = [x for x in cobs if ("location" in x) == f["locationPresente"]]
        return JSONResponse({"parametros": c.parametros(len(cobs)), "cobs": c.window(cobs)})

    @r.put("/cob/{txid}", status_code=201)
    async def put_cob(txid: str, request: Request) -> JSONResponse:
        ctx: _Ctx = request.app.state.ctx
        _auth(request, "cob.write")
        if not _TXID.match(txid):
            raise _cob_invalid(
                [_violation("txid deve ter 26 a 35 caracteres alfanuméricos", "cob.txid", txid)]
            )
        if txid in ctx.cobs:
            raise _cob_invalid([_violation("txid já utilizado", "cob.txid", txid)])
        return JSONResponse(_create_cob(request, txid, await _json(request)), status_code=201)

    @r.post("/cob", status_code=201)
    async def post_cob(request: Request) -> JSONResponse:
        ctx: _Ctx = request.app.state.ctx
        _auth(request, "cob.write")
        body = await _json(request)
        ctx.cob_seq += 1
        return JSONResponse(_create_cob(request, payloads.generated_txid(ctx.cob_seq), body), status_code=201)

    @r.get("/cob/{txid}")
    async def get_cob(txid: str, request: Request) -> JSONResponse:
        ctx: _Ctx = request.app.state.ctx
        _auth(request, "cob.read")
        cob = ctx.cobs.get(txid)
        if cob is None:
            raise PixProblem(
                404,
                "CobNaoEncontrado",
                "Cobrança não encontrada",
                f"Nenhuma cobrança encontrada para o txid {txid}.",
            )
        return JSONResponse(cob)

    @r.get("/pix")
    async def list_pix(request: Request) -> JSONResponse:
        ctx: _Ctx = request.app.state.ctx
        _auth(request, "pix.read")
        c = consulta(
            request, "PixConsultaInvalida", ("txid", "txIdPresente", "devolucaoPresente", "cpf", "cnpj")
        )
        f = c.filters
        rows = [p for p in ctx.all_pix() if c.within(p["at"])]
        if "cpf" in f or "cnpj" in f:
            rows = [p for p in rows if p["payer_doc"] == f.get("cpf", f.get("cnpj"))]
        if "txid" in f:
            rows = [p for p in rows if p["pix"].get("txid") == f["txid"]]
        if "txIdPresente" in f:
            rows = [p for p in rows if ("txid" in p["pix"]) == f["txIdPresente"]]
        if "devolucaoPresente" in f:
            rows = [p for p in rows if bool(p["pix"].get("devolucoes")) == f["devolucaoPresente"]]
        return JSONResponse(
            {"parametros": c.parametros(len(rows)), "pix": [p["pix"] for p in c.window(rows)]}
        )

    @r.get("/pix/{e2eid}")
    async def get_pix(e2eid: str, request: Request) -> JSONResponse:
        ctx: _Ctx = request.app.state.ctx
        _auth(request, "pix.read")
        for p in ctx.all_pix():
            if p["pix"]["endToEndId"] == e2eid:
                return JSONResponse(p["pix"])
        raise PixProblem(404, "PixNaoEncontrado", "Pix não encontrado", f"Pix {e2eid} não encontrado.")

    @r.put("/webhook/{chave}")
    async def put_webhook(chave: str, request: Request) -> Response:
        ctx: _Ctx = request.app.state.ctx
        _auth(request, "webhook.write")
        body = await _json(request)
        url = body.get("webhookUrl") if isinstance(body, dict) else None
        problems = []
        if not isinstance(url, str) or not re.match(r"^https?://[^\s/]+", url):
            problems.append(_violation("webhookUrl deve ser uma URL http(s)", "webhookUrl", url))
        row = ctx.index.pix_keys.get(chave)
        if row is None or row["customer_id"] is None:
            problems.append(
                _violation("a chave não pertence a um usuário recebedor desta instituição", "chave", chave)
            )
        if problems:
            raise PixProblem(
                400,
                "WebhookOperacaoInvalida",
                "Webhook inválido.",
                "A requisição busca criar um webhook sem respeitar o schema ou está semanticamente errada.",
                problems,
            )
        ctx.webhooks[chave] = {
            "webhookUrl": url,
            "chave": chave,
            "cnpj": ctx.index.institution_cnpj,
            "criacao": iso_millis(ctx.now()),
        }
        return Response(status_code=200)

    @r.get("/webhook/{chave}")
    async def get_webhook(chave: str, request: Request) -> JSONResponse:
        ctx: _Ctx = request.app.state.ctx
        _auth(request, "webhook.read")
        if chave not in ctx.webhooks:
            raise PixProblem(
                404,
                "WebhookNaoEncontrado",
                "Webhook não encontrado",
                f"Nenhum webhook cadastrado para a chave {chave}.",
            )
        return JSONResponse(ctx.webhooks[chave])

    @r.delete("/webhook/{chave}", status_code=204)
    async def delete_webhook(chave: str, request: Request) -> Response:
        ctx: _Ctx = request.app.state.ctx
        _auth(request, "webhook.write")
        if ctx.webhooks.pop(chave, None) is None:
            raise PixProblem(
                404,
                "WebhookNaoEncontrado",
                "Webhook não encontrado",
                f"Nenhum webhook cadastrado para a chave {chave}.",
            )
        return Response(status_code=204)

    return r


def _sandbox_router() -> APIRouter:
    r = APIRouter(prefix="/sandbox", tags=["sandbox-only"])

    @r.post("/cob/{txid}/pay")
    async def pay(txid: str, request: Request) -> JSONResponse:
        """Sandbox only: a payer pays the cob in full now."""
        ctx: _Ctx = request.app.state.ctx
        cob = ctx.cobs.get(txid)
        if cob is None:
            return _problem(404, "CobNaoEncontrado", "Cobrança não encontrada", f"txid {txid}")
        if cob["status"] != "ATIVA":
            return _problem(400, "CobOperacaoInvalida", "Cobrança inválida", f"cob is {cob['status']}")
        now = ctx.now()
        pix = {
            "endToEndId": payloads.end_to_end_id(f"cob:{txid}", now),
            "txid": txid,
            "valor": cob["valor"]["original"],
            "chave": cob["chave"],
            "horario": iso_millis(now),
        }
        cob["status"] = "CONCLUIDA"
        cob["pix"] = [pix]
        ctx.cob_pix.append({"pix": pix, "at": now, "payer_doc": (cob.get("devedor") or {}).get("cpf")})
        reports = []
        hook = ctx.webhooks.get(cob["chave"])
        if hook:
            reports.append(await ctx.delivery.deliver(cob["chave"], hook["webhookUrl"], [pix]))
        return JSONResponse({"pix": pix, "deliveries": reports})

    @r.post("/webhook/deliver")
    async def deliver(request: Request) -> JSONResponse:
        """Sandbox only: deliver the Pix received in [inicio, fim] to every registered webhook."""
        ctx: _Ctx = request.app.state.ctx
        try:
            inicio, fim = _period(request)
        except PixProblem as exc:
            return _problem(exc.status, exc.name, exc.title, exc.detail, exc.violacoes)
        reports = []
        for chave in sorted(ctx.webhooks):
            batch = [
                p["pix"] for p in ctx.all_pix() if inicio <= p["at"] <= fim and p["pix"].get("chave") == chave
            ]
            for start in range(0, len(batch), 100):
                reports.append(
                    await ctx.delivery.deliver(
                        chave, ctx.webhooks[chave]["webhookUrl"], batch[start : start + 100]
                    )
                )
        return JSONResponse({"deliveries": reports})

    return r


async def _json(request: Request) -> object:
    try:
        return await request.json()
    except ValueError:
        raise PixProblem(
            400, "CobOperacaoInvalida", "Requisição inválida", "o corpo não é JSON válido"
        ) from None


def create_app(
    world: dict[str, pl.DataFrame] | WorldIndex,
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    faults: FaultPlan | None = None,
    webhook_transport: httpx.AsyncBaseTransport | None = None,
    webhook_sleep: Callable[[float], Awaitable[None]] | None = None,
) -> FastAPI:
    """The Pix sandbox over ``world``; ``webhook_transport`` routes deliveries (e.g. to an in-process app)."""
    settings = settings or get_settings()
    index = world if isinstance(world, WorldIndex) else WorldIndex(world)
    delivery = WebhookDelivery(
        settings.sandbox_webhook_retries,
        settings.http_backoff_base_s,
        webhook_transport,
        webhook_sleep,
        settings.http_timeout_s,
    )
    ctx = _Ctx(index, settings, clock or SystemClock(), delivery)
    app = FastAPI(title="API Pix sandbox", version="2.9.0")
    app.state.ctx = ctx
    app.include_router(token_router(ctx.issuer))
    app.include_router(_router())
    app.include_router(_sandbox_router())

    @app.exception_handler(PixProblem)
    async def _pix_problem(_: Request, exc: PixProblem) -> JSONResponse:
        return _problem(exc.status, exc.name, exc.title, exc.detail, exc.violacoes)

    @app.exception_handler(AuthError)
    async def _auth_error(_: Request, exc: AuthError) -> JSONResponse:
        resp = _problem(exc.status, "NaoAutorizado", "Não autorizado", exc.detail)
        resp.headers["WWW-Authenticate"] = "Bearer"
        return resp

    def _framework(_: Request, status: int, kind: str, detail: str) -> JSONResponse:
        if kind == "not_found":
            return _problem(404, "NaoEncontrado", "Não encontrado", detail)
        if kind == "method_not_allowed":  # no Pix error type for 405: the general RequisicaoInvalida
            return _problem(405, "RequisicaoInvalida", "Método não permitido", detail)
        return _problem(
            400 if kind == "bad_request" else status, "RequisicaoInvalida", "Requisição inválida", detail
        )

    install_error_handlers(app, _framework)

    plan = faults or FaultPlan(
        rate=settings.sandbox_fault_rate,
        seed=settings.sandbox_fault_seed,
        retry_after_s=settings.sandbox_fault_retry_after_s,
    )
    app.state.faults = plan
    app.add_middleware(FaultInjector, plan=plan, render=_fault_problem)
    return app
