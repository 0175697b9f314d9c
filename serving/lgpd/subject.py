"""Everything the gateway knows that identifies one user: read from SQL, used by export and erasure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lake.erasure import Subject
from lake.pseudonym import pseudonymise_one
from serving.db.orm import Document, PixKey, User
from serving.lgpd import registry as consents
from serving.services import Services


@dataclass
class UserSubject:
    user_id: int
    cpf: str
    name: str
    email: str
    phone: str | None
    pix_keys: list[tuple[str, str]]
    document_keys: list[str]
    consent_refs: list[str]
    actor_pk: str
    customer_pk: str
    verified: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def lake_subject(self) -> Subject:
        """What identifies the person in the lake. A login that has not proven its CPF is matched only
        by its own audit pseudonym: the CPF, names, contacts and keys it typed may be someone else's."""
        if not self.verified:
            return Subject(cpf=None, extra_pseudonyms=[self.actor_pk])
        return Subject(
            cpf=self.cpf,
            names=[self.name],
            emails=[self.email],
            phones=[self.phone] if self.phone else [],
            pix_keys=list(self.pix_keys),
            extra_pseudonyms=[self.actor_pk],
            consent_ids=list(self.consent_refs),
        )

    def gateway_strings(self) -> set[str]:
        """The strings the login itself typed into the gateway (scrubbed from its own SQL rows)."""
        return Subject(
            cpf=self.cpf,
            names=[self.name],
            emails=[self.email],
            phones=[self.phone] if self.phone else [],
            pix_keys=list(self.pix_keys),
        ).typed_strings()

    def pseudonyms(self, services: Services) -> set[str]:
        return self.lake_subject().pseudonyms(services.secret)

    def clear_strings(self) -> set[str]:
        return self.lake_subject().clear_strings()


def load_subject(services: Services, db: Session, user_id: int) -> UserSubject | None:
    user = db.get(User, user_id)
    if user is None:
        return None
    verified = user.identity_verified_at is not None
    keys = [
        (k.key_type, k.key) for k in db.execute(select(PixKey).where(PixKey.user_id == user_id)).scalars()
    ]
    docs = [d.storage_key for d in db.execute(select(Document).where(Document.user_id == user_id)).scalars()]
    refs = sorted(
        {e["external_ref"] for e in consents.history(db.connection(), user_id) if e["external_ref"]}
    )
    return UserSubject(
        user_id=user_id,
        cpf=user.cpf,
        name=user.name,
        email=user.email,
        phone=user.phone,
        pix_keys=keys,
        document_keys=docs,
        consent_refs=refs,
        actor_pk=services.pseudonym(user_id) or "",
        customer_pk=(pseudonymise_one(user.cpf, "cpf", key=services.secret) or "") if verified else "",
        verified=verified,
    )
