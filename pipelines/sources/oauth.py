"""OAuth2 client-credentials for the sandboxes (server side) and the clients (token handling).

Server side: :class:`TokenIssuer` keeps the registered clients and the issued bearer tokens with
their expiry (read from a :class:`~pipelines.sources.clock.Clock`); :func:`token_router` mounts
``POST /token`` (form ``grant_type=client_credentials``; client id/secret by HTTP Basic or form;
optional ``scope``; RFC 6749 error bodies); :meth:`TokenIssuer.authenticate` checks an
``Authorization: Bearer`` header and raises :class:`AuthError` (each sandbox renders it in its own
error shape). A sandbox may pass ``scope_check`` to accept or refuse scopes (Open Finance binds a
token to a consent through the scope ``consent:<consentId>``).

Client side: :class:`TokenManager` obtains a token, caches it, refreshes it shortly before expiry
and on demand (after a 401).
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from pipelines.sources.clock import Clock, SystemClock


class AuthError(Exception):
    """Missing, unknown or expired bearer token (HTTP 401)."""

    def __init__(self, code: str, detail: str, status: int = 401) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.status = status


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    client_id: str
    scope: str
    expires_at: float

    @property
    def scopes(self) -> tuple[str, ...]:
        return tuple(self.scope.split())


class TokenIssuer:
    """Issues and checks opaque bearer tokens for registered clients."""

    def __init__(
        self,
        clients: dict[str, str],
        ttl_s: int,
        clock: Clock | None = None,
        scope_check: Callable[[str], str | None] | None = None,
    ) -> None:
        self.clients = dict(clients)
        self.ttl_s = ttl_s
        self.clock = clock or SystemClock()
        self.scope_check = scope_check
        self._tokens: dict[str, IssuedToken] = {}

    def issue(self, client_id: str, client_secret: str, scope: str = "") -> IssuedToken:
        expected = self.clients.get(client_id)
        if expected is None or not secrets.compare_digest(expected, client_secret):
            raise AuthError("invalid_client", "unknown client or wrong secret")
        if self.scope_check is not None and scope:
            problem = self.scope_check(scope)
            if problem:
                raise AuthError("invalid_scope", problem, status=400)
        token = IssuedToken(secrets.token_urlsafe(32), client_id, scope, self.clock.time() + self.ttl_s)
        self._tokens[token.access_token] = token
        return token

    def authenticate(self, authorization: str | None) -> IssuedToken:
        if not authorization:
            raise AuthError("UNAUTHORIZED", "Authorization header with a Bearer token is required")
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise AuthError("UNAUTHORIZED", "Authorization must be 'Bearer <token>'")
        token = self._tokens.get(value.strip())
        if token is None:
            raise AuthError("UNAUTHORIZED", "unknown bearer token")
        if self.clock.time() >= token.expires_at:
            self._tokens.pop(token.access_token, None)
            raise AuthError("TOKEN_EXPIRED", "bearer token expired")
        return token


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    headers = {"Cache-Control": "no-store"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="sandbox"'
    return JSONResponse(
        {"error": error, "error_description": description}, status_code=status, headers=headers
    )


def token_router(issuer: TokenIssuer, path: str = "/token") -> APIRouter:
    """``POST /token`` (client-credentials grant) backed by ``issuer``."""
    router = APIRouter()

    @router.post(path, include_in_schema=True, tags=["oauth"])
    async def token(request: Request) -> JSONResponse:
        form = await request.form()
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(
                400, "unsupported_grant_type", "only grant_type=client_credentials is supported"
            )
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        basic = request.headers.get("authorization", "")
        if basic.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(basic[6:].strip()).decode()
                client_id, _, client_secret = decoded.partition(":")
            except (ValueError, UnicodeDecodeError):
                return _oauth_error(401, "invalid_client", "malformed HTTP Basic credentials")
        if not client_id or client_secret is None:
            return _oauth_error(401, "invalid_client", "client credentials are required")
        try:
            tok = issuer.issue(str(client_id), str(client_secret), str(form.get("scope") or ""))
        except AuthError as exc:
            return _oauth_error(exc.status, exc.code, exc.detail)
        body = {"access_token": tok.access_token, "token_type": "Bearer", "expires_in": issuer.ttl_s}  # nosec B105
        if tok.scope:
            body["scope"] = tok.scope
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    return router


class TokenError(RuntimeError):
    """The token endpoint refused the client's credentials or scope."""


class TokenManager:
    """Client-side token cache: fetch, reuse, refresh before expiry or after a 401."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        token_path: str = "/token",
        scope: str = "",
        clock: Clock | None = None,
        refresh_margin_s: float = 30.0,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_path = token_path
        self.scope = scope
        self.clock = clock or SystemClock()
        self.refresh_margin_s = refresh_margin_s
        self._token: str | None = None
        self._expires_at = 0.0
        self.fetches = 0

    def invalidate(self) -> None:
        self._token = None

    @property
    def token(self) -> str | None:
        return self._token

    def valid(self) -> bool:
        if self._token is None:
            return False
        lifetime_margin = min(self.refresh_margin_s, self._ttl * 0.1)
        return self.clock.time() < self._expires_at - lifetime_margin

    def form(self) -> dict[str, str]:
        """The token request's form body."""
        data = {"grant_type": "client_credentials"}
        if self.scope:
            data["scope"] = self.scope
        return data

    def basic_auth(self) -> str:
        """``Authorization: Basic ...`` carrying the client id and secret."""
        raw = f"{self.client_id}:{self.client_secret}".encode()
        return "Basic " + base64.b64encode(raw).decode()

    def accept(self, resp: httpx.Response) -> str:
        """Store the token of a token-endpoint response; :class:`TokenError` if it was refused."""
        if resp.status_code != 200:
            raise TokenError(f"token endpoint answered {resp.status_code}: {resp.text[:300]}")
        body = resp.json()
        self._token = body["access_token"]
        self._ttl = float(body.get("expires_in", 300))
        self._expires_at = self.clock.time() + self._ttl
        self.fetches += 1
        return self._token

    async def fetch(self, http: httpx.AsyncClient) -> str:
        """Obtain a token with ``http`` directly (no retries; ApiClient goes through its retrying path)."""
        return self.accept(
            await http.post(self.token_path, data=self.form(), headers={"Authorization": self.basic_auth()})
        )

    _ttl: float = 300.0
