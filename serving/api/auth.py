"""Auth router: register, login, refresh (rotating, reuse detection), logout, device enrolment,
biometric step-up and the JWKS.

Refresh tokens are opaque random strings stored as SHA-256; each login opens a session (= token
family). Every refresh spends the presented token and issues the next one in the family; presenting
a spent token again revokes the whole family (and its access tokens, as the session is checked on
every request), except within the short grace window of :mod:`serving.security.refresh_grace`,
where parallel refreshes with one token all get the same new pair.

Login is throttled per account and per trusted device (:mod:`serving.security.login_guard`):
backoff, a temporary lockout the holder is told about (``GET /auth/security-events``), and a device
token that keeps the holder's own clients out of a lockout others cause. Token responses are never
cached (``Cache-Control: no-store``, :mod:`serving.security.headers`).

Step-up: the app enrols an ECDSA P-256 device key (JWK) kept behind the phone's biometric prompt.
``POST /auth/step-up/challenge`` returns a one-time challenge; the app unlocks the key with a local
biometric check and signs the ASCII challenge string (ECDSA with SHA-256, DER, base64url);
``POST /auth/step-up`` verifies it and returns a short-lived access token with ``amr`` containing
``bio`` and ``acr`` = ``urn:cofre:acr:bio-stepup``.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lake.domain.identifiers import is_valid_cpf, only_digits
from lake.settings import Settings
from serving.api.schemas import TokenPair
from serving.api.types import Id, Instant
from serving.audit.store import make_event
from serving.db.orm import Account, Device, RefreshToken, SecurityEvent, StepUpChallenge, User
from serving.db.orm import Session as LoginSession
from serving.db.session import rowcount, transaction
from serving.deps import current_principal, get_clock, get_db, get_services, principal_user
from serving.errors import Problem
from serving.openapi import problems
from serving.security import login_guard, refresh_grace
from serving.security.keys import b64url, b64url_decode, jwk_thumbprint, public_jwk, public_key_from_jwk
from serving.security.passwords import hash_password, verify_password
from serving.security.tokens import ACR_BASIC, ACR_STEPUP, Principal
from serving.services import Services

router = APIRouter(tags=["auth"])
EMAIL_RE = re.compile(
    r"^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9-]+)+$"
)


# --- models ------------------------------------------------------------------------------------
class RegisterIn(BaseModel):
    """A new customer login."""

    cpf: str = Field(
        description="CPF with or without punctuation; check digits are validated", examples=["529.982.247-25"]
    )
    name: str = Field(min_length=2, max_length=200, description="full name", examples=["Maria da Silva"])
    email: str = Field(
        max_length=254, description="e-mail, the login (stored lower-case)", examples=["maria@example.com"]
    )
    password: str = Field(
        min_length=10,
        max_length=256,
        description="at least 10 characters; stored only as an Argon2id hash",
        examples=["uma senha longa 2026"],
    )

    @field_validator("cpf")
    @classmethod
    def _cpf(cls, v: str) -> str:
        if not is_valid_cpf(v):
            raise ValueError("invalid CPF (check digits do not match)")
        return only_digits(v)

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        v = v.strip().lower()
        if not EMAIL_RE.match(v):
            raise ValueError("invalid e-mail address")
        return v


class UserOut(BaseModel):
    """A login and the account opened with it."""

    id: int = Field(description="the login's user id (the `sub` of its access tokens)", examples=[42])
    name: str = Field(description="full name", examples=["Maria da Silva"])
    email: str = Field(description="e-mail, the login", examples=["maria@example.com"])
    account_id: int = Field(
        description="the customer account opened with it (`GET /accounts/me`)", examples=[42]
    )
    identity_status: Literal["unverified", "verified"] = Field(
        default="unverified",
        description="a new login is unverified until it proves it owns the CPF (see /kyc/status)",
        examples=["unverified"],
    )


class LoginIn(BaseModel):
    """E-mail and password (and the client's earlier device token)."""

    email: str = Field(
        max_length=254, description="the e-mail given at registration", examples=["maria@example.com"]
    )
    password: str = Field(
        max_length=256, description="the login's password", examples=["uma senha longa 2026"]
    )
    device_token: str | None = Field(
        default=None,
        max_length=128,
        description="the device_token of an earlier login on this client: failed logins of others do "
        "not lock it out",
        examples=["d3v1c3-t0k3n"],
    )


class SecurityEventOut(BaseModel):
    """A security event of the caller's login (e.g. a temporary lockout)."""

    id: int = Field(description="the event's id", examples=[3])
    kind: str = Field(description="e.g. login_locked", examples=["login_locked"])
    at: Instant = Field(
        description="when it happened: RFC 3339 date-time with its UTC offset (served in UTC, ending in Z)",
        examples=["2026-12-03T17:30:00Z"],
    )
    details: dict[str, Any] = Field(
        description="for `login_locked`: `failures`, `locked_until`, `scope` (`new_clients` or "
        "`trusted_device`) and `advice`",
        examples=[
            {
                "failures": 5,
                "locked_until": "2026-12-03T17:45:00+00:00",
                "scope": "new_clients",
                "advice": "if this was not you, your password is safe only if it is not used elsewhere: change it",
            }
        ],
    )


class RefreshIn(BaseModel):
    """The refresh token to spend for the next token pair."""

    refresh_token: str = Field(
        min_length=1,
        max_length=512,
        description="the latest refresh token of the session (single use: spending an old one again ends "
        "the session)",
        examples=["r0t4t1ng-0p4qu3-t0k3n"],
    )


class DeviceIn(BaseModel):
    """A device key to enrol for step-up."""

    name: str = Field(
        min_length=1,
        max_length=100,
        description="a label for the device, shown to the customer",
        examples=["Pixel 9"],
    )
    public_key: dict[str, str] = Field(
        description="ECDSA P-256 public key as a JWK (kty, crv, x, y)",
        examples=[
            {
                "kty": "EC",
                "crv": "P-256",
                "x": "f83OJ3D2xF1B...(base64url X)",
                "y": "x_FEzRu9m36H...(base64url Y)",
            }
        ],
    )


class DeviceOut(BaseModel):
    """An enrolled device key."""

    device_id: int = Field(
        description="the enrolled device's id, for `POST /auth/step-up/challenge`", examples=[5]
    )
    thumbprint: str = Field(
        description="RFC 7638 JWK thumbprint (SHA-256, base64url) of the enrolled key",
        examples=["oKIywvGUpTVT...(base64url SHA-256)"],
    )


class ChallengeIn(BaseModel):
    """The device that will sign a step-up challenge."""

    device_id: Id = Field(description="the enrolled device that will sign", examples=[5])


class ChallengeOut(BaseModel):
    """A one-time step-up challenge to sign with the device key."""

    challenge_id: str = Field(
        description="send it back with the signature to `POST /auth/step-up`", examples=["c9a1f0e2"]
    )
    challenge: str = Field(
        description="sign this ASCII string with the device key (ES256, DER, base64url)",
        examples=["cofre-step-up:c9a1f0e2:Q2hhbGxlbmdlTm9uY2U"],
    )
    expires_in: int = Field(description="seconds the challenge stays valid", examples=[120])


class StepUpIn(BaseModel):
    """A signed step-up challenge."""

    challenge_id: str = Field(
        max_length=64,
        description="the `challenge_id` of `POST /auth/step-up/challenge`",
        examples=["c9a1f0e2"],
    )
    signature: str = Field(
        max_length=512,
        description="base64url DER ECDSA-SHA256 signature of the challenge",
        examples=["MEUCIQDx...base64url...AiB0"],
    )


# --- helpers -----------------------------------------------------------------------------------
def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _issue_refresh(db: Session, services: Services, *, user_id: int, family: str, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    db.add(
        RefreshToken(
            token_hash=_token_hash(token),
            family_id=family,
            user_id=user_id,
            issued_at=now,
            expires_at=now + timedelta(seconds=services.settings.refresh_token_ttl_s),
        )
    )
    return token


def _pair(services: Services, user: User, family: str, refresh: str) -> TokenPair:
    ttl = services.settings.access_token_ttl_s
    access = services.tokens.issue(user_id=user.id, role=user.role, session_id=family, ttl_s=ttl, amr=["pwd"])
    return TokenPair(access_token=access, expires_in=ttl, refresh_token=refresh, acr=ACR_BASIC, amr=["pwd"])


def _revoke_family(db: Session, family: str, reason: str) -> None:
    now = datetime.now(UTC)
    db.execute(
        update(LoginSession)
        .where(LoginSession.id == family, LoginSession.revoked_at.is_(None))
        .values(revoked_at=now, revoke_reason=reason)
    )
    db.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now, successor_sealed=None)
    )


def _audit(request: Request, services: Services, user_id: int | None, action: str, outcome: str) -> None:
    services.audit.append(
        make_event(
            actor=services.pseudonym(user_id),
            action=action,
            resource="/auth",
            outcome=outcome,
            request_id=getattr(request.state, "request_id", None),
        )
    )


def _as_utc(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


# --- endpoints ---------------------------------------------------------------------------------
@router.post(
    "/auth/register",
    status_code=201,
    response_model=UserOut,
    responses=problems({409: "`already_registered`"}),
)
def register(
    body: RegisterIn, db: Session = Depends(get_db), services: Services = Depends(get_services)
) -> UserOut:
    pw_hash = hash_password(body.password, services.settings)
    user = User(cpf=body.cpf, email=body.email, name=body.name, password_hash=pw_hash, role="customer")
    try:
        with transaction(db):
            db.add(user)
            db.flush()
            account = Account(user_id=user.id, kind="customer", balance_cents=0, allow_negative=False)
            db.add(account)
            db.flush()
    except IntegrityError:
        # only the e-mail is unique: a CPF may be claimed by several logins until one proves it
        raise Problem(409, "email_already_registered", "this e-mail is already registered") from None
    return UserOut(id=user.id, name=user.name, email=user.email, account_id=account.id)


@router.post(
    "/auth/login",
    response_model=TokenPair,
    responses=problems(
        {
            401: "`invalid_credentials`: wrong e-mail or password",
            429: "`login_temporarily_locked` (too many failed logins: retry after `Retry-After` seconds; a "
            "device token from an earlier login on this client is not affected) or `rate_limited`",
        }
    ),
)
def login(
    body: LoginIn,
    request: Request,
    db: Session = Depends(get_db),
    services: Services = Depends(get_services),
    now: datetime = Depends(get_clock),
) -> TokenPair:
    s, secret = services.settings, services.secret
    email = body.email.strip().lower()
    user = db.execute(select(User).where(User.email == email)).scalar_one_or_none()
    user_id = user.id if user else None
    device = login_guard.device_key(secret, user_id, body.device_token)
    key = device or login_guard.account_key(secret, email)
    admission = login_guard.admit(db, s, key, now)
    if not admission.allowed:
        _audit(request, services, user_id, "auth:login", "throttled")
        raise Problem(
            429,
            "login_temporarily_locked",
            f"too many failed logins: try again in {admission.retry_after_s} s",
            headers={"Retry-After": str(admission.retry_after_s)},
            retry_after=admission.retry_after_s,
        )
    if not verify_password(user.password_hash if user else None, body.password, s) or user is None:
        _audit(request, services, user_id, "auth:login", "denied")
        if login_guard.first_lock_of_streak(db, s, key, admission.attempts):
            _notify_lockout(db, request, services, user_id, key, admission.attempts, device is not None, now)
        raise Problem(401, "invalid_credentials", "wrong e-mail or password")
    login_guard.succeeded(db, key)
    family = uuid.uuid4().hex
    with transaction(db):
        db.add(LoginSession(id=family, user_id=user.id))
        refresh = _issue_refresh(db, services, user_id=user.id, family=family, now=now)
    _audit(request, services, user.id, "auth:login", "ok")
    pair = _pair(services, user, family, refresh)
    pair.device_token = body.device_token if device else login_guard.new_device_token(secret, user.id)
    return pair


def _notify_lockout(
    db: Session,
    request: Request,
    services: Services,
    user_id: int | None,
    key: str,
    attempts: int,
    trusted_device: bool,
    now: datetime,
) -> None:
    """The first lockout of a streak: an audit event, and a security event the holder can list."""
    _audit(request, services, user_id, "auth:login", "locked")
    if user_id is None:
        return
    until = login_guard.locked_until(db, key)
    details = {
        "failures": attempts,
        "locked_until": until.isoformat() if until else None,
        "scope": "trusted_device" if trusted_device else "new_clients",
        "advice": "if this was not you, your password is safe only if it is not used elsewhere: change it",
    }
    with transaction(db):
        db.add(SecurityEvent(user_id=user_id, kind="login_locked", at=now, details=json.dumps(details)))


@router.get("/auth/security-events", response_model=list[SecurityEventOut])
def security_events(
    principal: Principal = Depends(current_principal), db: Session = Depends(get_db)
) -> list[SecurityEventOut]:
    """Security notices for the caller (e.g. ``login_locked``), newest first."""
    rows = db.scalars(
        select(SecurityEvent)
        .where(SecurityEvent.user_id == principal.user_id)
        .order_by(SecurityEvent.id.desc())
        .limit(100)
    )
    return [SecurityEventOut(id=r.id, kind=r.kind, at=r.at, details=json.loads(r.details)) for r in rows]


@router.post(
    "/auth/refresh",
    response_model=TokenPair,
    responses=problems({401: "`invalid_grant` (unknown, revoked or expired) or `refresh_token_reused`"}),
)
def refresh(
    body: RefreshIn,
    request: Request,
    db: Session = Depends(get_db),
    services: Services = Depends(get_services),
    now: datetime = Depends(get_clock),
) -> TokenPair:
    """Rotate: the presented token is spent and the next pair issued. Presented again within
    ``refresh_reuse_grace_s`` while its successor is unused, it gets that same pair (parallel
    refreshes); any other reuse revokes the whole family (a stolen token was replayed)."""
    th = _token_hash(body.refresh_token)
    reused = False
    replay: TokenPair | None = None
    with transaction(db):
        row = db.execute(select(RefreshToken).where(RefreshToken.token_hash == th)).scalar_one_or_none()
        if row is None:
            raise Problem(401, "invalid_grant", "unknown refresh token")
        family, user_id = row.family_id, row.user_id
        session = db.get(LoginSession, family)
        if session is None or session.revoked_at is not None or row.revoked_at is not None:
            raise Problem(401, "invalid_grant", "refresh token revoked")
        if _as_utc(row.expires_at) < now:
            raise Problem(401, "invalid_grant", "refresh token expired")
        spent = rowcount(
            db.execute(
                update(RefreshToken)
                .where(RefreshToken.id == row.id, RefreshToken.used_at.is_(None))
                .values(used_at=now)
            )
        )
        if spent != 1:
            db.refresh(row)  # the winner's committed used_at and sealed pair
            replay = _grace_replay(db, services, row, body.refresh_token, now)
            if replay is None:
                _revoke_family(db, family, "refresh_token_reuse")
                reused = True
        else:
            new_refresh = _issue_refresh(db, services, user_id=user_id, family=family, now=now)
            user = db.get(User, user_id)
            if user is None:  # erased: its sessions go with it, but say so rather than fail later
                raise Problem(401, "invalid_grant", "refresh token revoked")
            pair = _pair(services, user, family, new_refresh)
            db.execute(  # older seals of the family are useless now: wipe them
                update(RefreshToken)
                .where(RefreshToken.family_id == family, RefreshToken.successor_sealed.is_not(None))
                .values(successor_sealed=None)
            )
            sealed = refresh_grace.seal(body.refresh_token, row.id, pair.model_dump_json().encode())
            db.execute(update(RefreshToken).where(RefreshToken.id == row.id).values(successor_sealed=sealed))
    if reused:
        _audit(request, services, user_id, "auth:refresh", "reuse_detected_family_revoked")
        raise Problem(401, "refresh_token_reused", "refresh token already used: the session has been revoked")
    if replay is not None:
        _audit(request, services, user_id, "auth:refresh", "grace_replay")
        return replay
    return pair


def _grace_replay(
    db: Session, services: Services, row: RefreshToken, token: str, now: datetime
) -> TokenPair | None:
    """The pair already issued for ``row``, if it was rotated within the grace window and its
    successor is still unused; else None."""
    grace = timedelta(seconds=services.settings.refresh_reuse_grace_s)
    if row.used_at is None or row.successor_sealed is None or now - _as_utc(row.used_at) > grace:
        return None
    opened = refresh_grace.open_sealed(token, row.id, row.successor_sealed)
    if opened is None:
        return None
    pair = TokenPair.model_validate_json(opened)
    successor = db.execute(
        select(RefreshToken.used_at, RefreshToken.revoked_at).where(
            RefreshToken.token_hash == _token_hash(pair.refresh_token or "")
        )
    ).first()
    if successor is None or successor.used_at is not None or successor.revoked_at is not None:
        return None
    return pair


@router.post("/auth/logout", status_code=204, response_class=Response)
def logout(principal: Principal = Depends(current_principal), db: Session = Depends(get_db)) -> Response:
    with transaction(db):
        _revoke_family(db, principal.session_id, "logout")
    return Response(status_code=204)


@router.post(
    "/auth/devices",
    status_code=201,
    response_model=DeviceOut,
    responses=problems({409: "`device_already_enrolled`", 422: "`invalid_device_key` or validation error"}),
)
def enrol_device(
    body: DeviceIn, principal: Principal = Depends(current_principal), db: Session = Depends(get_db)
) -> DeviceOut:
    try:
        key = public_key_from_jwk(body.public_key)
    except (KeyError, ValueError) as exc:
        raise Problem(422, "invalid_device_key", f"public_key: {exc}") from None
    jwk = public_jwk(key)
    thumb = jwk_thumbprint(jwk)
    try:
        with transaction(db):
            dev = Device(
                user_id=principal.user_id, name=body.name, public_jwk=json.dumps(jwk), thumbprint=thumb
            )
            db.add(dev)
            db.flush()
    except IntegrityError:
        raise Problem(409, "device_already_enrolled", "this device key is already enrolled") from None
    return DeviceOut(device_id=dev.id, thumbprint=thumb)


@router.post(
    "/auth/step-up/challenge", response_model=ChallengeOut, responses=problems({404: "`device_not_found`"})
)
def step_up_challenge(
    body: ChallengeIn,
    principal: Principal = Depends(current_principal),
    db: Session = Depends(get_db),
) -> ChallengeOut:
    ttl = 120
    with transaction(db):
        dev = db.get(Device, body.device_id)
        if dev is None or dev.user_id != principal.user_id or dev.revoked:
            raise Problem(404, "device_not_found", "no such enrolled device")
        ch = StepUpChallenge(
            id=uuid.uuid4().hex,
            user_id=principal.user_id,
            device_id=dev.id,
            session_id=principal.session_id,
            nonce=secrets.token_bytes(32),
            expires_at=datetime.now(UTC) + timedelta(seconds=ttl),
        )
        db.add(ch)
    return ChallengeOut(challenge_id=ch.id, challenge=challenge_text(ch.id, ch.nonce), expires_in=ttl)


def challenge_text(challenge_id: str, nonce: bytes) -> str:
    """The exact string the device signs."""
    return f"cofre-step-up:{challenge_id}:{b64url(nonce)}"


@router.post(
    "/auth/step-up",
    response_model=TokenPair,
    responses=problems({401: "`invalid_challenge` or `invalid_signature`"}),
)
def step_up(
    body: StepUpIn,
    request: Request,
    principal: Principal = Depends(current_principal),
    db: Session = Depends(get_db),
    services: Services = Depends(get_services),
) -> TokenPair:
    with transaction(db):
        ch = db.get(StepUpChallenge, body.challenge_id)
        if ch is None or ch.user_id != principal.user_id or ch.session_id != principal.session_id:
            raise Problem(401, "invalid_challenge", "unknown challenge")
        claimed = rowcount(
            db.execute(
                update(StepUpChallenge)
                .where(StepUpChallenge.id == ch.id, StepUpChallenge.used.is_(False))
                .values(used=True)
            )
        )
        if claimed != 1:
            raise Problem(401, "invalid_challenge", "challenge already used")
        if _as_utc(ch.expires_at) < datetime.now(UTC):
            raise Problem(401, "invalid_challenge", "challenge expired")
        dev = db.get(Device, ch.device_id)
        if dev is None:  # erased since the challenge was issued
            raise Problem(401, "invalid_challenge", "the device of this challenge is gone")
        user = principal_user(db, principal)
        jwk = json.loads(dev.public_jwk)
    try:
        signature = b64url_decode(body.signature)
        public_key_from_jwk(jwk).verify(
            signature, challenge_text(ch.id, ch.nonce).encode("ascii"), ec.ECDSA(hashes.SHA256())
        )
    except (InvalidSignature, ValueError):
        _audit(request, services, principal.user_id, "auth:step-up", "denied")
        raise Problem(401, "invalid_signature", "the device signature does not verify") from None
    ttl = services.settings.stepup_token_ttl_s
    amr = ["pwd", "bio", "hwk"]
    access = services.tokens.issue(
        user_id=user.id,
        role=user.role,
        session_id=principal.session_id,
        ttl_s=ttl,
        amr=amr,
        acr=ACR_STEPUP,
        device_id=dev.id,
    )
    _audit(request, services, principal.user_id, "auth:step-up", "ok")
    return TokenPair(access_token=access, expires_in=ttl, acr=ACR_STEPUP, amr=amr)


@router.get("/.well-known/jwks.json")
def jwks(services: Services = Depends(get_services)) -> dict[str, Any]:
    return services.keys.jwks()


def create_app(settings: Settings | None = None) -> FastAPI:
    from serving.app import create_app as gateway

    return gateway(settings, routers=[router])
