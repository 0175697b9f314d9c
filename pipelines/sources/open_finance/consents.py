"""Consent state machine of the Open Finance sandbox (consents 3.3.1 statuses and rejections).

Lifecycle: ``AWAITING_AUTHORISATION`` -> ``AUTHORISED`` (customer approves) or ``REJECTED``;
``AUTHORISED`` -> ``REJECTED`` on revocation (rejectedBy USER, CUSTOMER_MANUALLY_REVOKED) or when
``expirationDateTime`` passes (ASPSP, CONSENT_MAX_DATE_REACHED). A consent for a CPF unknown to
the institution is rejected at creation (ASPSP, INTERNAL_SECURITY_REASON). Ids are
``urn:cofre:<uuid5(cpf, sequence)>``: the same requests in the same order give the same ids.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from lake.domain.open_finance import ENDPOINT_PERMISSION

_NS = uuid.UUID("6f1c7b1e-2d0a-4c4e-9a52-0c0ffee0b7a5")


class ConsentDenied(Exception):
    """Data access refused under this consent (rendered as 403 errors[{code,title,detail}])."""

    def __init__(self, code: str, title: str, detail: str) -> None:
        super().__init__(detail)
        self.code, self.title, self.detail = code, title, detail


@dataclass
class Consent:
    consent_id: str
    cpf: str
    customer_id: str | None
    permissions: list[str]
    created_at: datetime
    status: str
    status_updated_at: datetime
    expiration: datetime | None
    client_id: str
    rejection: dict | None = field(default=None)

    def reject(self, by: str, code: str, now: datetime, info: str | None = None) -> None:
        self.status = "REJECTED"
        self.status_updated_at = now
        self.rejection = {
            "rejectedBy": by,
            "reason": {"code": code, **({"additionalInformation": info} if info else {})},
        }


class ConsentStore:
    """In-memory consents of one sandbox instance."""

    def __init__(self, known_cpfs: dict[str, str], auto_authorise: bool) -> None:
        self.known_cpfs = known_cpfs  # cpf -> customer_id
        self.auto_authorise = auto_authorise
        self._consents: dict[str, Consent] = {}
        self._seq = 0

    def create(
        self, cpf: str, permissions: list[str], expiration: datetime | None, client_id: str, now: datetime
    ) -> Consent:
        self._seq += 1
        cid = f"urn:cofre:{uuid.uuid5(_NS, f'{cpf}:{self._seq}')}"
        consent = Consent(
            cid,
            cpf,
            self.known_cpfs.get(cpf),
            list(dict.fromkeys(permissions)),
            now,
            "AWAITING_AUTHORISATION",
            now,
            expiration,
            client_id,
        )
        if consent.customer_id is None:
            consent.reject(
                "ASPSP", "INTERNAL_SECURITY_REASON", now, "CPF is not a customer of this institution"
            )
        elif self.auto_authorise:
            consent.status = "AUTHORISED"
        self._consents[cid] = consent
        return consent

    def get(self, consent_id: str, now: datetime) -> Consent | None:
        consent = self._consents.get(consent_id)
        if consent and consent.status != "REJECTED" and consent.expiration and now >= consent.expiration:
            consent.reject("ASPSP", "CONSENT_MAX_DATE_REACHED", now, "expirationDateTime reached")
        return consent

    def authorise(self, consent: Consent, now: datetime) -> None:
        if consent.status != "AWAITING_AUTHORISATION":
            raise ValueError(f"consent is {consent.status}, only AWAITING_AUTHORISATION can be authorised")
        consent.status = "AUTHORISED"
        consent.status_updated_at = now

    def check(self, consent: Consent | None, endpoint: str) -> Consent:
        """The consent if it allows ``endpoint``; else :class:`ConsentDenied` with a specific code."""
        if consent is None:
            raise ConsentDenied(
                "CONSENT_NOT_FOUND",
                "Consentimento inexistente",
                "the access token is not bound to an existing consent",
            )
        if consent.status == "REJECTED":
            reason = (consent.rejection or {}).get("reason", {}).get("code", "")
            if reason == "CUSTOMER_MANUALLY_REVOKED":
                raise ConsentDenied(
                    "CONSENT_REVOKED",
                    "Consentimento revogado",
                    f"consent {consent.consent_id} was revoked by the customer",
                )
            if reason in ("CONSENT_MAX_DATE_REACHED", "CONSENT_EXPIRED"):
                raise ConsentDenied(
                    "CONSENT_EXPIRED", "Consentimento expirado", f"consent {consent.consent_id} expired"
                )
            raise ConsentDenied(
                "CONSENT_REJECTED",
                "Consentimento rejeitado",
                f"consent {consent.consent_id} was rejected ({reason})",
            )
        if consent.status != "AUTHORISED":
            raise ConsentDenied(
                "CONSENT_AWAITING_AUTHORISATION",
                "Consentimento pendente",
                f"consent {consent.consent_id} is {consent.status}",
            )
        needed = ENDPOINT_PERMISSION[endpoint]
        if needed not in consent.permissions:
            raise ConsentDenied(
                "PERMISSION_MISSING",
                "Permissão ausente",
                f"consent {consent.consent_id} lacks permission {needed}",
            )
        return consent
