"""Webhooks of the Pix sandbox (scopes ``webhook.write``/``webhook.read``).

* ``PUT /webhook/{chave}`` ``{"webhookUrl": ...}``: register (or replace) the webhook of a key of
  one of the institution's customers (400 ``WebhookOperacaoInvalida``: not an http(s) URL, or not a
  key of this receiver); ``GET``/``DELETE /webhook/{chave}`` (404 ``WebhookNaoEncontrado``);
* ``GET /webhook``: every webhook, optionally by creation period, paginated.

Deliveries (:class:`~sandbox.pix.state.WebhookDelivery`) POST ``{"pix": [...]}``
to ``{webhookUrl}/pix``, signed with ``X-Pix-Signature`` (HMAC, standing in for mTLS; see
:mod:`pipelines.sources.pix.webhook_signature`) and retried with exponential backoff.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from pipelines.sources.timefmt import iso_millis
from sandbox.pix.query import PixProblem, consulta, violation

API = "/api"
_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$")


def _missing(chave: str) -> PixProblem:
    return PixProblem(
        404, "WebhookNaoEncontrado", "Webhook não encontrado.", f"Nenhum webhook para a chave {chave}."
    )


def router() -> APIRouter:
    from sandbox.pix.server import authorise

    r = APIRouter(prefix=API, tags=["pix-webhooks"])

    @r.put("/webhook/{chave}")
    async def put_webhook(chave: str, request: Request) -> Response:
        state = authorise(request, "webhook.write")
        try:
            body = await request.json()
        except ValueError:
            body = None
        url = body.get("webhookUrl") if isinstance(body, dict) else None
        problems = []
        if not isinstance(url, str) or len(url) > 2048 or not _URL.match(url):
            problems.append(violation("webhookUrl deve ser uma URL http(s)", "webhook.webhookUrl", url))
        row = state.index.pix_keys.get(chave)
        if row is None or row["customer_id"] is None:
            problems.append(
                violation("a chave não pertence a um usuário recebedor desta instituição", "chave", chave)
            )
        if problems:
            raise PixProblem(
                400,
                "WebhookOperacaoInvalida",
                "Webhook inválido.",
                "A presente requisição busca criar um webhook sem respeitar o schema ou apresenta semântica inválida.",
                problems,
            )
        state.webhooks[chave] = {
            "webhookUrl": url,
            "chave": chave,
            "cnpj": state.index.institution_cnpj,
            "criacao": state.now(),
        }
        return Response(status_code=200)

    def payload(hook: dict) -> dict:
        return {**hook, "criacao": iso_millis(hook["criacao"])}

    @r.get("/webhook/{chave}")
    async def get_webhook(chave: str, request: Request) -> JSONResponse:
        state = authorise(request, "webhook.read")
        if chave not in state.webhooks:
            raise _missing(chave)
        return JSONResponse(payload(state.webhooks[chave]))

    @r.delete("/webhook/{chave}", status_code=204)
    async def delete_webhook(chave: str, request: Request) -> Response:
        state = authorise(request, "webhook.write")
        if state.webhooks.pop(chave, None) is None:
            raise _missing(chave)
        return Response(status_code=204)

    @r.get("/webhook")
    async def list_webhooks(request: Request) -> JSONResponse:
        state = authorise(request, "webhook.read")
        c = consulta(request, "WebhookConsultaInvalida", period_required=False)
        rows = sorted(
            (h for h in state.webhooks.values() if c.within(h["criacao"])),
            key=lambda h: (h["criacao"], h["chave"]),
        )
        return JSONResponse(
            {"parametros": c.parametros(len(rows)), "webhooks": [payload(h) for h in c.window(rows)]}
        )

    return r
