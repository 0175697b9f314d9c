"""Identity proofing router (KYC): ``/kyc/status``, one-time codes to a contact on record
(``/kyc/otp``, ``/kyc/otp/verify``) and the document + selfie check (``/kyc/documents``).

See :mod:`serving.kyc.proofing` for the rules. Every step is audited; codes are never logged.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, File, Request, UploadFile
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from lake.pseudonym import normalise_one
from serving.audit.store import make_event
from serving.db.orm import Document, IdentityCheck
from serving.deps import current_principal, get_clock, get_services, principal_user
from serving.documents.content import sniff
from serving.errors import Problem
from serving.kyc import proofing
from serving.kyc.clients import ProviderError
from serving.kyc.records import contacts_on_record, is_on_record
from serving.scoring import core
from serving.security.tokens import Principal
from serving.services import Services

router = APIRouter(tags=["identity"])
IMAGE_TYPES = ("image/png", "image/jpeg")
MAX_IMAGE_BYTES = 2 * 1024 * 1024
SENT_DETAIL = (
    "Se este contato estiver no cadastro do seu CPF, enviamos um código de 6 dígitos. "
    "Ele vale por alguns minutos."
)


class StatusOut(BaseModel):
    """Whether the caller's identity is proven, and how."""

    status: Literal["unverified", "verified"] = Field(
        description="whether the caller has proven they own the CPF of the login", examples=["verified"]
    )
    verified_at: datetime | None = Field(
        default=None,
        description="when it was proven: RFC 3339 date-time with its UTC offset (null: unverified)",
        examples=["2026-12-03T17:30:00Z"],
    )
    method: str | None = Field(
        default=None,
        description="how: `otp_email`, `otp_sms` (one-time code) or `face` (document + selfie)",
        examples=["otp_email"],
    )
    methods: list[Literal["otp", "documents"]] = Field(
        description="proofing methods available now", examples=[["otp", "documents"]]
    )


class OtpIn(BaseModel):
    """Where to send a one-time code."""

    channel: Literal["sms", "email"] = Field(description="where to send the code", examples=["email"])
    destination: str | None = Field(
        default=None,
        max_length=254,
        description="the phone (sms) or e-mail on record for your CPF; e-mail defaults to the login's",
        examples=["+5511987654321"],
    )


class OtpOut(BaseModel):
    """A one-time code was sent (or not: the answer is the same)."""

    challenge_id: str = Field(
        description="send it back with the code to `POST /kyc/otp/verify`",
        examples=["0a1b0a1b0a1b0a1b0a1b0a1b0a1b0a1b"],
    )
    channel: str = Field(description="`sms` or `email`", examples=["email"])
    destination: str = Field(description="masked", examples=["m***@example.com"])
    expires_in: int = Field(description="seconds the code stays valid", examples=[300])
    detail: str = Field(
        description="the message shown to the customer, in Portuguese (the same whether or not the contact "
        "is on record: no oracle)",
        examples=[
            "Se este contato estiver no cadastro do seu CPF, enviamos um código de 6 dígitos. "
            "Ele vale por alguns minutos."
        ],
    )


class OtpVerifyIn(BaseModel):
    """A one-time code to check."""

    challenge_id: str = Field(
        min_length=32,
        max_length=32,
        pattern=r"^[0-9a-f]{32}$",
        description="the `challenge_id` of `POST /kyc/otp`",
        examples=["0a1b0a1b0a1b0a1b0a1b0a1b0a1b0a1b"],
    )
    code: str = Field(
        min_length=6,
        max_length=6,
        pattern=r"^[0-9]{6}$",
        description="the 6-digit code received",
        examples=["482913"],
    )


class VerifiedOut(BaseModel):
    """The identity is proven."""

    status: Literal["verified"] = Field(description="always `verified` on success", examples=["verified"])
    method: str = Field(description="`otp_email`, `otp_sms` or `face`", examples=["otp_email"])
    verified_at: datetime = Field(
        description="when it was proven: RFC 3339 date-time with its UTC offset",
        examples=["2026-12-03T17:30:00Z"],
    )


class FaceCheckOut(VerifiedOut):
    """The identity is proven by the document and selfie face check."""

    similarity: float = Field(
        description="face similarity between the document photo and the selfie (0 to 1), from the "
        "identity service",
        examples=[0.93],
    )
    probability: str = Field(
        description="the identity service's verdict on the face match, as it words it (Portuguese)",
        examples=["Altíssima probabilidade"],
    )


def _audit(request: Request, services: Services, user_id: int, action: str, outcome: str) -> None:
    services.audit.append(
        make_event(
            actor=services.pseudonym(user_id),
            action=action,
            resource="/kyc",
            outcome=outcome,
            request_id=getattr(request.state, "request_id", None),
        )
    )


def _methods(services: Services) -> list[str]:
    out = []
    if services.identity.notify is not None:
        out.append("otp")
    if services.identity.datavalid is not None:
        out.append("documents")
    return out


@router.get("/kyc/status", response_model=StatusOut)
async def status(
    principal: Principal = Depends(current_principal), services: Services = Depends(get_services)
) -> StatusOut:
    def load() -> proofing.IdentityState:
        with services.sessions() as db:
            return proofing.identity_state(db, principal.user_id)

    st = await run_in_threadpool(load)
    return StatusOut(
        status=st.status, verified_at=st.verified_at, method=st.method, methods=_methods(services)
    )


def _destination(channel: str, given: str | None, login_email: str) -> str:
    if channel == "email":
        value = (given or login_email).strip().lower()
        if "@" not in value or len(value) < 6:
            raise Problem(422, "invalid_destination", "not an e-mail address")
        return value
    norm = normalise_one(given or "", "phone")
    if not isinstance(norm, str) or not (norm.startswith("+55") and len(norm) in (13, 14)):
        raise Problem(422, "invalid_destination", "a Brazilian mobile number: (DD) 9XXXX-XXXX")
    return norm


@router.post("/kyc/otp", status_code=202, response_model=OtpOut)
async def request_code(
    body: OtpIn,
    request: Request,
    principal: Principal = Depends(current_principal),
    services: Services = Depends(get_services),
    now: datetime = Depends(get_clock),
) -> OtpOut:
    notify = services.identity.notify
    if notify is None:
        raise Problem(503, "provider_unavailable", "no SMS/e-mail provider is configured")
    s = services.settings

    def open_() -> tuple[str, str, str, str | None]:
        with services.sessions() as db, db.begin():
            st = proofing.identity_state(db, principal.user_id)
            if st.verified:
                raise Problem(409, "already_verified", "this login's identity is already verified")
            login_email = principal_user(db, principal).email
            dest = _destination(body.channel, body.destination, login_email)
            records = contacts_on_record(s, core.customer_pk(s, st.cpf))
            on_record = is_on_record(records, body.channel, dest, services.secret)
            ch, code = proofing.open_challenge(
                db, s, services.otp_key, user_id=principal.user_id, channel=body.channel,
                destination=dest, on_record=on_record, now=now,
            )  # fmt: skip
            return ch.id, dest, ch.destination_masked, code

    cid, dest, masked, code = await run_in_threadpool(open_)
    outcome = "not_on_record"
    if code is not None:
        text = f"cofre: seu código de verificação é {code}. Não o compartilhe com ninguém."
        try:
            if body.channel == "sms":
                await notify.send_sms(dest, text)
            else:
                await notify.send_email(dest, "Seu código de verificação cofre", text)
            outcome = "sent"
        except ProviderError:
            _audit(request, services, principal.user_id, f"kyc:otp:{body.channel}", "provider_error")
            raise Problem(503, "provider_unavailable", "the code could not be sent; try again") from None
    _audit(request, services, principal.user_id, f"kyc:otp:{body.channel}", outcome)
    return OtpOut(
        challenge_id=cid,
        channel=body.channel,
        destination=masked,
        expires_in=s.kyc_otp_ttl_s,
        detail=SENT_DETAIL,
    )


@router.post("/kyc/otp/verify", response_model=VerifiedOut)
async def verify_code(
    body: OtpVerifyIn,
    request: Request,
    principal: Principal = Depends(current_principal),
    services: Services = Depends(get_services),
    now: datetime = Depends(get_clock),
) -> VerifiedOut:
    s = services.settings

    def check() -> str:
        with services.sessions() as db:
            with db.begin():
                ch, left = proofing.check_code(
                    db, s, services.otp_key, user_id=principal.user_id,
                    challenge_id=body.challenge_id, code=body.code, now=now,
                )  # fmt: skip
                if left is None:
                    method = f"otp_{ch.channel}"
                    proofing.mark_verified(db, principal.user_id, method, now)
                    return method
            raise Problem(400, "invalid_code", "wrong code", attempts_left=left)

    try:
        method = await run_in_threadpool(check)
    except Problem as p:
        _audit(request, services, principal.user_id, "kyc:otp:verify", p.code or "denied")
        raise
    _audit(request, services, principal.user_id, "kyc:otp:verify", "verified")
    return VerifiedOut(status="verified", method=method, verified_at=now)


async def _read_image(upload: UploadFile, field: str) -> tuple[bytes, str]:
    data = await upload.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        raise Problem(413, "payload_too_large", f"{field}: images are limited to {MAX_IMAGE_BYTES} bytes")
    kind = sniff(data)
    if kind not in IMAGE_TYPES:
        raise Problem(415, "unsupported_media_type", f"{field}: a PNG or JPEG photo is required")
    return data, kind


@router.post("/kyc/documents", response_model=FaceCheckOut)
async def document_and_selfie(
    request: Request,
    document: UploadFile = File(..., description="photo of the identity document (RG or CNH), PNG or JPEG"),
    selfie: UploadFile = File(..., description="a selfie taken now, PNG or JPEG"),
    principal: Principal = Depends(current_principal),
    services: Services = Depends(get_services),
    now: datetime = Depends(get_clock),
) -> FaceCheckOut:
    face = services.identity.datavalid
    if face is None:
        raise Problem(503, "provider_unavailable", "no facial validation provider is configured")
    s = services.settings
    doc_bytes, doc_type = await _read_image(document, "document")
    selfie_bytes, selfie_type = await _read_image(selfie, "selfie")

    def precheck() -> tuple[str, str]:
        with services.sessions() as db:
            st = proofing.identity_state(db, principal.user_id)
            if st.verified:
                raise Problem(409, "already_verified", "this login's identity is already verified")
            if proofing.face_checks_today(db, principal.user_id, now) >= s.kyc_face_daily_limit:
                raise Problem(429, "too_many_checks", "too many selfie checks today; try again tomorrow")
            return st.cpf, principal_user(db, principal).name

    cpf, name = await run_in_threadpool(precheck)
    try:
        result = await face.pf_facial(cpf, name, selfie_bytes)
    except ProviderError as exc:
        if exc.status == 400:
            raise Problem(
                422, "selfie_unreadable", "the selfie could not be read; take another photo"
            ) from None
        raise Problem(503, "provider_unavailable", "the facial validation service is unavailable") from None
    ok = result.similarity >= s.kyc_face_min_similarity

    def record() -> None:
        ids = []
        for kind, data, ctype in (
            ("id_document", doc_bytes, doc_type),
            ("selfie", selfie_bytes, selfie_type),
        ):
            doc_id = uuid.uuid4().hex
            key = f"{principal.user_id}/{doc_id}"
            services.documents.put(key, data, ctype)
            ids.append((doc_id, kind, key, data, ctype))
        with services.sessions() as db, db.begin():
            for doc_id, kind, key, data, ctype in ids:
                db.add(
                    Document(
                        id=doc_id, user_id=principal.user_id, kind=kind,
                        filename=f"{kind}.{ctype.split('/')[1]}", content_type=ctype, size_bytes=len(data),
                        sha256=hashlib.sha256(data).hexdigest(), storage_key=key,
                    )
                )  # fmt: skip
            db.add(
                IdentityCheck(
                    id=uuid.uuid4().hex, user_id=principal.user_id, document_id=ids[0][0],
                    selfie_id=ids[1][0], outcome="verified" if ok else "rejected",
                    similarity=f"{result.similarity:.4f}", probability=result.probability,
                    name_match=result.name_match, created_at=now,
                )
            )  # fmt: skip
        if ok:
            with services.sessions() as db, db.begin():
                proofing.mark_verified(db, principal.user_id, "face", now)

    try:
        await run_in_threadpool(record)
    except Problem as p:
        _audit(request, services, principal.user_id, "kyc:face", p.code or "denied")
        raise
    _audit(request, services, principal.user_id, "kyc:face", "verified" if ok else "rejected")
    if not ok:
        raise Problem(
            422,
            "selfie_not_matched",
            "the selfie does not match the photo on record for this CPF",
            probability=result.probability,
        )
    return FaceCheckOut(
        status="verified",
        method="face",
        verified_at=now,
        similarity=result.similarity,
        probability=result.probability,
    )
