"""Access request (LGPD art. 18, II): a ZIP with everything held about one person, from every store.

``subject.json`` (identifiers and pseudonyms), ``sql.json`` (the person's rows of every gateway
table), ``audit_events.json`` (events where the person is the actor), ``documents/`` (the files and
their metadata), ``lake.json`` (rows of every lake table found by pseudonym; bronze/quarantine rows
by clear identifiers), ``features_online.json`` (Feast online rows), ``decisions.json`` (automated
decisions with their recorded reasons), ``consents.json`` and ``chat.json`` (support-assistant
conversations and tickets, masked as stored).
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lake.erasure import subject_rows
from serving.chat.store import conversation_store
from serving.db import orm as m
from serving.lgpd import registry as consents
from serving.lgpd.subject import UserSubject
from serving.services import Services


def _jsonable(v: Any) -> Any:
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, bytes):
        return v.hex()
    return v


def _row(obj: Any) -> dict[str, Any]:
    return {c.key: _jsonable(getattr(obj, c.key)) for c in obj.__table__.columns if c.key != "password_hash"}


def sql_rows(db: Session, subj: UserSubject) -> dict[str, list[dict[str, Any]]]:
    uid = subj.user_id
    account_ids = [a.id for a in db.execute(select(m.Account).where(m.Account.user_id == uid)).scalars()]
    transfers = (
        db.execute(
            select(m.Transfer).where(
                or_(m.Transfer.user_id == uid, m.Transfer.to_account_id.in_(account_ids or [-1]))
            )
        )
        .scalars()
        .all()
    )
    out = {
        "users": [_row(db.get(m.User, uid))],
        "accounts": [
            _row(a) for a in db.execute(select(m.Account).where(m.Account.user_id == uid)).scalars()
        ],
        "pix_keys": [_row(k) for k in db.execute(select(m.PixKey).where(m.PixKey.user_id == uid)).scalars()],
        "devices": [_row(d) for d in db.execute(select(m.Device).where(m.Device.user_id == uid)).scalars()],
        "sessions": [
            _row(s) for s in db.execute(select(m.Session).where(m.Session.user_id == uid)).scalars()
        ],
        "documents": [
            _row(d) for d in db.execute(select(m.Document).where(m.Document.user_id == uid)).scalars()
        ],
        "transfers": [_row(t) for t in transfers],
        "notifications": [
            _row(n) for n in db.execute(select(m.Notification).where(m.Notification.user_id == uid)).scalars()
        ],
        "ledger_entries": [
            _row(e)
            for e in db.execute(
                select(m.LedgerEntry).where(m.LedgerEntry.account_id.in_(account_ids or [-1]))
            ).scalars()
        ],
    }
    conn = db.connection()
    out["consent_events"] = [{k: _jsonable(v) for k, v in e.items()} for e in consents.history(conn, uid)]
    out["data_subject_requests"] = [
        {k: _jsonable(v) for k, v in r.items()} for r in consents.list_requests(conn, uid)
    ]
    return out


def audit_events(services: Services, subj: UserSubject, limit: int = 100_000) -> list[dict[str, Any]]:
    return services.audit.query({"actor": subj.actor_pk}, None, None, limit, 0)


def decisions(services: Services, subj: UserSubject, service: str | None = None) -> list[dict[str, Any]]:
    """Automated decisions about the person, with the reasons recorded in each decision event."""
    out = []
    for e in audit_events(services, subj):
        action = e.get("action") or ""
        if not action.startswith("decision:"):
            continue
        svc = action.split(":", 1)[1]
        if service and svc != service:
            continue
        details = e.get("details") or {}
        out.append(
            {
                "service": svc,
                "at": e["ts"],
                "outcome": e["outcome"],
                "model_version": e["model_version"],
                "resource": e["resource"],
                "reasons": details.get("reasons", []),
                "details": {k: v for k, v in details.items() if k != "reasons"},
                "audit_seq": e["seq"],
                "event_hash": e["hash"],
            }
        )
    return out


def lake_rows(services: Services, subj: UserSubject) -> dict[str, list[dict[str, Any]]]:
    """The person's rows of every personal-data table (:func:`lake.erasure.subject_rows`: the same
    proven identifiers erasure uses, never a name or an unproven contact)."""
    found = subject_rows(subj.lake_subject(), services.settings)
    return {
        name: [{k: _jsonable(v) for k, v in r.items()} for r in df.to_dicts()] for name, df in found.items()
    }


def build_zip(services: Services, db: Session, subj: UserSubject) -> bytes:
    from features.erasure import export_entities

    buf = io.BytesIO()
    docs = db.execute(select(m.Document).where(m.Document.user_id == subj.user_id)).scalars().all()
    parts = {
        "subject.json": {
            "user_id": subj.user_id,
            "cpf": subj.cpf,
            "name": subj.name,
            "email": subj.email,
            "phone": subj.phone,
            "pix_keys": subj.pix_keys,
            "customer_pk": subj.customer_pk,
            "identity_verified": subj.verified,
            "audit_actor_pseudonym": subj.actor_pk,
            "open_finance_consents": subj.consent_refs,
        },
        "sql.json": sql_rows(db, subj),
        "audit_events.json": audit_events(services, subj),
        "decisions.json": decisions(services, subj),
        "lake.json": lake_rows(services, subj),
        "features_online.json": export_entities(subj.pseudonyms(services), services.settings),
        "consents.json": {
            p: {k: _jsonable(v) for k, v in st.items()}
            for p, st in consents.current_state(db.connection(), subj.user_id).items()
        },
        "chat.json": conversation_store(services).export_user(subj.user_id),
    }
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, obj in parts.items():
            z.writestr(name, json.dumps(obj, ensure_ascii=False, indent=2, default=_jsonable))
        for d in docs:
            z.writestr(f"documents/{d.id}-{d.filename}", services.documents.get(d.storage_key))
    return buf.getvalue()
