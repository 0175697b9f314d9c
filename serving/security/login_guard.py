"""Login throttling per account and per trusted device: exponential backoff and a temporary lockout
that the account holder is told about, without a lockout an attacker can impose on a trusted client.

* Every login attempt is counted against a key *before* the password is checked (so parallel
  guesses cannot overrun the limit), and a success clears the key. The key is an HMAC of the
  e-mail, whether or not an account has it, so unknown and known e-mails are throttled alike (no
  account enumeration through the lockout).
* The first ``login_max_failures`` attempts of a streak are free; the attempt that reaches the
  limit, and each later one, locks the key for ``login_backoff_base_s * 2**(n - max)`` seconds,
  capped at ``login_lockout_max_s``. While locked every attempt is refused (429 with Retry-After)
  without checking the password and without extending the lock. A streak is forgotten after
  ``login_failure_reset_s`` without attempts.
* When a streak first locks an existing account, the holder gets a ``login_locked`` security event
  (listed by ``GET /auth/security-events``) and the audit trail an ``auth:login``/``locked`` event.
* A successful login hands the client a *device token*, an HMAC over (user id, random nonce) under a
  key derived for this purpose. A login that presents a valid device token for the account is
  counted against that device instead of the account: an attacker hammering the account locks out
  only clients the account has never trusted, never the holder's own phone (OWASP's "device
  cookie" defence), and a stolen device token is throttled on its own.

Times come from the caller (the route's injected clock).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lake.settings import Settings
from serving.db.models import LoginThrottle
from serving.db.session import transaction
from serving.security.keys import b64url

_PURPOSE = b"cofre/login-throttle/v1"


def _key(secret: bytes) -> bytes:
    return hmac.new(secret, _PURPOSE, hashlib.sha256).digest()


def account_key(secret: bytes, email: str) -> str:
    return hmac.new(_key(secret), b"account:" + email.encode(), hashlib.sha256).hexdigest()


def _device_mac(secret: bytes, user_id: int, nonce: str) -> str:
    return b64url(hmac.new(_key(secret), f"device:{user_id}:{nonce}".encode(), hashlib.sha256).digest())


def new_device_token(secret: bytes, user_id: int) -> str:
    nonce = secrets.token_urlsafe(18)
    return f"{nonce}.{_device_mac(secret, user_id, nonce)}"


def device_key(secret: bytes, user_id: int | None, token: str | None) -> str | None:
    """The throttle key of a valid device token of ``user_id``, else None."""
    if not token or user_id is None or token.count(".") != 1:
        return None
    nonce, mac = token.split(".")
    if not hmac.compare_digest(mac, _device_mac(secret, user_id, nonce)):
        return None
    return hmac.new(_key(secret), f"device:{nonce}".encode(), hashlib.sha256).hexdigest()


def _utc(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


@dataclass(frozen=True)
class Admission:
    allowed: bool
    retry_after_s: int = 0
    attempts: int = 0


def _lock_for(settings: Settings, attempts: int) -> int:
    over = attempts - settings.login_max_failures
    if over < 0:
        return 0
    return min(settings.login_backoff_base_s * 2 ** min(over, 40), settings.login_lockout_max_s)


def _row(db: Session, key: str) -> LoginThrottle:
    stmt = select(LoginThrottle).where(LoginThrottle.key == key).with_for_update()
    row = db.execute(stmt).scalar_one_or_none()
    if row is None:
        try:
            with db.begin_nested():
                db.add(LoginThrottle(key=key, failures=0, notified=False))
        except IntegrityError:  # a concurrent first attempt inserted it
            pass
        row = db.execute(stmt.execution_options(populate_existing=True)).scalar_one()
    return row


def admit(db: Session, settings: Settings, key: str, now: datetime) -> Admission:
    """Count one attempt against ``key`` (committed before the password is checked), or refuse it."""
    with transaction(db):
        row = _row(db, key)
        locked_until = _utc(row.locked_until)
        if locked_until is not None and locked_until > now:
            return Admission(False, max(1, math.ceil((locked_until - now).total_seconds())), row.failures)
        last = _utc(row.last_attempt_at)
        if last is not None and now - last > timedelta(seconds=settings.login_failure_reset_s):
            row.failures, row.notified = 0, False
        row.failures += 1
        row.last_attempt_at = now
        lock = _lock_for(settings, row.failures)
        row.locked_until = now + timedelta(seconds=lock) if lock else None
        return Admission(True, 0, row.failures)


def first_lock_of_streak(db: Session, settings: Settings, key: str, attempts: int) -> bool:
    """After a failed attempt: whether it locked the key for the first time in this streak (claimed
    atomically, so exactly one request notifies)."""
    if attempts < settings.login_max_failures:
        return False
    with transaction(db):
        claimed = db.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key == key, LoginThrottle.notified.is_(False))
            .values(notified=True)
        ).rowcount
    return claimed == 1


def locked_until(db: Session, key: str) -> datetime | None:
    with transaction(db):
        row = db.get(LoginThrottle, key)
        return _utc(row.locked_until) if row is not None else None


def succeeded(db: Session, key: str) -> None:
    with transaction(db):
        db.execute(delete(LoginThrottle).where(LoginThrottle.key == key))
