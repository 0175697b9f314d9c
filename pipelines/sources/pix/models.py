"""Typed results of the Pix client (pydantic; the spec's field names; amounts as Decimal, never float)."""

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


class Loc(_Model):
    """A payload location (``PayloadLocationCompleta``)."""

    id: int
    location: str
    tipoCob: str
    criacao: datetime
    txid: str | None = None


class _Charge(_Model):
    txid: str
    revisao: int
    status: str
    chave: str
    calendario: dict
    location: str | None = None
    pixCopiaECola: str | None = None
    loc: Loc | None = None
    devedor: dict | None = None
    pix: list[dict] | None = None

    def brcode(self) -> BRCode:
        """The parsed (and CRC-checked) BR Code of this charge."""
        if self.pixCopiaECola is None:
            raise ValueError(f"charge {self.txid} has no location (unlinked), hence no BR Code")
        return decode(self.pixCopiaECola)


class Cob(_Charge):
    """An immediate charge (``CobCompleta``)."""

    valor: Valor


class CobVValor(_Model):
    original: Decimal
    multa: dict | None = None
    juros: dict | None = None
    abatimento: dict | None = None
    desconto: dict | None = None


class CobV(_Charge):
    """A charge with a due date (``CobVCompleta``)."""

    valor: CobVValor
    recebedor: dict


class Devolucao(_Model):
    """A refund of a received Pix (``Devolucao``)."""

    id: str
    rtrId: str
    valor: Decimal
    status: str
    horario: dict
    natureza: str | None = None
    descricao: str | None = None
    motivo: str | None = None

    @property
    def cents(self) -> int:
        return decimal_to_cents(self.valor)


class ReceivedPix(_Model):
    endToEndId: str
    valor: Decimal
    horario: datetime
    chave: str | None = None
    txid: str | None = None
    infoPagador: str | None = None
    componentesValor: dict | None = None
    devolucoes: list[Devolucao] = []

    @property
    def cents(self) -> int:
        return decimal_to_cents(self.valor)


class Webhook(_Model):
    webhookUrl: str
    criacao: datetime
    chave: str | None = None
    cnpj: str | None = None
