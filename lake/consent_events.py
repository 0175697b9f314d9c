"""The consent events the gateway records, as the lake side reads them: the shared SQL tables.

The gateway owns the consent registry (serving.lgpd.registry: terms, grants and revocations, LGPD
requests; its Alembic migration 0002 creates every table). The pipelines, which may not import
serving, propagate revocations of Open Finance sharing to the transmitter and keep pulls to the
consents still granted; both sides reach the same tables at ``settings.database_url`` through the
definitions here:

* ``consent_events``: append-only grant/revoke history; the current state of (user, purpose) is its
  latest event. A grant may carry ``external_ref`` (e.g. the Open Finance consentId it authorised).
* ``consent_propagations``: revocations propagated to an external system (one row per revoke event).
"""

from __future__ import annotations

from datetime import UTC, datetime
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
    create_engine,
    func,
    insert,
    select,
    text,
)

from lake.settings import Settings, get_settings, sqlalchemy_url

PURPOSES = ("credit_analysis", "fraud_prevention", "marketing", "open_finance_sharing")

BigId = BigInteger().with_variant(Integer(), "sqlite")
metadata = MetaData()  # the registry's other tables (serving.lgpd.registry) join this metadata

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


def now_utc() -> datetime:
    return datetime.now(UTC)


def engine_for(settings: Settings | None = None) -> Engine:
    return create_engine(sqlalchemy_url(str((settings or get_settings()).database_url)))


def aware(dt: datetime | None) -> datetime | None:
    return dt.replace(tzinfo=UTC) if dt is not None and dt.tzinfo is None else dt


def latest_per_user(conn: Connection, purpose: str) -> list[dict[str, Any]]:
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
    rows = [r for r in latest_per_user(conn, "open_finance_sharing") if r["action"] == "revoke"]
    if pending_only and rows:
        done = {e for (e,) in conn.execute(select(consent_propagations.c.event_id))}
        rows = [r for r in rows if r["id"] not in done]
    pks = _customer_pks(conn, [r["user_id"] for r in rows], key)
    return [
        {
            "user_id": r["user_id"],
            "customer_pk": pks.get(r["user_id"]),
            "external_ref": r["external_ref"],
            "revoked_at": aware(r["at"]),
            "event_id": r["id"],
        }
        for r in rows
    ]


def allowed_open_finance_refs(conn: Connection) -> set[str]:
    """Transmitter consent ids whose open_finance_sharing consent is currently granted."""
    return {
        r["external_ref"]
        for r in latest_per_user(conn, "open_finance_sharing")
        if r["action"] == "grant" and r["external_ref"]
    }


def mark_propagated(conn: Connection, event_id: int, system: str, result: str) -> None:
    conn.execute(
        insert(consent_propagations).values(
            event_id=event_id, system=system, propagated_at=now_utc(), result=result[:200]
        )
    )
