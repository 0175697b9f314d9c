"""BACEN API Pix sandbox (pix-api-openapi.yaml 2.9.0): FastAPI ``create_app(world, settings)``.

Serves, under the spec's server base ``/api`` (``POST /token`` at the root), what a bank's
integration with its PSP uses, one module per group:

* charges, :mod:`~sandbox.pix.charges`: ``cob`` (PUT/POST/PATCH/GET with
  revisions, list) and ``cobv`` (PUT/PATCH/GET with revisions, list; fine, interest, rebate,
  discount per :mod:`~sandbox.pix.cobv_amounts`);
* payload locations, :mod:`~sandbox.pix.locs`: ``loc`` create/get/list/unlink;
* received Pix and refunds, :mod:`~sandbox.pix.received`: ``GET /pix``,
  ``GET /pix/{e2eid}``, ``PUT|GET /pix/{e2eid}/devolucao/{id}`` (partial and total refunds; MED
  returns of the world's fraud credits);
* webhooks, :mod:`~sandbox.pix.webhooks`: ``PUT|GET|DELETE /webhook/{chave}``,
  ``GET /webhook``; deliveries signed (HMAC header for mTLS) and retried.

List queries are validated by :mod:`~sandbox.pix.query`; identifiers follow
:mod:`lake.domain.pix_ids`; state lives in :mod:`~sandbox.pix.state`.

Sandbox-only routes simulate the other side of the arrangement: ``POST /sandbox/cob/{txid}/pay``
(a payer pays a cob in full now), ``POST /sandbox/cobv/{txid}/pay?data=YYYY-MM-DD`` (a payer pays a
cobv on that day, the amount computed with its fine/interest/rebate/discount), ``POST
/sandbox/pix/{e2eid}/med`` (the payer's institution returns a Pix through the MED:
``{valor, natureza: MED_FRAUDE|MED_OPERACIONAL, motivo?}``) and ``POST
/sandbox/webhook/deliver?inicio=&fim=`` (the period's Pix to every registered webhook). Payments and
refund requests are delivered to the key's webhook; the answers carry delivery reports.

Scopes: a token with explicit scopes (``cob.write cob.read cobv.write cobv.read
payloadlocation.write payloadlocation.read pix.write pix.read webhook.write webhook.read``) may
only call matching endpoints (403 ``AcessoNegado``); a token without scope may call all. Errors are
RFC 7807 ``Problema`` bodies (``application/problem+json``) with the spec's type URIs, also for
unknown routes (404 ``NaoEncontrado``), other methods (405) and injected faults.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, time

import httpx
import polars as pl
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from lake.domain import pix_ids
from lake.domain.money import str_to_cents
from lake.settings import Settings, get_settings
from pipelines.sources.clock import Clock, SystemClock
from pipelines.sources.oauth import AuthError, token_router
from pipelines.sources.timefmt import iso_millis
from sandbox.errors import install_error_handlers
from sandbox.faults import FaultInjector, FaultPlan
from sandbox.pix import charges as sandbox_charges
from sandbox.pix import locs as sandbox_locs
from sandbox.pix import payloads
from sandbox.pix import received as sandbox_received
from sandbox.pix import webhooks as sandbox_webhooks
from sandbox.pix.cobv_amounts import Components, amount_due
from sandbox.pix.query import PixProblem, consulta, violation
from sandbox.pix.state import Charge, PixRecord, PixState, Refund, WebhookDelivery, _suffix
from sandbox.world_index import WorldIndex

PROBLEM_MEDIA = "application/problem+json"
ERROR_BASE = "https://pix.bcb.gov.br/api/v2/error/"


def problem(
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


def authorise(request: Request, scope: str) -> PixState:
    """The app's state once the bearer token is valid and holds ``scope`` (or no scope at all)."""
    state: PixState = request.app.state.ctx
    token = state.issuer.authenticate(request.headers.get("authorization"))
    if token.scopes and scope not in token.scopes:
        raise PixProblem(403, "AcessoNegado", "Acesso Negado", f"the token lacks scope {scope}")
    return state


async def notify(state: PixState, rec: PixRecord) -> list[dict]:
    """Deliver ``rec`` (with its refunds) to the webhook of its key, if one is registered."""
    hook = state.webhooks.get(rec.pix.get("chave") or "")
    if not hook:
        return []
    return [await state.delivery.deliver(hook["chave"], hook["webhookUrl"], [rec.payload(state.now())])]


def _payment(state: PixState, kind: str, txid: str, at: datetime, comps: Components) -> PixRecord:
    charge = state.charges[txid]
    fields = charge.revisions[-1]
    pix = {
        "endToEndId": payloads.end_to_end_id(f"{kind}:{txid}", at),
        "txid": txid,
        "valor": payloads.cents_text(comps.total),
        "componentesValor": comps.componentes_valor(),
        "chave": fields["chave"],
        "horario": iso_millis(at),
    }
    if fields.get("solicitacaoPagador"):
        pix["infoPagador"] = fields["solicitacaoPagador"][:140]
    devedor = fields.get("devedor") or {}
    rec = PixRecord(pix, at, devedor.get("cpf") or devedor.get("cnpj"))
    charge.status = "CONCLUIDA"
    charge.pix.append(pix)
    state.add_pix(rec)
    return rec


def _sandbox_router() -> APIRouter:
    r = APIRouter(prefix="/sandbox", tags=["sandbox-only"])

    def payable(state: PixState, kind: str, txid: str) -> Charge:
        charge = state.charge(txid, kind)
        if charge is None:
            raise PixProblem(404, "CobNaoEncontrado", "Cobrança não encontrada", f"{kind} {txid}")
        if charge.status != "ATIVA":
            raise PixProblem(400, "CobOperacaoInvalida", "Cobrança não pagável", f"{kind} is {charge.status}")
        return charge

    @r.post("/cob/{txid}/pay")
    async def pay_cob(txid: str, request: Request) -> JSONResponse:
        """A payer pays the cob in full now."""
        state: PixState = request.app.state.ctx
        charge = payable(state, "cob", txid)
        comps = Components(str_to_cents(charge.revisions[-1]["valor"]["original"]))
        rec = _payment(state, "cob", txid, state.now(), comps)
        return JSONResponse({"pix": rec.payload(state.now()), "deliveries": await notify(state, rec)})

    @r.post("/cobv/{txid}/pay")
    async def pay_cobv(txid: str, request: Request) -> JSONResponse:
        """A payer pays the cobv on ``data`` (default: today); the amount follows the charge's rules."""
        state: PixState = request.app.state.ctx
        charge = payable(state, "cobv", txid)
        now = state.now()
        try:
            day = date.fromisoformat(request.query_params.get("data") or now.date().isoformat())
        except ValueError:
            raise PixProblem(400, "RequisicaoInvalida", "Data inválida", "data must be YYYY-MM-DD") from None
        if day > now.date() or day < charge.created_at.date():
            raise PixProblem(
                400, "RequisicaoInvalida", "Data inválida", "data must lie between creation and today"
            )
        at = now if day == now.date() else datetime.combine(day, time(15), tzinfo=now.tzinfo)
        if at > charge.deadline():
            raise PixProblem(400, "CobOperacaoInvalida", "Cobrança vencida", "the cobv can no longer be paid")
        fields = charge.revisions[-1]
        comps = amount_due(fields["valor"], date.fromisoformat(fields["calendario"]["dataDeVencimento"]), day)
        rec = _payment(state, "cobv", txid, at, comps)
        return JSONResponse({"pix": rec.payload(now), "deliveries": await notify(state, rec)})

    @r.post("/pix/{e2eid}/med")
    async def med_return(e2eid: str, request: Request) -> JSONResponse:
        """The payer's institution returns (part of) a Pix through the MED; settled at once."""
        state: PixState = request.app.state.ctx
        rec = sandbox_received.find_pix(state, e2eid)
        body = await request.json()
        natureza = body.get("natureza") if isinstance(body, dict) else None
        valor = body.get("valor") if isinstance(body, dict) else None
        if natureza not in ("MED_FRAUDE", "MED_OPERACIONAL"):
            raise PixProblem(
                400,
                "PixDevolucaoInvalida",
                "Devolução inválida",
                "natureza must be MED_FRAUDE or MED_OPERACIONAL",
            )
        try:
            cents = str_to_cents(valor)
        except (TypeError, ValueError):
            cents = 0
        if cents <= 0 or rec.refunded_cents() + cents > str_to_cents(rec.pix["valor"]):
            raise PixProblem(
                400,
                "PixDevolucaoInvalida",
                "Devolução inválida",
                "valor must be positive and within the Pix",
                [violation("valor", "valor", valor)],
            )
        now = state.now()
        state.refund_seq += 1
        refund = Refund(
            id=f"MED{state.refund_seq:010d}",
            rtr_id=pix_ids.return_id(
                state.settings.pix_ispb, now, _suffix(f"med:{e2eid}:{state.refund_seq}")
            ),
            valor_cents=cents,
            natureza=natureza,
            requested_at=now,
            settled_at=now,
            motivo=str(body.get("motivo") or "Devolução pelo MED")[:140],
        )
        rec.refunds.append(refund)
        return JSONResponse({"devolucao": refund.payload(now), "deliveries": await notify(state, rec)})

    @r.post("/webhook/deliver")
    async def deliver(request: Request) -> JSONResponse:
        """Deliver the Pix received in [inicio, fim] to every registered webhook (100 per call)."""
        state: PixState = request.app.state.ctx
        c = consulta(request, "PixConsultaInvalida")
        reports = []
        now = state.now()
        rows = state.pix_between(c.inicio, c.fim)
        for chave in sorted(state.webhooks):
            batch = [p.payload(now) for p in rows if p.pix.get("chave") == chave]
            for start in range(0, len(batch), 100):
                reports.append(
                    await state.delivery.deliver(
                        chave, state.webhooks[chave]["webhookUrl"], batch[start : start + 100]
                    )
                )
        return JSONResponse({"deliveries": reports})

    return r


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
    clock = clock or SystemClock()
    delivery = WebhookDelivery(
        settings.sandbox_webhook_retries,
        settings.http_backoff_base_s,
        webhook_transport,
        webhook_sleep,
        settings.http_timeout_s,
        settings.pix_webhook_secret.get_secret_value(),
        clock,
    )
    state = PixState(index, settings, clock, delivery)
    app = FastAPI(title="API Pix sandbox", version="2.9.0")
    app.state.ctx = state
    app.include_router(token_router(state.issuer))
    for module in (sandbox_charges, sandbox_locs, sandbox_received, sandbox_webhooks):
        app.include_router(module.router())
    app.include_router(_sandbox_router())

    @app.exception_handler(PixProblem)
    async def _pix_problem(_: Request, exc: PixProblem) -> JSONResponse:
        return problem(exc.status, exc.name, exc.title, exc.detail, exc.violacoes)

    @app.exception_handler(AuthError)
    async def _auth_error(_: Request, exc: AuthError) -> JSONResponse:
        resp = problem(exc.status, "NaoAutorizado", "Não autorizado", exc.detail)
        resp.headers["WWW-Authenticate"] = "Bearer"
        return resp

    def _framework(_: Request, status: int, kind: str, detail: str) -> JSONResponse:
        if kind == "not_found":
            return problem(404, "NaoEncontrado", "Não encontrado", detail)
        if kind == "method_not_allowed":  # no Pix error type for 405: the general RequisicaoInvalida
            return problem(405, "RequisicaoInvalida", "Método não permitido", detail)
        return problem(
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


__all__ = ["create_app", "authorise", "notify", "problem"]
