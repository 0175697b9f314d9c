"""The rules of identity proofing, over the gateway's database.

* A login claims a CPF at registration; until it proves ownership it is ``unverified`` and sees only
  its own activity in the gateway (no score, no lake data, no export or erasure of lake data).
* Proof by one-time code: the person names a phone or e-mail; if it is on record for the claimed
  CPF a 6-digit code goes there (only its HMAC is stored), else nothing is sent; the answer is the
  same either way, so the route tells nobody which contacts a CPF has. A challenge lives
  ``kyc_otp_ttl_s``, dies after ``kyc_otp_max_attempts`` wrong codes, and a login may open
  ``kyc_otp_daily_limit`` challenges per 24 h.
* Proof by selfie: the facial validation service compares a selfie with the CPF holder's reference
  photo; similarity at or above ``kyc_face_min_similarity`` proves it (``kyc_face_daily_limit`` per 24 h).
* At most one login per CPF is verified (a partial unique index); a second proof of a CPF already
  linked to another login is refused (409) and the person is sent to support.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lake.settings import Settings
from serving.db.models import IdentityChallenge, IdentityCheck, User
from serving.errors import Problem

CODE_DIGITS = 6
DAY = timedelta(hours=24)


@dataclass(frozen=True)
class IdentityState:
    user_id: int
    cpf: str
    verified_at: datetime | None
    method: str | None

    @property
    def verified(self) -> bool:
        return self.verified_at is not None

    @property
    def status(self) -> str:
        return "verified" if self.verified else "unverified"


def identity_state(db: Session, user_id: int) -> IdentityState:
    row = db.execute(
        select(User.cpf, User.identity_verified_at, User.identity_method).where(User.id == user_id)
    ).one_or_none()
    if row is None:
        raise Problem(404, "user_not_found", "no such user")
    return IdentityState(user_id, row[0], row[1], row[2])


def not_verified_problem() -> Problem:
    return Problem(
        403,
        "identity_not_verified",
        "confirm that this CPF is yours (POST /kyc/otp or POST /kyc/selfie) to see the data the bank "
        "holds about it",
        title="Identity not verified",
    )


def mask_destination(channel: str, destination: str) -> str:
    if channel == "sms":
        digits = "".join(c for c in destination if c.isdigit())
        return f"+{digits[:2]} ({digits[2:4]}) *****-{digits[-4:]}" if len(digits) >= 8 else "***"
    local, _, domain = destination.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def code_hmac(key: bytes, challenge_id: str, code: str) -> str:
    return hmac.new(key, f"kyc-otp|{challenge_id}|{code}".encode(), hashlib.sha256).hexdigest()


def _aware(dt: datetime, like: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=like.tzinfo)


def open_challenge(
    db: Session,
    settings: Settings,
    key: bytes,
    *,
    user_id: int,
    channel: str,
    destination: str,
    on_record: bool,
    now: datetime,
) -> tuple[IdentityChallenge, str | None]:
    """A new challenge and its code (None when the destination is not on record: nothing to send)."""
    recent = db.execute(
        select(func.count())
        .select_from(IdentityChallenge)
        .where(IdentityChallenge.user_id == user_id, IdentityChallenge.created_at > now - DAY)
    ).scalar_one()
    if recent >= settings.kyc_otp_daily_limit:
        raise Problem(429, "too_many_codes", "too many codes requested today; try again tomorrow")
    cid = uuid.uuid4().hex
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}" if on_record else None
    ch = IdentityChallenge(
        id=cid,
        user_id=user_id,
        channel=channel,
        destination_masked=mask_destination(channel, destination),
        code_hmac=code_hmac(key, cid, code) if code else None,
        attempts=0,
        created_at=now,
        expires_at=now + timedelta(seconds=settings.kyc_otp_ttl_s),
    )
    db.add(ch)
    return ch, code


def check_code(
    db: Session, settings: Settings, key: bytes, *, user_id: int, challenge_id: str, code: str, now: datetime
) -> tuple[IdentityChallenge, int | None]:
    """Spend one attempt of the challenge: ``(challenge, None)`` when ``code`` is right, else
    ``(challenge, attempts left)``; the caller commits either way so a wrong attempt stays spent.
    An unknown, used, expired or exhausted challenge is a Problem."""
    ch = db.get(IdentityChallenge, challenge_id)
    if ch is None or ch.user_id != user_id:
        raise Problem(404, "challenge_not_found", "no such verification code request")
    if ch.consumed_at is not None:
        raise Problem(409, "challenge_used", "this code was already used")
    if _aware(ch.expires_at, now) < now:
        raise Problem(410, "challenge_expired", "the code expired; ask for a new one")
    spent = db.execute(
        update(IdentityChallenge)
        .where(IdentityChallenge.id == ch.id, IdentityChallenge.attempts < settings.kyc_otp_max_attempts)
        .values(attempts=IdentityChallenge.attempts + 1)
    ).rowcount
    if spent != 1:
        raise Problem(429, "too_many_attempts", "too many wrong codes; ask for a new one")
    db.refresh(ch)
    if ch.code_hmac is not None and hmac.compare_digest(ch.code_hmac, code_hmac(key, ch.id, code)):
        ch.consumed_at = now
        return ch, None
    return ch, max(settings.kyc_otp_max_attempts - ch.attempts, 0)


def face_checks_today(db: Session, user_id: int, now: datetime) -> int:
    return db.execute(
        select(func.count())
        .select_from(IdentityCheck)
        .where(IdentityCheck.user_id == user_id, IdentityCheck.created_at > now - DAY)
    ).scalar_one()


def mark_verified(db: Session, user_id: int, method: str, now: datetime) -> None:
    """Link the login to its CPF; refused when another login already proved the same CPF."""
    try:
        with db.begin_nested():
            db.execute(
                update(User)
                .where(User.id == user_id, User.identity_verified_at.is_(None))
                .values(identity_verified_at=now, identity_method=method)
            )
    except IntegrityError:
        raise Problem(
            409,
            "identity_already_linked",
            "this CPF is already linked to another login; talk to support to recover that access",
        ) from None
