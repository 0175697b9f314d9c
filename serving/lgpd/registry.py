"""LGPD consent registry and data-subject requests: the SQL tables (SQLAlchemy Core) and their queries.

The gateway's tables (``serving.lgpd``, ``serving.api.lgpd``; its Alembic migration 0002 creates
them). The two the pipelines read as well (they may not import serving), ``consent_events`` and
``consent_propagations``, are defined in :mod:`lake.consent_events` and shared from there.

* ``consent_terms``: versioned terms per purpose (text and its SHA-256); a grant refers to the
  latest version at the time.
* ``consent_events``: append-only grant/revoke history; the current state of (user, purpose) is its
  latest event. A grant may carry ``external_ref`` (e.g. the Open Finance consentId it authorised).
* ``consent_propagations``: revocations propagated to an external system (one row per revoke event).
* ``data_subject_requests``: LGPD art. 18 requests with status and the art. 19 deadline.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    Connection,
    CursorResult,
    DateTime,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    func,
    insert,
    select,
    update,
)

from lake.consent_events import PURPOSES as PURPOSES
from lake.consent_events import BigId, consent_events, metadata
from lake.consent_events import aware as _aware
from lake.consent_events import engine_for as engine_for
from lake.consent_events import now_utc as now_utc
from lake.settings import get_settings

REQUEST_KINDS = ("access", "rectification", "erasure", "explanation")
REQUEST_STATUSES = ("received", "in_progress", "done", "rejected")


consent_terms = Table(
    "consent_terms",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("purpose", String(40), nullable=False),
    Column("version", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("text_sha256", String(64), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("purpose", "version", name="uq_consent_terms_purpose_version"),
)

data_subject_requests = Table(
    "data_subject_requests",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("user_id", BigId, nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("status", String(12), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("deadline_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("completed_at", DateTime(timezone=True), nullable=True),
    Column("result", Text, nullable=True),
    CheckConstraint("kind in ('access','rectification','erasure','explanation')", name="ck_dsr_kind"),
    CheckConstraint("status in ('received','in_progress','done','rejected')", name="ck_dsr_status"),
)

DEFAULT_TERMS = {
    "credit_analysis": "Autorizo o uso dos meus dados para análise de crédito (LGPD art. 7, X).",
    "fraud_prevention": "Autorizo o uso dos meus dados para prevenção a fraudes (LGPD art. 11, II, g).",
    "marketing": "Autorizo o envio de ofertas personalizadas com base nos meus dados.",
    "open_finance_sharing": "Autorizo o compartilhamento dos meus dados via Open Finance Brasil.",
}


class UnknownPurpose(ValueError):
    pass


def _check_purpose(purpose: str) -> None:
    if purpose not in PURPOSES:
        raise UnknownPurpose(f"unknown purpose {purpose!r}; one of {', '.join(PURPOSES)}")


# --- terms -----------------------------------------------------------------------------------------


def _inserted_id(res: CursorResult[Any]) -> int:
    """The primary key the database gave the row an INSERT just wrote."""
    pk = res.inserted_primary_key
    if pk is None:
        raise RuntimeError("the INSERT returned no primary key")
    return int(pk[0])


def publish_terms(conn: Connection, purpose: str, body: str, at: datetime | None = None) -> int:
    """A new version of the terms of ``purpose``; returns its version number."""
    _check_purpose(purpose)
    last = conn.execute(
        select(func.max(consent_terms.c.version)).where(consent_terms.c.purpose == purpose)
    ).scalar()
    version = (last or 0) + 1
    conn.execute(
        insert(consent_terms).values(
            purpose=purpose,
            version=version,
            text=body,
            text_sha256=hashlib.sha256(body.encode()).hexdigest(),
            published_at=at or now_utc(),
        )
    )
    return version


def latest_terms(conn: Connection, purpose: str) -> dict[str, Any]:
    _check_purpose(purpose)
    row = (
        conn.execute(
            select(consent_terms)
            .where(consent_terms.c.purpose == purpose)
            .order_by(consent_terms.c.version.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    if row is None:
        raise LookupError(f"no terms published for {purpose}")
    return dict(row)


# --- grants and revocations ------------------------------------------------------------------------


def record(
    conn: Connection,
    user_id: int,
    purpose: str,
    action: str,
    *,
    at: datetime | None = None,
    external_ref: str | None = None,
) -> dict[str, Any]:
    """Append a grant or revoke event (under the latest terms) and return it."""
    _check_purpose(purpose)
    if action not in ("grant", "revoke"):
        raise ValueError("action is grant or revoke")
    terms = latest_terms(conn, purpose)
    if action == "revoke" and external_ref is None:
        cur = current_state(conn, user_id).get(purpose)
        external_ref = cur["external_ref"] if cur else None
    values = {
        "user_id": user_id,
        "purpose": purpose,
        "action": action,
        "terms_version": terms["version"],
        "at": at or now_utc(),
        "external_ref": external_ref,
    }
    res = conn.execute(insert(consent_events).values(**values))
    return {"id": _inserted_id(res), **values}


def history(conn: Connection, user_id: int) -> list[dict[str, Any]]:
    rows = (
        conn.execute(
            select(consent_events).where(consent_events.c.user_id == user_id).order_by(consent_events.c.id)
        )
        .mappings()
        .all()
    )
    return [dict(r) | {"at": _aware(r["at"])} for r in rows]


def current_state(conn: Connection, user_id: int) -> dict[str, dict[str, Any]]:
    """Per purpose: the latest event (granted true/false, terms version, at, external_ref)."""
    out: dict[str, dict[str, Any]] = {}
    for e in history(conn, user_id):
        out[e["purpose"]] = {
            "granted": e["action"] == "grant",
            "terms_version": e["terms_version"],
            "at": e["at"],
            "external_ref": e["external_ref"],
            "event_id": e["id"],
        }
    return out


def has_consent(conn: Connection, user_id: int, purpose: str) -> bool:
    _check_purpose(purpose)
    state = current_state(conn, user_id).get(purpose)
    return bool(state and state["granted"])


# --- data-subject requests -------------------------------------------------------------------------


def open_request(
    conn: Connection, user_id: int, kind: str, *, at: datetime | None = None, deadline_days: int | None = None
) -> dict[str, Any]:
    if kind not in REQUEST_KINDS:
        raise ValueError(f"unknown request kind {kind!r}")
    at = at or now_utc()
    days = deadline_days if deadline_days is not None else get_settings().lgpd_deadline_days
    values = {
        "user_id": user_id,
        "kind": kind,
        "status": "received",
        "received_at": at,
        "deadline_at": at + timedelta(days=days),
        "updated_at": at,
    }
    res = conn.execute(insert(data_subject_requests).values(**values))
    return {"id": _inserted_id(res), **values, "completed_at": None, "result": None}


def set_status(conn: Connection, request_id: int, status: str, result: str | None = None) -> None:
    if status not in REQUEST_STATUSES:
        raise ValueError(f"unknown status {status!r}")
    now = now_utc()
    values: dict[str, Any] = {"status": status, "updated_at": now}
    if status in ("done", "rejected"):
        values["completed_at"] = now
    if result is not None:
        values["result"] = result
    conn.execute(
        update(data_subject_requests).where(data_subject_requests.c.id == request_id).values(**values)
    )


def get_request(conn: Connection, request_id: int, user_id: int | None = None) -> dict[str, Any] | None:
    cond = data_subject_requests.c.id == request_id
    if user_id is not None:
        cond = and_(cond, data_subject_requests.c.user_id == user_id)
    row = conn.execute(select(data_subject_requests).where(cond)).mappings().first()
    if row is None:
        return None
    return {k: (_aware(v) if isinstance(v, datetime) else v) for k, v in dict(row).items()}


def list_requests(conn: Connection, user_id: int) -> list[dict[str, Any]]:
    rows = (
        conn.execute(
            select(data_subject_requests)
            .where(data_subject_requests.c.user_id == user_id)
            .order_by(data_subject_requests.c.id)
        )
        .mappings()
        .all()
    )
    return [{k: (_aware(v) if isinstance(v, datetime) else v) for k, v in dict(r).items()} for r in rows]
