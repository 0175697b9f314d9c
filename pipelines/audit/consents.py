"""Open Finance pulls stop for a revoked consent.

:func:`propagate_revocations` reads the consent registry (:mod:`lake.consent_events`, the gateway's SQL
tables) for customers whose ``open_finance_sharing`` consent is revoked and not yet propagated, revokes
the matching consent at the transmitter (``DELETE /consents/{id}`` through the Open Finance client)
and records the propagation, so later pulls under that consent raise ``ConsentRevokedError``.
:func:`pullable_consents` filters the consent ids a pull may use (granted in the registry), and
:func:`revoked_customer_pks` lists the customers the bronze pull must skip (it opens a new consent per
customer and run, so revoking the old one at the transmitter alone would not stop the next pull).
"""

from __future__ import annotations

from typing import Any

from lake import consent_events as consents
from lake.settings import Settings, get_settings


def _key(s: Settings) -> bytes:
    return s.pseudonym_key_bytes()


async def propagate_revocations(
    settings: Settings | None = None, *, client: Any = None
) -> list[dict[str, Any]]:
    """Revoke at the transmitter every registry-revoked open_finance_sharing consent; returns what was done."""
    from pipelines.sources.http import UpstreamError
    from pipelines.sources.open_finance.client import NotFoundError, OpenFinanceClient

    s = settings or get_settings()
    engine = consents.engine_for(s)
    own = client is None
    try:
        with engine.connect() as conn:
            pending = consents.revoked_open_finance(conn, key=_key(s))
        if not pending:
            return []
        client = client or OpenFinanceClient.from_settings(s)
        done = []
        for item in pending:
            ref = item["external_ref"]
            if ref is None:
                result = "no transmitter consent linked"
            else:
                try:
                    await client.revoke_consent(ref)
                    result = "revoked"
                except NotFoundError:
                    result = "unknown at transmitter"
                except UpstreamError as exc:
                    if exc.status == 422:  # already REJECTED/revoked there
                        result = "already revoked"
                    else:
                        raise
            with engine.begin() as conn:
                consents.mark_propagated(conn, item["event_id"], "open_finance", result)
            done.append({**item, "result": result})
        return done
    finally:
        if own and client is not None:
            await client.aclose()
        engine.dispose()


def revoked_customer_pks(settings: Settings | None = None) -> set[str]:
    """Pseudonyms of customers whose open_finance_sharing consent is currently revoked in the registry
    (empty when the gateway's database has no consent registry yet)."""
    from sqlalchemy import inspect

    s = settings or get_settings()
    engine = consents.engine_for(s)
    try:
        if not inspect(engine).has_table("consent_events"):
            return set()
        with engine.connect() as conn:
            return {
                r["customer_pk"]
                for r in consents.revoked_open_finance(conn, pending_only=False, key=_key(s))
                if r["customer_pk"]
            }
    finally:
        engine.dispose()


def pullable_consents(consent_ids: list[str], settings: Settings | None = None) -> list[str]:
    """The subset of transmitter consent ids that the registry still allows to pull."""
    engine = consents.engine_for(settings or get_settings())
    try:
        with engine.connect() as conn:
            allowed = consents.allowed_open_finance_refs(conn)
    finally:
        engine.dispose()
    return [c for c in consent_ids if c in allowed]
