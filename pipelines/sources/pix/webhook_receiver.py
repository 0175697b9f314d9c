"""cofre's receiving end of Pix webhooks: checks the signature, takes each delivery once.

:class:`PixWebhookReceiver` builds a small ASGI app answering ``POST {prefix}/pix`` (the PSP posts
to ``{webhookUrl}/pix``). A delivery is accepted only with a valid ``X-Pix-Signature`` (HMAC over
the raw body with ``settings.pix_webhook_secret``, at most ``pix_webhook_tolerance_s`` old; see
:mod:`pipelines.sources.pix.webhook_signature`): otherwise 401 and nothing is taken, so the PSP's
retry can deliver it again. A body that is not ``{"pix": [Pix...]}`` is 400. A delivery id seen
before answers 200 without taking the Pix again (the PSP retries when our answer is lost). Accepted
Pix go to ``on_pix`` and are kept in :attr:`received` in arrival order.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from pipelines.sources.clock import Clock, SystemClock
from pipelines.sources.pix.models import ReceivedPix
from pipelines.sources.pix.webhook_signature import DELIVERY_HEADER, SIGNATURE_HEADER, SignatureError, verify


class PixWebhookReceiver:
    def __init__(
        self,
        secret: str,
        *,
        clock: Clock | None = None,
        tolerance_s: int = 300,
        on_pix: Callable[[list[ReceivedPix]], None] | None = None,
    ) -> None:
        self.secret = secret
        self.clock = clock or SystemClock()
        self.tolerance_s = tolerance_s
        self.on_pix = on_pix
        self.received: list[ReceivedPix] = []
        self.deliveries: set[str] = set()
        self.refused: list[str] = []

    def app(self, prefix: str = "") -> FastAPI:
        app = FastAPI(title="cofre Pix webhook receiver")

        @app.post(f"{prefix}/pix")
        async def pix(request: Request) -> JSONResponse:
            body = await request.body()
            try:
                verify(
                    self.secret,
                    request.headers.get(SIGNATURE_HEADER),
                    body,
                    self.clock.time(),
                    self.tolerance_s,
                )
            except SignatureError as exc:
                self.refused.append(str(exc))
                return JSONResponse({"erro": "assinatura inválida", "detalhe": str(exc)}, status_code=401)
            delivery = request.headers.get(DELIVERY_HEADER, "")
            if delivery and delivery in self.deliveries:
                return JSONResponse({"recebidos": 0, "duplicada": True})
            try:
                items = json.loads(body)["pix"]
                pix = [ReceivedPix.model_validate(p) for p in items]
            except (ValueError, KeyError, TypeError, ValidationError) as exc:
                return JSONResponse({"erro": "corpo inválido", "detalhe": str(exc)[:300]}, status_code=400)
            if delivery:
                self.deliveries.add(delivery)
            self.received.extend(pix)
            if self.on_pix is not None:
                self.on_pix(pix)
            return JSONResponse({"recebidos": len(pix), "duplicada": False})

        return app
