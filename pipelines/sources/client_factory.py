"""Wiring shared by the typed clients: token manager and HTTP client from settings.

A configured URL (``settings.open_finance_url`` etc.) means a real server; ``None`` means the
system's sandbox in-process: ``app`` if given, else the one the installed provider builds over
``world`` (else over the saved world; see pipelines.sources.in_process).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from lake.settings import Settings
from pipelines.sources import in_process
from pipelines.sources.clock import Clock
from pipelines.sources.http import build_http
from pipelines.sources.oauth import TokenManager


def in_process_factory(
    system: str, settings: Settings, world: dict | None, app: Any | None
) -> Callable[[], Any]:
    def factory() -> Any:
        return app if app is not None else in_process.app(system, settings, world)

    return factory


def make_http_and_tokens(
    url: str | None,
    system: str,
    settings: Settings,
    host: str,
    *,
    world: dict | None = None,
    app: Any | None = None,
    scope: str = "",
    clock: Clock | None = None,
) -> tuple[httpx.AsyncClient, TokenManager]:
    http = build_http(
        url, None if url is not None else in_process_factory(system, settings, world, app), settings, host
    )
    tokens = TokenManager(
        settings.client_id, settings.client_secret.get_secret_value(), scope=scope, clock=clock
    )
    return http, tokens
