"""Clients of the identity providers: the SMS/e-mail provider (Zenvia-like v2 messaging API,
``X-API-TOKEN``) and the facial validation service (Datavalid-like, OAuth2 client credentials).

Both take a configured base URL (``COFRE_NOTIFY_URL``, ``COFRE_DATAVALID_URL``) or, in the embedded
profile, an in-process transport handed over by the one embedded wiring (``cofre.embedded``).
Requests retry on 429, 5xx and connection errors with exponential backoff and full jitter, never
less than ``Retry-After``; the sleep is injectable so tests check delays, not the clock.
"""

from __future__ import annotations

import asyncio
import base64
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from lake.settings import Settings

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRY_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.ReadTimeout, httpx.RemoteProtocolError)


class ProviderError(RuntimeError):
    """The provider refused the request or kept failing."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class _Retrying:
    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: Settings,
        *,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.http = http
        self.retries = settings.http_retries
        self.base_s = settings.http_backoff_base_s
        self.cap_s = settings.http_backoff_max_s
        self._sleep = sleep or asyncio.sleep
        self._rng = rng or random.Random()  # nosec B311 # retry jitter

    async def send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        attempt = 0
        while True:
            try:
                resp = await self.http.request(method, url, **kwargs)
            except RETRY_ERRORS as exc:
                if attempt >= self.retries:
                    raise ProviderError(f"{method} {url}: unreachable after {attempt + 1} attempts") from exc
                await self._sleep(self._delay(attempt, None))
                attempt += 1
                continue
            if resp.status_code in RETRY_STATUSES and attempt < self.retries:
                await self._sleep(self._delay(attempt, resp.headers.get("retry-after")))
                attempt += 1
                continue
            return resp

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        delay = self._rng.uniform(0.0, min(self.cap_s, self.base_s * 2**attempt))
        if retry_after and retry_after.strip().isdigit():
            delay = max(delay, float(retry_after))
        return delay


class NotifyClient(_Retrying):
    """Sends SMS and e-mail through the messaging provider."""

    def __init__(self, http: httpx.AsyncClient, settings: Settings, **kw: Any) -> None:
        super().__init__(http, settings, **kw)
        self.token = settings.notify_token.get_secret_value()
        self.sender = settings.notify_sender

    async def send_sms(self, phone_e164: str, text: str) -> str:
        to = phone_e164.lstrip("+")
        return await self._post("sms", to, [{"type": "text", "text": text}])

    async def send_email(self, address: str, subject: str, text: str) -> str:
        return await self._post("email", address, [{"type": "email", "subject": subject, "text": text}])

    async def _post(self, channel: str, to: str, contents: list[dict[str, str]]) -> str:
        resp = await self.send(
            "POST",
            f"/v2/channels/{channel}/messages",
            json={"from": self.sender, "to": to, "contents": contents},
            headers={"X-API-TOKEN": self.token},
        )
        if resp.status_code != 200:
            raise ProviderError(
                f"{channel} message refused: {resp.status_code} {resp.text[:200]}", resp.status_code
            )
        return str(resp.json()["id"])


@dataclass(frozen=True)
class FaceResult:
    similarity: float
    probability: str
    name_match: bool | None


class DatavalidClient(_Retrying):
    """Validates a selfie (and the name) against the government record of a CPF."""

    def __init__(
        self, http: httpx.AsyncClient, settings: Settings, *, clock=time.monotonic, **kw: Any
    ) -> None:  # noqa: ANN001
        super().__init__(http, settings, **kw)
        self.client_id = settings.client_id
        self.client_secret = settings.client_secret.get_secret_value()
        self._clock = clock
        self._token: str | None = None
        self._expires = 0.0

    async def _bearer(self, *, force: bool = False) -> str:
        if force or self._token is None or self._clock() >= self._expires - 30:
            basic = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
            resp = await self.send(
                "POST",
                "/token",
                data={"grant_type": "client_credentials"},
                headers={"Authorization": f"Basic {basic}"},
            )
            if resp.status_code != 200:
                raise ProviderError(f"token refused: {resp.status_code}", resp.status_code)
            body = resp.json()
            self._token = body["access_token"]
            self._expires = self._clock() + float(body.get("expires_in", 300))
        return f"Bearer {self._token}"

    async def pf_facial(self, cpf: str, name: str | None, image: bytes) -> FaceResult:
        payload = {
            "key": {"cpf": cpf},
            "answer": {"nome": name, "biometria_face": base64.b64encode(image).decode()},
        }
        resp = await self.send(
            "POST", "/datavalid/v4/pf-facial", json=payload, headers={"Authorization": await self._bearer()}
        )
        if resp.status_code == 401:  # token expired on the provider's side: once more with a new one
            headers = {"Authorization": await self._bearer(force=True)}
            resp = await self.send("POST", "/datavalid/v4/pf-facial", json=payload, headers=headers)
        if resp.status_code == 400:
            raise ProviderError(f"image refused: {resp.json().get('mensagem', '')}", 400)
        if resp.status_code != 200:
            raise ProviderError(
                f"facial validation failed: {resp.status_code} {resp.text[:200]}", resp.status_code
            )
        body = resp.json()
        face = body.get("biometria_face") or {}
        if not face.get("disponivel"):
            raise ProviderError("no reference photo for this CPF", 404)
        return FaceResult(float(face["similaridade"]), str(face["probabilidade"]), body.get("nome"))


@dataclass
class IdentityProviders:
    notify: NotifyClient | None
    datavalid: DatavalidClient | None


def build_providers(
    settings: Settings, transports: dict[str, httpx.AsyncBaseTransport] | None = None
) -> IdentityProviders:
    """Clients for the configured URLs, else for the in-process transports (``notify``, ``datavalid``)
    the embedded wiring provides; a provider with neither is None (its routes answer 503)."""
    transports = transports or {}
    timeout = httpx.Timeout(settings.http_timeout_s)

    def http(url: str | None, name: str) -> httpx.AsyncClient | None:
        if url is not None:
            return httpx.AsyncClient(base_url=url.rstrip("/"), timeout=timeout)
        if name in transports:
            return httpx.AsyncClient(
                transport=transports[name], base_url=f"https://{name}.sandbox", timeout=timeout
            )
        return None

    notify_http = http(settings.notify_url, "notify")
    face_http = http(settings.datavalid_url, "datavalid")
    return IdentityProviders(
        notify=NotifyClient(notify_http, settings) if notify_http else None,
        datavalid=DatavalidClient(face_http, settings) if face_http else None,
    )
