"""Typed results of the Pix client (pydantic; spec field names; amounts as Decimal)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from lake.domain.brcode import BRCode, decode
from lake.domain.money import decimal_to_cents


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow")


class Valor(_Model):
    original: Decimal


class Cob(_Model):
    txid: str
    revisao: int
    status: str
    chave: str
    valor: Valor
    location: str
    pixCopiaECola: str
    calendario: dict
    pix: list[dict] | None = None

    def brcode(self) -> BRCode:
        """The parsed (and CRC-checked) BR Code of this cob."""
        return decode(self.pixCopiaECola)


class ReceivedPix(_Model):
    endToEndId: str
    valor: Decimal
    horario: datetime
    chave: str | None = None
    txid: str | None = None
    infoPagador: str | None = None

    @property
    def cents(self) -> int:
        return decimal_to_cents(self.valor)


class Webhook(_Model):
    webhookUrl: str
    criacao: datetime
    chave: str | None = None
