"""The one place where the embedded profile wires stand-ins into the product, each used only for a
system with no URL set: in-process transports of the identity providers' sandboxes for the gateway,
and the in-process Open Finance, Serasa, Pix and Horizon sandboxes for the pipelines' clients
(installed into pipelines.sources.in_process by :func:`install_sandboxes`: the cofre CLI, the Dagster
code location of workspace.yaml and the test suite call it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lake.settings import Settings

if TYPE_CHECKING:
    import polars as pl
    from fastapi import FastAPI


def _sandbox_app(system: str, settings: Settings, world: dict[str, pl.DataFrame] | None) -> Any:
    from sandbox.in_process import app_for

    return app_for(system, settings, world)


def install_sandboxes() -> None:
    """Let clients with no URL configured talk to the sandboxes in-process."""
    from pipelines.sources import in_process

    in_process.install(_sandbox_app)


def identity_transports(settings: Settings, names: dict[str, str] | None = None) -> dict[str, Any]:
    import httpx

    from sandbox.identity import datavalid_app, notify_app

    out: dict[str, Any] = {}
    if settings.notify_url is None:
        out["notify"] = httpx.ASGITransport(app=notify_app(settings))
    if settings.datavalid_url is None:
        out["datavalid"] = httpx.ASGITransport(app=datavalid_app(settings, names))
    return out


def gateway(settings: Settings | None = None, **kwargs: Any) -> FastAPI:
    """The gateway with the embedded wiring (what ``cofre serve`` runs)."""
    from lake.settings import get_settings
    from serving.app import create_app

    s = settings or get_settings()
    return create_app(s, identity_transports=identity_transports(s), **kwargs)
