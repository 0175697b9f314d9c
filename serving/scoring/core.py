"""Scoring cores shared by the routers and the model fraud screen: keys, online features, model calls.

* keys: the user's CPF pseudonymised with :mod:`lake.pseudonym` (``customer_pk``, the lake's key) and a
  PIX key pseudonymised the same way (``counterparty_pk``);
* :func:`fraud_features`: one row of Feast service ``fraud_v1`` (windows, latest day, known pair,
  on-demand features computed from the request) plus the request fields the fraud model takes;
* :func:`credit_features`: one row of service ``credit_v1`` (None when the lake knows nothing of the
  customer);
* :func:`score_fraud` / :func:`score_credit`: the champion's answer with reasons in Portuguese
  (fraud: the model's one-row path ``score_row`` when it has one, same answer as ``predict_frame``).

The DB lookups come in two forms: ``*_in(db, ...)`` inside the caller's session (the request path
reads everything in one read-only session) and :func:`user_cpf`, which opens its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import bindparam, func, select

from features.online import online_row
from lake.pseudonym import pseudonymise_one
from lake.settings import Settings
from serving.db.models import Device, User
from serving.db.models import Session as LoginSession
from serving.errors import Problem
from serving.fraud.screen import Decision


def _key(settings: Settings) -> bytes:
    return settings.pseudonym_key.get_secret_value().encode("utf-8")


def customer_pk(settings: Settings, cpf: str) -> str:
    pk = pseudonymise_one(cpf, "cpf", key=_key(settings))
    if pk is None:
        raise Problem(422, "invalid_cpf", "the CPF is empty")
    return pk


def counterparty_pk(settings: Settings, pix_key: str, key_type: str | None = None) -> str:
    pk = pseudonymise_one(pix_key, "pix_key", key_type=key_type, key=_key(settings))
    if pk is None:
        raise Problem(422, "invalid_pix_key", "the counterparty key is empty")
    return pk


def user_cpf_in(db, user_id: int) -> str:
    """The user's CPF, for reads of what the bank holds about it: only once the login has proven it
    owns the CPF (403 ``identity_not_verified`` before)."""
    row = db.execute(select(User.cpf, User.identity_verified_at).where(User.id == user_id)).one_or_none()
    if row is None:
        raise Problem(404, "user_not_found", "no such user")
    if row[1] is None:
        from serving.kyc.proofing import not_verified_problem

        raise not_verified_problem()
    return row[0]


def scoring_key(settings: Settings, cpf: str | None, user_id: int) -> str:
    """The customer key of the online features: the CPF's pseudonym once proven; a key no lake row
    can carry (a cold start: no history) while the login's CPF is only claimed."""
    return customer_pk(settings, cpf) if cpf is not None else f"unverified:{user_id}"


def user_cpf(sessions, user_id: int) -> str:
    with sessions() as db:
        return user_cpf_in(db, user_id)


_USER_FACTS = select(  # built once: building a statement costs more than SQLite running it
    select(User.cpf).where(User.id == bindparam("user_id")).scalar_subquery(),
    select(User.identity_verified_at).where(User.id == bindparam("user_id")).scalar_subquery(),
    select(func.max(LoginSession.created_at))
    .where(LoginSession.user_id == bindparam("user_id"), LoginSession.created_at < bindparam("at"))
    .scalar_subquery(),
    select(func.max(Device.created_at))
    .where(Device.user_id == bindparam("user_id"), Device.created_at < bindparam("at"))
    .scalar_subquery(),
)


def user_facts_in(db, user_id: int, at: datetime) -> tuple[str | None, datetime | None, datetime | None]:
    """(proven CPF or None, latest login before ``at``, latest device enrolment before ``at``) of the
    user, in one statement."""
    cpf, verified_at, login, device = db.execute(_USER_FACTS, {"user_id": user_id, "at": at}).one()
    if cpf is None:
        raise Problem(404, "user_not_found", "no such user")
    return (cpf if verified_at is not None else None), login, device


def fraud_features(
    settings: Settings,
    *,
    customer: str,
    counterparty: str,
    amount_cents: int,
    at: datetime,
    is_new_device: bool,
    last_login_at: datetime | None,
    last_device_change_at: datetime | None,
    channel: str,
    type_: str,
    credit_debit_type: str = "DEBITO",
) -> dict[str, Any]:
    row = online_row(
        "fraud_v1",
        {"customer_pk": customer, "counterparty_pk": counterparty},
        {
            "amount_cents": int(amount_cents),
            "request_ts": at,
            "last_login_at": last_login_at,
            "last_device_change_at": last_device_change_at,
        },
        settings=settings,
    )
    row.update(
        amount_cents=int(amount_cents),
        is_new_device=bool(is_new_device),
        channel=channel,
        type=type_,
        credit_debit_type=credit_debit_type,
        counterparty_pk=counterparty,
        customer_pk=customer,
    )
    return row


def score_fraud(model, row: dict[str, Any], version: str) -> Decision:
    score_row = getattr(model, "score_row", None)
    out = score_row(row) if score_row is not None else model.predict_frame(pd.DataFrame([row])).iloc[0]
    reasons = [r for r in str(out["reasons"]).split("; ") if r]
    return Decision(
        probability=round(float(out["fraud_probability"]), 6),
        decision=str(out["decision"]),
        reasons=reasons,
        model_version=version,
    )


def credit_features(settings: Settings, customer: str) -> dict[str, Any] | None:
    row = online_row("credit_v1", {"customer_pk": customer}, settings=settings)
    del row["customer_pk"]
    return row if any(v is not None for v in row.values()) else None


def score_credit(model, row: dict[str, Any]) -> dict[str, Any]:
    frame = pd.DataFrame([{f: row.get(f) for f in model.features}])
    out = model.predict_frame(frame).iloc[0]
    reasons = [
        {"feature": r.feature, "motivo": r.sentence, "pontos": r.score_points} for r in model.explain(frame)
    ]
    return {
        "score": int(out["score"]),
        "band": str(out["band"]),
        "pd": round(float(out["pd"]), 6),
        "reasons": reasons,
    }
