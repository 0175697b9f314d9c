"""Wiring shared by the typed clients: token manager and HTTP client from settings.

A configured URL (``settings.open_finance_url`` etc.) means a real server; ``None`` means the
sandbox in-process, built from ``app`` if given, else from ``world`` (else the saved world, see
pipelines.sources.world_files).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import polars as pl

from lake.settings import Settings
from pipelines.sources.clock import Clock
from pipelines.sources.http import build_http
from pipelines.sources.oauth import TokenManager


def load_default_world(settings: Settings) -> dict[str, pl.DataFrame]:
    """The saved world for ``settings`` (see pipelines.sources.world_files)."""
    from pipelines.sources.world_files import load_world

    return load_world(settings)


def in_process_factory(
    create_app: Callable[..., Any], settings: Settings, world: dict | None, app: Any | None
) -> Callable[[], Any]:
    def factory() -> Any:
        if app is not None:
            return app
        return create_app(world if world is not None else load_default_world(settings), settings)

    return factory


def make_http_and_tokens(
    url: str | None,
    create_app: Callable[..., Any],
    settings: Settings,
    host: str,
    *,
    world: dict | None = None,
    app: Any | None = None,
    scope: str = "",
    clock: Clock | None = None,
) -> tuple[httpx.AsyncClient, TokenManager]:
    http = build_http(
        url, None if url is not None else in_process_factory(create_app, settings, world, app), settings, host
    )
    tokens = TokenManager(
        settings.client_id, settings.client_secret.get_secret_value(), scope=scope, clock=clock
    )
    return http, tokens
