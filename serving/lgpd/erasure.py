"""Erasure / anonymisation of one person across every store (LGPD art. 18, IV and VI).

* SQL: what the law makes us keep (ledger entries, transfers, accounts: amounts and dates for the
  BACEN record-keeping duties) stays, without personal links: the user row becomes an irreversible
  tombstone (random CPF-shaped token, ``erased-<random>@erased.invalid``, name ``[erased]``, no
  phone, unusable password), transfers/accounts lose ``user_id``/device, recipient PIX keys of the
  person are removed from transfers (also inside the stored response body); PIX keys, devices,
  step-up challenges, refresh tokens, sessions, security events, document rows and notifications are deleted.
* Audit store (SQLite/MongoDB): the person's events (actor = their pseudonym) are redacted (actor,
  resource, details and their salts removed, commitments kept) with a signed redaction record
  appended to the chain, so the chain stays verifiable and the redaction is proven.
* Object storage: the person's documents are deleted.
* Support-assistant conversations, messages and tickets (log store): deleted.
* Lake: :func:`lake.erasure.erase_subject` (delete/redact + vacuum, history included).
* Feast online store: :func:`features.erasure.erase_entities`.

The result (counts per store, no personal data) is recorded as an ``lgpd:erasure`` audit event.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from lake.erasure import erase_subject
from serving.audit.store import make_event
from serving.chat.store import conversation_store
from serving.db import orm as m
from serving.db.session import rowcount, transaction
from serving.lgpd.subject import UserSubject, load_subject
from serving.services import Services


class SubjectNotFound(LookupError):
    pass


def _scrub(text: str, needles: set[str]) -> str:
    for n in sorted(needles, key=len, reverse=True):
        text = text.replace(n, "[erased]")
    return text


def erase_sql(db: Session, subj: UserSubject) -> dict[str, int]:
    uid = subj.user_id
    keys = [k for _, k in subj.pix_keys]
    needles = subj.gateway_strings()
    counts: dict[str, int] = {}
    with transaction(db):
        device_ids = [d for (d,) in db.execute(select(m.Device.id).where(m.Device.user_id == uid))]
        counts["stepup_challenges"] = rowcount(
            db.execute(
                delete(m.StepUpChallenge).where(
                    or_(m.StepUpChallenge.user_id == uid, m.StepUpChallenge.device_id.in_(device_ids or [-1]))
                )
            )
        )
        counts["devices"] = rowcount(db.execute(delete(m.Device).where(m.Device.user_id == uid)))
        counts["refresh_tokens"] = rowcount(
            db.execute(delete(m.RefreshToken).where(m.RefreshToken.user_id == uid))
        )
        counts["sessions"] = rowcount(db.execute(delete(m.Session).where(m.Session.user_id == uid)))
        counts["security_events"] = rowcount(
            db.execute(delete(m.SecurityEvent).where(m.SecurityEvent.user_id == uid))
        )
        counts["pix_keys"] = rowcount(db.execute(delete(m.PixKey).where(m.PixKey.user_id == uid)))
        counts["documents"] = rowcount(db.execute(delete(m.Document).where(m.Document.user_id == uid)))
        counts["notifications"] = rowcount(
            db.execute(delete(m.Notification).where(m.Notification.user_id == uid))
        )
        touched = (
            db.execute(
                select(m.Transfer).where(
                    or_(m.Transfer.user_id == uid, m.Transfer.recipient_key.in_(keys or ["\x00"]))
                )
            )
            .scalars()
            .all()
        )
        for t in touched:
            if t.user_id == uid:
                t.user_id = None
                t.device_id = None
            if t.recipient_key in keys:
                t.recipient_key = None
                t.recipient_key_type = None
            t.response_body = _scrub(t.response_body, needles)
        counts["transfers_anonymised"] = len(touched)
        counts["accounts_unlinked"] = rowcount(
            db.execute(update(m.Account).where(m.Account.user_id == uid).values(user_id=None))
        )
        token = secrets.token_hex(5)
        db.execute(
            update(m.User)
            .where(m.User.id == uid)
            .values(
                cpf="X" + token,
                email=f"erased-{secrets.token_hex(8)}@erased.invalid",
                name="[erased]",
                phone=None,
                password_hash="!erased",  # nosec B106 # an unusable hash marker: no password matches
            )
        )
        counts["users_tombstoned"] = 1
    return counts


def erase_audit(services: Services, subj: UserSubject) -> int:
    seqs = [e["seq"] for e in services.audit.query({"actor": subj.actor_pk}, None, None, 1_000_000, 0)]
    return services.audit.redact_many(seqs, ("actor", "resource", "details"), reason="lgpd-erasure")


def erase_documents(services: Services, subj: UserSubject) -> int:
    """The person's documents and the LGPD export archives built for them."""
    from serving.lgpd import registry as consents
    from serving.lgpd.jobs import archive_key

    with services.engine.connect() as conn:
        exports = [r["id"] for r in consents.list_requests(conn, subj.user_id) if r["kind"] == "access"]
    for key in subj.document_keys:
        services.documents.delete(key)
    for rid in exports:
        services.documents.delete(archive_key(subj.user_id, rid))
    return len(subj.document_keys)


def _dotless(counts: dict[str, Any]) -> dict[str, Any]:
    """Counts for the audit event: MongoDB/FerretDB keys may not contain dots (lake table names)."""
    out: dict[str, Any] = json.loads(json.dumps(counts))
    out["lake"] = [{"table": name, **c} for name, c in sorted(out["lake"].items())]
    return out


def erase_user(
    services: Services, user_id: int, *, request_id: int | None = None, operator_id: int | None = None
) -> dict[str, Any]:
    """Erase the person everywhere; returns counts per store (also written as an audit event)."""
    from features.erasure import erase_entities

    with services.sessions() as db:
        subj = load_subject(services, db, user_id)
        if subj is None:
            raise SubjectNotFound(f"no user {user_id}")
        pseudonyms = subj.pseudonyms(services)
    counts: dict[str, Any] = {}
    counts["documents"] = {"objects_deleted": erase_documents(services, subj)}
    counts["audit_store"] = {"events_redacted": erase_audit(services, subj)}
    counts["chat"] = conversation_store(services).erase_user(subj.user_id)
    counts["lake"] = erase_subject(subj.lake_subject(), services.settings)
    counts["feast_online"] = erase_entities(pseudonyms, services.settings)
    with services.sessions() as db:
        counts["sql"] = erase_sql(db, subj)
    services.audit.append(
        make_event(
            actor=services.pseudonym(operator_id),
            action="lgpd:erasure",
            resource=f"lgpd_request:{request_id}" if request_id is not None else "lgpd_request",
            outcome="done",
            details={"counts": _dotless(counts)},
        )
    )
    return counts
