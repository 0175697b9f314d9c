"""The one place where the embedded profile wires stand-ins into the product: in-process transports
of the identity providers' sandboxes for the gateway, used only for a provider with no URL set."""

from __future__ import annotations

from typing import Any

import httpx

from lake.settings import Settings


def identity_transports(settings: Settings, names: dict[str, str] | None = None) -> dict[str, Any]:
    from sandbox.identity import datavalid_app, notify_app

    out: dict[str, Any] = {}
    if settings.notify_url is None:
        out["notify"] = httpx.ASGITransport(app=notify_app(settings))
    if settings.datavalid_url is None:
        out["datavalid"] = httpx.ASGITransport(app=datavalid_app(settings, names))
    return out


def gateway(settings: Settings | None = None, **kwargs: Any):  # -> FastAPI
    """The gateway with the embedded wiring (what ``cofre serve`` runs)."""
    from lake.settings import get_settings
    from serving.app import create_app

    s = settings or get_settings()
    return create_app(s, identity_transports=identity_transports(s), **kwargs)
