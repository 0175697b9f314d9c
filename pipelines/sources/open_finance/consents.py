"""Consent state machine of the Open Finance sandbox (consents 3.3.1 statuses and rejections).

Lifecycle: ``AWAITING_AUTHORISATION`` -> ``AUTHORISED`` (customer approves) or ``REJECTED``;
``AUTHORISED`` -> ``REJECTED`` on revocation (rejectedBy USER, CUSTOMER_MANUALLY_REVOKED) or when
``expirationDateTime`` passes (ASPSP, CONSENT_MAX_DATE_REACHED). A consent for a CPF unknown to
the institution is rejected at creation (ASPSP, INTERNAL_SECURITY_REASON). An ``AUTHORISED``
consent may be renewed (:meth:`ConsentStore.extend`), which moves ``expirationDateTime`` and keeps
the history of renewals. Ids are
``urn:cofre:<uuid5(cpf, sequence)>``: the same requests in the same order give the same ids.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

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
    extensions: list[dict] = field(default_factory=list)  # renewals, oldest first (see ConsentStore.extend)

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

    def extend(
        self,
        consent: Consent,
        expiration: datetime | None,
        logged_user: dict,
        customer_ip: str,
        user_agent: str,
        now: datetime,
        business_entity: dict | None = None,
    ) -> str | None:
        """Renew ``consent`` (``POST /consents/{consentId}/extends``); returns the 422 error code that
        refuses it, or None once renewed. Rules (consents 3.3.1 and its "Orientações" page):

        * only an ``AUTHORISED`` consent renews (else ``ESTADO_CONSENTIMENTO_INVALIDO``);
        * a natural person's consent renews only by the ``loggedUser`` who created it, and names no
          ``businessEntity`` (else ``ERRO_NAO_MAPEADO``: the spec has no specific code);
        * the new ``expirationDateTime`` lies after the current one, in the future and at most 12
          months (366 days) ahead; none (indefinite) is always a renewal, while a date for a consent
          that is indefinite now would shorten it (both ``DATA_EXPIRACAO_INVALIDA``).
        """
        if consent.status != "AUTHORISED":
            return "ESTADO_CONSENTIMENTO_INVALIDO"
        doc = logged_user.get("document", {})
        if doc.get("identification") != consent.cpf or doc.get("rel") != "CPF" or business_entity:
            return "ERRO_NAO_MAPEADO"
        if expiration is not None:
            later = consent.expiration is not None and expiration > consent.expiration
            if not later or expiration <= now or expiration > now + timedelta(days=366):
                return "DATA_EXPIRACAO_INVALIDA"
        record = {
            "loggedUser": logged_user,
            "requestDateTime": now,
            "xFapiCustomerIpAddress": customer_ip,
            "xCustomerUserAgent": user_agent,
            "expirationDateTime": expiration,
            "previousExpirationDateTime": consent.expiration,
        }
        consent.extensions.append(record)
        consent.expiration = expiration
        return None

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
