"""In-memory state of the Pix sandbox: charges with their revisions, locations, received Pix with
their refunds, webhooks, and the signed webhook delivery with retries.

Everything is derived deterministically from the world and the requests made (ids come from
sequences and hashes, times from the injected clock), so the same requests in the same order give
the same answers.

* :class:`Charge`: a ``cob`` or ``cobv``; ``revisions`` keeps every version the receiver wrote
  (revision 0 at creation, +1 per change other than ``loc`` alone); ``status`` moves to
  ``CONCLUIDA`` when paid and to ``REMOVIDA_PELO_PSP`` once it can no longer be paid (a cob after
  ``criacao + expiracao``; a cobv after ``dataDeVencimento + validadeAposVencimento`` days, UTC
  dates), neither of which is a revision.
* :class:`Loc`: a payload location (``tipoCob`` cob/cobv) linked to at most one charge.
* :class:`PixRecord`: a received Pix (from the world or paying a charge) and its refunds; a refund
  is ``EM_PROCESSAMENTO`` until ``REFUND_SETTLE_S`` after its request, then ``DEVOLVIDO``.
  Received Pix the world labels as fraud come with a full ``MED_FRAUDE`` return (the MED,
  Mecanismo Especial de Devolução, started by the payer's institution) two days later.
"""

from __future__ import annotations

import asyncio
import bisect
import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx

from lake.domain import pix_ids
from lake.settings import Settings
from pipelines.sources.clock import Clock, now_utc
from pipelines.sources.oauth import TokenIssuer
from pipelines.sources.pix.webhook_signature import DELIVERY_HEADER, SIGNATURE_HEADER, sign
from pipelines.sources.timefmt import iso_millis
from sandbox.pix import payloads
from sandbox.world_index import WorldIndex

REFUND_SETTLE_S = 1
MED_AFTER = timedelta(days=2)
REFUND_WINDOW = timedelta(days=90)


@dataclass
class Loc:
    id: int
    tipo_cob: str
    created_at: datetime
    location: str
    txid: str | None = None

    def payload(self, with_txid: bool = True) -> dict:
        out = {
            "id": self.id,
            "location": self.location,
            "tipoCob": self.tipo_cob,
            "criacao": iso_millis(self.created_at),
        }
        if with_txid and self.txid:
            out["txid"] = self.txid
        return out


@dataclass
class Charge:
    kind: str  # "cob" | "cobv"
    txid: str
    created_at: datetime
    revisions: list[dict]  # the receiver's fields per revision (calendario, devedor, valor, chave, ...)
    statuses: list[str]  # status as written at each revision
    loc_id: int | None = None
    status: str = "ATIVA"
    pix: list[dict] = field(default_factory=list)
    customer_id: str | None = None

    @property
    def revisao(self) -> int:
        return len(self.revisions) - 1

    def deadline(self) -> datetime:
        """The last instant the charge can be paid."""
        fields = self.revisions[-1]
        if self.kind == "cob":
            return self.created_at + timedelta(seconds=fields["calendario"]["expiracao"])
        due = datetime.fromisoformat(fields["calendario"]["dataDeVencimento"]).replace(
            tzinfo=self.created_at.tzinfo
        )
        return (
            due
            + timedelta(days=fields["calendario"]["validadeAposVencimento"] + 1)
            - timedelta(microseconds=1)
        )

    def refresh(self, now: datetime) -> None:
        if self.status == "ATIVA" and now > self.deadline():
            self.status = "REMOVIDA_PELO_PSP"


@dataclass
class Refund:
    id: str
    rtr_id: str
    valor_cents: int
    natureza: str
    requested_at: datetime
    descricao: str | None = None
    settled_at: datetime | None = None  # set for refunds settled at creation (MED)
    motivo: str | None = None

    def status(self, now: datetime) -> str:
        return "DEVOLVIDO" if self.settled(now) is not None else "EM_PROCESSAMENTO"

    def settled(self, now: datetime) -> datetime | None:
        at = self.settled_at or self.requested_at + timedelta(seconds=REFUND_SETTLE_S)
        return at if now >= at else None

    def payload(self, now: datetime) -> dict:
        out = {
            "id": self.id,
            "rtrId": self.rtr_id,
            "valor": payloads.cents_text(self.valor_cents),
            "natureza": self.natureza,
            "horario": {"solicitacao": iso_millis(self.requested_at)},
            "status": self.status(now),
        }
        settled = self.settled(now)
        if settled is not None:
            out["horario"]["liquidacao"] = iso_millis(settled)
        if self.descricao:
            out["descricao"] = self.descricao
        if self.motivo:
            out["motivo"] = self.motivo
        return out


@dataclass
class PixRecord:
    pix: dict  # the Pix as received (no devolucoes)
    at: datetime
    payer_doc: str | None
    refunds: list[Refund] = field(default_factory=list)

    @property
    def e2eid(self) -> str:
        return self.pix["endToEndId"]

    def payload(self, now: datetime) -> dict:
        if not self.refunds:
            return self.pix
        return {**self.pix, "devolucoes": [r.payload(now) for r in self.refunds]}

    def refunded_cents(self) -> int:
        return sum(r.valor_cents for r in self.refunds)


class WebhookDelivery:
    """POSTs Pix to registered webhooks, signed (X-Pix-Signature), with exponential-backoff retries."""

    def __init__(
        self,
        retries: int,
        base_s: float,
        transport: httpx.AsyncBaseTransport | None,
        sleep: Callable[[float], Awaitable[None]] | None,
        timeout_s: float,
        secret: str,
        clock: Clock,
    ) -> None:
        self.retries = retries
        self.base_s = base_s
        self.transport = transport
        self.sleep = sleep or asyncio.sleep
        self.timeout_s = timeout_s
        self.secret = secret
        self.clock = clock
        self.log: list[dict] = []
        self._seq = 0

    async def deliver(self, chave: str, url: str, pix: list[dict]) -> dict:
        target = url.rstrip("/") + "/pix"
        body = json.dumps({"pix": pix}, separators=(",", ":")).encode()
        self._seq += 1
        delivery_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"cofre-pix-delivery:{self._seq}:{chave}"))
        attempts, status, error = 0, None, None
        async with httpx.AsyncClient(transport=self.transport, timeout=self.timeout_s) as http:
            for attempt in range(self.retries + 1):
                attempts += 1
                headers = {
                    "content-type": "application/json",
                    SIGNATURE_HEADER: sign(self.secret, body, int(self.clock.time())),
                    DELIVERY_HEADER: delivery_id,
                }
                try:
                    resp = await http.post(target, content=body, headers=headers)
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
            "deliveryId": delivery_id,
            "pix": len(pix),
            "attempts": attempts,
            "delivered": status is not None and 200 <= status < 300,
            "status": status,
        }
        if error:
            report["error"] = error
        self.log.append(report)
        return report


class PixState:
    """Per-app state shared by the Pix sandbox's routers."""

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
        self.charges: dict[str, Charge] = {}
        self.locs: dict[int, Loc] = {}
        self.webhooks: dict[str, dict] = {}
        self.cob_seq = 0
        self.loc_seq = 0
        self.refund_seq = 0
        self._world = self._world_pix()
        self._world_at = [r.at for r in self._world]
        self._extra: list[PixRecord] = []
        self.by_e2eid = {r.e2eid: r for r in self._world}

    def _world_pix(self) -> list[PixRecord]:
        out = []
        for tx in self.index.pix_credits:
            key = self.index.receiving_key(tx["account_id"])
            rec = PixRecord(payloads.received_pix(tx, key), tx["booked_at"], tx["counterparty_document"])
            if tx.get("is_fraud"):
                at = tx["booked_at"] + MED_AFTER
                rec.refunds.append(
                    Refund(
                        id="MED" + pix_ids.alnum_from_int(_seed(tx["transaction_id"]), 20),
                        rtr_id=pix_ids.return_id(
                            self.settings.pix_ispb, at, _suffix("rtr:" + tx["transaction_id"])
                        ),
                        valor_cents=tx["amount_cents"],
                        natureza="MED_FRAUDE",
                        requested_at=at,
                        settled_at=at + timedelta(hours=1),
                        motivo="Devolução pelo MED: fraude confirmada pela instituição do pagador",
                    )
                )
            out.append(rec)
        out.sort(key=lambda r: (r.at, r.e2eid))
        return out

    def now(self) -> datetime:
        return now_utc(self.clock)

    def add_pix(self, rec: PixRecord) -> None:
        self._extra.append(rec)
        self._extra.sort(key=lambda r: (r.at, r.e2eid))
        self.by_e2eid[rec.e2eid] = rec

    def pix_between(self, inicio: datetime | None, fim: datetime | None) -> list[PixRecord]:
        """Received Pix with ``inicio <= horario <= fim`` (None: open), in (horario, endToEndId) order."""
        lo = 0 if inicio is None else bisect.bisect_left(self._world_at, inicio)
        hi = len(self._world) if fim is None else bisect.bisect_right(self._world_at, fim)
        rows = self._world[lo:hi]
        extra = [
            r for r in self._extra if (inicio is None or inicio <= r.at) and (fim is None or r.at <= fim)
        ]
        if extra:
            rows = sorted(rows + extra, key=lambda r: (r.at, r.e2eid))
        return rows

    def charge(self, txid: str, kind: str | None = None) -> Charge | None:
        c = self.charges.get(txid)
        if c is None or (kind is not None and c.kind != kind):
            return None
        c.refresh(self.now())
        return c

    def new_loc(self, tipo_cob: str, host: str) -> Loc:
        self.loc_seq += 1
        token = uuid.uuid5(uuid.NAMESPACE_URL, f"cofre-loc:{self.loc_seq}").hex
        path = "qr/v2/cobv" if tipo_cob == "cobv" else "qr/v2"
        loc = Loc(self.loc_seq, tipo_cob, self.now(), f"https://{host}/{path}/{token}")
        self.locs[loc.id] = loc
        return loc


def _seed(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest(), 16)


def _suffix(text: str) -> str:
    return pix_ids.alnum_from_int(_seed(text), 11)
