"""BR Code router: generate a static BR Code ("Pix Copia e Cola") for one of the caller's keys and
parse one (400 with the reason on a wrong CRC or TLV).

The codec is ``lake.domain.brcode`` (EMV TLV + CRC16/CCITT-FALSE), shared with the PIX sandbox.
"""

from __future__ import annotations

from decimal import Decimal

from fastapi import APIRouter, Depends, FastAPI
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from lake.domain.brcode import BRCode, BRCodeError, decode, encode
from lake.settings import Settings
from serving.api.types import Cents, Id
from serving.db.orm import PixKey
from serving.deps import current_principal, get_db, principal_user
from serving.errors import Problem
from serving.openapi import problems
from serving.security.tokens import Principal


class BRCodeIn(BaseModel):
    """What to put in a static BR Code (Pix Copia e Cola) for one of the caller's keys."""

    key_id: Id = Field(description="id of one of the caller's PIX keys", examples=[3])
    amount_cents: Cents | None = Field(
        default=None, description="integer cents; omit for an open amount", examples=[12550]
    )
    merchant_city: str = Field(
        default="SAO PAULO",
        min_length=1,
        max_length=15,
        description="the receiver's city (EMV field 60, up to 15 characters)",
        examples=["SAO PAULO"],
    )
    txid: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9]{1,25}$",
        description="the transaction id the receiver reconciles the payment with (EMV field 62-05, up to 25 "
        "alphanumerics; a static code without it carries `***`)",
        examples=["PEDIDO12345"],
    )


class BRCodeOut(BaseModel):
    """A generated BR Code."""

    brcode: str = Field(
        description='the "Pix Copia e Cola" text (EMV MPM TLV ending in a CRC16 field 63); render it as a QR code',
        examples=[
            "00020126360014br.gov.bcb.pix0114+55119876543215204000053039865406125.505802BR"
            "5914MARIA DA SILVA6009SAO PAULO62150511PEDIDO123456304E32B"
        ],
    )


class BRCodeParseIn(BaseModel):
    """A BR Code to decode."""

    brcode: str = Field(
        min_length=1,
        max_length=1024,
        description='a "Pix Copia e Cola" text, as read from a QR code',
        examples=[
            "00020126360014br.gov.bcb.pix0114+55119876543215204000053039865406125.505802BR"
            "5914MARIA DA SILVA6009SAO PAULO62150511PEDIDO123456304E32B"
        ],
    )


class BRCodeParsed(BaseModel):
    """The fields of a decoded BR Code."""

    key: str | None = Field(description="the receiver's PIX key (field 26-01)", examples=["+5511987654321"])
    amount_cents: int | None = Field(
        description="the amount in integer cents (field 54); null when the payer chooses it", examples=[12550]
    )
    merchant_name: str | None = Field(
        description="the receiver's name (field 59)", examples=["MARIA DA SILVA"]
    )
    merchant_city: str | None = Field(description="the receiver's city (field 60)", examples=["SAO PAULO"])
    txid: str | None = Field(
        description="the receiver's reconciliation id (field 62-05; `***` when none)",
        examples=["PEDIDO12345"],
    )


def _build_router() -> APIRouter:
    r = APIRouter(tags=["pix"])

    @r.post(
        "/pix/brcode",
        response_model=BRCodeOut,
        responses=problems({404: "`pix_key_not_found`", 422: "`invalid_brcode_request` or validation error"}),
    )
    def generate(
        body: BRCodeIn, principal: Principal = Depends(current_principal), db: Session = Depends(get_db)
    ) -> BRCodeOut:
        key = db.get(PixKey, body.key_id)
        if key is None or key.user_id != principal.user_id:
            raise Problem(404, "pix_key_not_found", "no such key")
        user = principal_user(db, principal)
        amount = Decimal(body.amount_cents) / 100 if body.amount_cents is not None else None
        try:
            code = encode(
                BRCode(
                    key=key.key,
                    amount=amount,
                    merchant_name=user.name.upper(),
                    merchant_city=body.merchant_city.upper(),
                    txid=body.txid or "***",
                )
            )
        except BRCodeError as exc:
            raise Problem(422, "invalid_brcode_request", str(getattr(exc, "reason", exc))) from None
        return BRCodeOut(brcode=code)

    @r.post(
        "/pix/brcode/parse",
        response_model=BRCodeParsed,
        responses=problems({400: "`invalid_brcode`: wrong CRC or TLV, with the reason"}),
    )
    def parse(body: BRCodeParseIn, principal: Principal = Depends(current_principal)) -> BRCodeParsed:
        try:
            parsed = decode(body.brcode)
        except BRCodeError as exc:
            raise Problem(400, "invalid_brcode", str(getattr(exc, "reason", exc))) from None
        amount = parsed.amount
        return BRCodeParsed(
            key=parsed.key,
            amount_cents=int((Decimal(amount) * 100).to_integral_exact()) if amount is not None else None,
            merchant_name=parsed.merchant_name,
            merchant_city=parsed.merchant_city,
            txid=parsed.txid,
        )

    return r


router = _build_router()


def create_app(settings: Settings | None = None) -> FastAPI:
    from serving.app import create_app as gateway

    return gateway(settings, routers=[router])
