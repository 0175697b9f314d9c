"""Retrying async HTTP client base shared by the Open Finance, Serasa and Pix clients.

:class:`ApiClient` wraps an ``httpx.AsyncClient`` that talks either to a real base URL or, when
the configured URL is ``None``, to the sandbox app in-process through ``httpx.ASGITransport``:
the same client code runs against both. It adds

* bearer tokens from a :class:`~pipelines.sources.oauth.TokenManager` (fetched lazily, refreshed
  before expiry, and once more after a 401);
* retries on 429, 5xx (500/502/503/504/529) and connect/read errors, up to ``settings.http_retries``
  times, sleeping ``uniform(0, min(max, base * 2**attempt))`` (exponential backoff, full jitter)
  but never less than the server's ``Retry-After``;
* timeouts from ``settings.http_timeout_s``.

The sleep function and the jitter RNG are injectable so tests check the delays, not the clock.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from lake.settings import Settings
from pipelines.sources.oauth import TokenManager

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 529})
RETRY_EXCEPTIONS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.ReadTimeout, httpx.RemoteProtocolError)


class UpstreamError(RuntimeError):
    """The external system kept failing (or failed in a way that is not retried)."""

    def __init__(self, message: str, status: int | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


def build_http(
    base_url: str | None, app_factory: Callable[[], Any] | None, settings: Settings, sandbox_host: str
) -> httpx.AsyncClient:
    """An AsyncClient to ``base_url``, or in-process to ``app_factory()`` when ``base_url`` is None."""
    timeout = httpx.Timeout(settings.http_timeout_s)
    if base_url is not None:
        return httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout)
    if app_factory is None:
        raise ValueError(f"no URL configured for {sandbox_host} and no in-process sandbox app given")
    transport = httpx.ASGITransport(app=app_factory())
    return httpx.AsyncClient(transport=transport, base_url=f"https://{sandbox_host}", timeout=timeout)


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds (delta-seconds or HTTP date relative to now); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        import datetime as _dt

        when = parsedate_to_datetime(value)
        return max(0.0, (when - _dt.datetime.now(_dt.UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


class ApiClient:
    """Base of the typed clients: authenticated, retrying requests against one external system."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: Settings,
        tokens: TokenManager | None,
        *,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.http = http
        self.settings = settings
        self.tokens = tokens
        self.max_retries = settings.http_retries
        self.base_s = settings.http_backoff_base_s
        self.cap_s = settings.http_backoff_max_s
        self._sleep = sleep or asyncio.sleep
        self._rng = rng or random.Random()  # nosec B311 # retry jitter
        self.attempts = 0
        self.retries = 0
        self.sleeps: list[float] = []

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()

    def backoff(self, attempt: int, retry_after: float | None) -> float:
        delay = self._rng.uniform(0.0, min(self.cap_s, self.base_s * (2**attempt)))
        if retry_after is not None:
            delay = max(delay, retry_after)
        return delay

    async def _pause(self, attempt: int, retry_after: float | None) -> None:
        delay = self.backoff(attempt, retry_after)
        self.sleeps.append(delay)
        self.retries += 1
        await self._sleep(delay)

    async def _bearer(self, tokens: TokenManager) -> str:
        """A valid bearer header, fetching a token (through the same retrying path) when needed."""
        if not tokens.valid():
            resp = await self.request(
                "POST",
                tokens.token_path,
                auth=False,
                data=tokens.form(),
                headers={"Authorization": tokens.basic_auth()},
            )
            tokens.accept(resp)
        return f"Bearer {tokens.token}"

    async def request(
        self,
        method: str,
        url: str,
        *,
        auth: bool = True,
        headers: dict[str, str] | None = None,
        tokens: TokenManager | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send with retries; returns the final response (any status not retried, or the last one).

        ``tokens`` overrides the client's token manager for this call (e.g. a consent-bound token).
        """
        tokens = tokens or self.tokens
        refreshed = False
        attempt = 0
        while True:
            hdrs = dict(headers or {})
            if auth and tokens is not None:
                hdrs["Authorization"] = await self._bearer(tokens)
            self.attempts += 1
            try:
                resp = await self.http.request(method, url, headers=hdrs, **kwargs)
            except RETRY_EXCEPTIONS as exc:
                if attempt >= self.max_retries:
                    raise UpstreamError(
                        f"{method} {url}: gave up after {attempt + 1} attempts: {exc!r}"
                    ) from exc
                await self._pause(attempt, None)
                attempt += 1
                continue
            if resp.status_code == 401 and auth and tokens is not None and not refreshed:
                tokens.invalidate()
                refreshed = True
                continue
            if resp.status_code in RETRY_STATUSES and attempt < self.max_retries:
                await self._pause(attempt, retry_after_seconds(resp.headers.get("retry-after")))
                attempt += 1
                continue
            return resp

    async def json(self, method: str, url: str, *, ok: tuple[int, ...] = (200,), **kwargs: Any) -> Any:
        """Request and return the JSON body; a non-``ok`` status raises via :meth:`raise_for`."""
        resp = await self.request(method, url, **kwargs)
        if resp.status_code not in ok:
            self.raise_for(resp)
        return resp.json() if resp.content else None

    def raise_for(self, resp: httpx.Response) -> None:
        """Turn an error response into an exception; subclasses map system-specific errors."""
        try:
            body = resp.json()
        except ValueError:
            body = resp.text
        raise UpstreamError(
            f"{resp.request.method} {resp.request.url} -> {resp.status_code}: {body}",
            status=resp.status_code,
            body=body,
        )
