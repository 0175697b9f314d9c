"""Access tokens: short-lived ES256 JWTs signed by the active key, verified strictly.

Verification refuses anything but ES256 (so ``alg: none`` and HS256-with-the-public-key fail), an
unknown ``kid``, a bad signature, missing or out-of-range exp/nbf/iat, and a wrong iss/aud. Every
refusal raises a 401 :class:`~serving.errors.Problem` with code ``invalid_token``.

A token that passed every check is remembered (bounded, by its exact bytes) with its key and time
claims: presenting the same token again re-checks the key (still published, the same key object),
exp/nbf/iat against the clock, and skips only the base64/JSON parsing and the ECDSA verification,
whose result cannot change for the same bytes under the same key. A refused token is never cached.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jwt

from serving.errors import Problem
from serving.security.keys import KeyStore, SigningKey

ALGORITHMS = ["ES256"]
LEEWAY_S = 5
ACR_BASIC = "urn:cofre:acr:pwd"
ACR_STEPUP = "urn:cofre:acr:bio-stepup"
VERIFIED_CACHE_SIZE = 10_000


@dataclass(frozen=True)
class Principal:
    """The authenticated caller, as read from a verified access token."""

    user_id: int
    role: str
    session_id: str
    amr: tuple[str, ...] = ()
    acr: str = ACR_BASIC
    device_id: int | None = None
    claims: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def stepped_up(self) -> bool:
        return "bio" in self.amr and self.acr == ACR_STEPUP


def _numeric_date(claims: dict[str, Any], name: str) -> float:
    """A NumericDate claim (RFC 7519: seconds since the epoch); anything else is refused."""
    v = claims[name]
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise _refuse(f"invalid token: {name} is not a NumericDate")
    return float(v)


def _refuse(detail: str) -> Problem:
    return Problem(401, "invalid_token", detail, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


class TokenService:
    def __init__(
        self, keys: KeyStore, *, issuer: str, audience: str, clock: Callable[[], float] = time.time
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.clock = clock
        # token -> (principal, kid, signing key, exp, nbf, iat); dict ops are atomic under the GIL
        self._verified: dict[str, tuple[Principal, str, object, float, float, float]] = {}

    def issue(
        self,
        *,
        user_id: int,
        role: str,
        session_id: str,
        ttl_s: int,
        amr: list[str],
        acr: str = ACR_BASIC,
        device_id: int | None = None,
    ) -> str:
        key = self.keys.active()
        now = int(self.clock())
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": str(user_id),
            "iat": now,
            "nbf": now,
            "exp": now + ttl_s,
            "jti": uuid.uuid4().hex,
            "sid": session_id,
            "role": role,
            "amr": amr,
            "acr": acr,
        }
        if device_id is not None:
            claims["did"] = device_id
        return jwt.encode(
            claims, key.private_key, algorithm="ES256", headers={"kid": key.kid, "typ": "at+jwt"}
        )

    def verify(self, token: str) -> Principal:
        hit = self._verified.get(token)
        if hit is not None:
            principal, kid, key, exp, nbf, iat = hit
            now = self.clock()  # the same clock and bounds as the full path below
            if (
                self.keys.get(kid) is key
                and now < exp + LEEWAY_S
                and nbf <= now + LEEWAY_S
                and iat <= now + LEEWAY_S
            ):
                return principal
            self._verified.pop(token, None)  # expired or its key was withdrawn: the full path refuses it
        principal, kid, key = self._verify_fully(token)
        c = principal.claims
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            self._verified.clear()
        self._verified[token] = (principal, kid, key, float(c["exp"]), float(c["nbf"]), float(c["iat"]))
        return principal

    def _verify_fully(self, token: str) -> tuple[Principal, str, SigningKey]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise _refuse("malformed token") from None
        if header.get("alg") not in ALGORITHMS:
            raise _refuse("algorithm not allowed")
        kid = header.get("kid")
        key = self.keys.get(kid) if isinstance(kid, str) else None
        if key is None or not isinstance(kid, str):
            raise _refuse("unknown key id")
        try:
            claims = jwt.decode(
                token,
                key.public_key,
                algorithms=ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                leeway=LEEWAY_S,
                # exp, nbf and iat are checked below on the service's clock (PyJWT would read the real one)
                options={
                    "require": ["exp", "iat", "nbf", "iss", "aud", "sub", "sid"],
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
        except jwt.InvalidAudienceError:
            raise _refuse("wrong audience") from None
        except jwt.InvalidIssuerError:
            raise _refuse("wrong issuer") from None
        except jwt.PyJWTError as exc:
            raise _refuse(f"invalid token: {type(exc).__name__}") from None
        now = self.clock()
        exp, nbf = _numeric_date(claims, "exp"), _numeric_date(claims, "nbf")
        if exp <= now - LEEWAY_S:  # PyJWT's bounds, on our clock
            raise _refuse("token expired")
        if nbf > now + LEEWAY_S:
            raise _refuse("token not yet valid")
        if _numeric_date(claims, "iat") > now + LEEWAY_S:
            raise _refuse("token issued in the future")
        try:
            user_id = int(claims["sub"])
        except (TypeError, ValueError):
            raise _refuse("bad subject") from None
        amr = claims.get("amr") or []
        return (
            Principal(
                user_id=user_id,
                role=str(claims.get("role", "customer")),
                session_id=str(claims["sid"]),
                amr=tuple(str(a) for a in amr) if isinstance(amr, list) else (),
                acr=str(claims.get("acr", ACR_BASIC)),
                device_id=claims.get("did") if isinstance(claims.get("did"), int) else None,
                claims=claims,
            ),
            kid,
            key,
        )
