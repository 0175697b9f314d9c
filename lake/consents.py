"""LGPD consent registry and data-subject requests: the SQL tables (SQLAlchemy Core) and their queries.

Shared by the gateway (``serving.lgpd``, ``serving.api.lgpd``) and the pipelines (which may not import
serving): both reach the same tables at ``settings.database_url``; the gateway's Alembic migration
0002 creates them.

* ``consent_terms``: versioned terms per purpose (text and its SHA-256); a grant refers to the
  latest version at the time.
* ``consent_events``: append-only grant/revoke history; the current state of (user, purpose) is its
  latest event. A grant may carry ``external_ref`` (e.g. the Open Finance consentId it authorised).
* ``consent_propagations``: revocations propagated to an external system (one row per revoke event).
* ``data_subject_requests``: LGPD art. 18 requests with status and the art. 19 deadline.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    create_engine,
    func,
    insert,
    select,
    text,
    update,
)

from lake.settings import Settings, get_settings

PURPOSES = ("credit_analysis", "fraud_prevention", "marketing", "open_finance_sharing")
REQUEST_KINDS = ("access", "rectification", "erasure", "explanation")
REQUEST_STATUSES = ("received", "in_progress", "done", "rejected")

BigId = BigInteger().with_variant(Integer(), "sqlite")
metadata = MetaData()

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

consent_events = Table(
    "consent_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("user_id", BigId, nullable=False, index=True),
    Column("purpose", String(40), nullable=False),
    Column("action", String(8), nullable=False),
    Column("terms_version", Integer, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("external_ref", String(200), nullable=True),
    CheckConstraint("action in ('grant','revoke')", name="ck_consent_events_action"),
)

consent_propagations = Table(
    "consent_propagations",
    metadata,
    Column("event_id", BigId, primary_key=True),
    Column("system", String(40), nullable=False),
    Column("propagated_at", DateTime(timezone=True), nullable=False),
    Column("result", String(200), nullable=False),
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


def now_utc() -> datetime:
    return datetime.now(UTC)


def engine_for(settings: Settings | None = None) -> Engine:
    url = str((settings or get_settings()).database_url)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return create_engine(url)


def _check_purpose(purpose: str) -> None:
    if purpose not in PURPOSES:
        raise UnknownPurpose(f"unknown purpose {purpose!r}; one of {', '.join(PURPOSES)}")


def _aware(dt: datetime | None) -> datetime | None:
    return dt.replace(tzinfo=UTC) if dt is not None and dt.tzinfo is None else dt


# --- terms -----------------------------------------------------------------------------------------


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
    return {"id": res.inserted_primary_key[0], **values}


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


def _latest_per_user(conn: Connection, purpose: str) -> list[dict[str, Any]]:
    latest = (
        select(consent_events.c.user_id, func.max(consent_events.c.id).label("id"))
        .where(consent_events.c.purpose == purpose)
        .group_by(consent_events.c.user_id)
        .subquery()
    )
    rows = (
        conn.execute(select(consent_events).join(latest, consent_events.c.id == latest.c.id)).mappings().all()
    )
    return [dict(r) for r in rows]


def _customer_pks(conn: Connection, user_ids: list[int], key: bytes | None) -> dict[int, str | None]:
    from lake.pseudonym import pseudonymise_one

    if not user_ids:
        return {}
    rows = conn.execute(
        text(
            "SELECT id, cpf, identity_verified_at FROM users WHERE id IN ("  # nosec B608 # int() ids
            + ",".join(str(int(u)) for u in user_ids)
            + ")"
        )
    ).all()
    # a login that has not proven its CPF has no customer in the lake (its claim may be someone else's)
    return {
        int(uid): pseudonymise_one(cpf, "cpf", key=key) if verified else None for uid, cpf, verified in rows
    }


def revoked_open_finance(
    conn: Connection, *, pending_only: bool = True, key: bytes | None = None
) -> list[dict[str, Any]]:
    """Customers whose current open_finance_sharing consent is revoked: user_id, customer_pk (keyed
    with ``key``, the settings' pseudonym key of the caller; default: the process settings'), the
    transmitter's consent id (external_ref), revoked_at, the revoke event id; by default only those
    not yet propagated to the transmitter."""
    rows = [r for r in _latest_per_user(conn, "open_finance_sharing") if r["action"] == "revoke"]
    if pending_only and rows:
        done = {e for (e,) in conn.execute(select(consent_propagations.c.event_id))}
        rows = [r for r in rows if r["id"] not in done]
    pks = _customer_pks(conn, [r["user_id"] for r in rows], key)
    return [
        {
            "user_id": r["user_id"],
            "customer_pk": pks.get(r["user_id"]),
            "external_ref": r["external_ref"],
            "revoked_at": _aware(r["at"]),
            "event_id": r["id"],
        }
        for r in rows
    ]


def allowed_open_finance_refs(conn: Connection) -> set[str]:
    """Transmitter consent ids whose open_finance_sharing consent is currently granted."""
    return {
        r["external_ref"]
        for r in _latest_per_user(conn, "open_finance_sharing")
        if r["action"] == "grant" and r["external_ref"]
    }


def mark_propagated(conn: Connection, event_id: int, system: str, result: str) -> None:
    conn.execute(
        insert(consent_propagations).values(
            event_id=event_id, system=system, propagated_at=now_utc(), result=result[:200]
        )
    )


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
    return {"id": res.inserted_primary_key[0], **values, "completed_at": None, "result": None}


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
