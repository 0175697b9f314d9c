"""`cofre serve`: run the FastAPI gateway with uvicorn (OpenAPI at /openapi.json, docs at /docs).

uvicorn's own ``Server`` header is off (it names the software and version to every client); the
gateway's security headers are set by :mod:`serving.security.headers`.
Binding anything but a loopback interface exposes the gateway to other machines: it then refuses to
start unless the installation secret is explicit (COFRE_SECRET_KEY), as the stack profile does.

Workers: ``COFRE_GATEWAY_WORKERS`` processes (uvicorn's supervisor, one listening socket) in every
profile. Before they start, this process migrates the database, creates the first signing key and
the rate-limit file (:func:`serving.services.build_services`) and empties the Prometheus
multiprocess folder ``COFRE_HOME/run/prometheus`` the workers inherit (:mod:`serving.metrics`);
each worker builds its own app with ``cofre.embedded:gateway`` from the same environment.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    import uvicorn

    from lake.settings import Settings

app = typer.Typer()


def build_server(
    host: str,
    port: int,
    log_level: str = "info",
    settings: Settings | None = None,
    log_format: str = "text",
) -> uvicorn.Server:
    """The uvicorn server `cofre serve` runs: the whole gateway, no ``Server`` header, no trust in
    proxy headers for the client address. ``log_format="json"`` writes one JSON object per log line
    with the trace and span ids (:func:`serving.observability.log_config`)."""
    import logging.config

    import uvicorn

    from cofre.embedded import gateway

    log_config = uvicorn.config.LOGGING_CONFIG
    if log_format == "json":
        from serving.observability import log_config as json_log_config

        log_config = json_log_config(log_level)
        logging.config.dictConfig(log_config)
    config = uvicorn.Config(
        gateway(settings),
        host=host,
        port=port,
        log_level=log_level,
        proxy_headers=False,
        server_header=False,
        log_config=log_config,
    )
    return uvicorn.Server(config)


def is_loopback(host: str) -> bool:
    """Whether ``host`` names only the loopback interface (``localhost``, 127.0.0.0/8, ``::1``)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name or a wildcard: may be reachable from outside


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="interface to bind"),
    port: int = typer.Option(8000, help="TCP port"),
    log_level: str = typer.Option("info"),
    log_format: str = typer.Option("json", help="json (one object per line, with trace ids) or text"),
) -> None:
    """Start the gateway (all routers) on HOST:PORT."""
    from lake.settings import SettingsError, get_settings

    try:
        settings = get_settings()
        if not is_loopback(host):
            settings.require_explicit_secrets(f"`cofre serve` binds the non-loopback interface {host!r}")
        if settings.profile == "stack":
            settings.require_explicit_secrets("the stack profile is in use")
    except SettingsError as exc:
        typer.echo(f"cofre serve: {exc}", err=True)
        raise typer.Exit(2) from None

    if settings.gateway_workers == 1:
        build_server(host, port, log_level, settings, log_format).run()
    else:
        run_workers(host, port, log_level, settings, log_format)


def run_workers(host: str, port: int, log_level: str, settings: Settings, log_format: str = "text") -> None:
    """``settings.gateway_workers`` uvicorn workers of the whole gateway on HOST:PORT (returns when
    they stop). Settings reach the workers through the environment (``COFRE_*``), as they reached us."""
    import uvicorn

    from serving.metrics import prepare_multiprocess_dir
    from serving.services import build_services

    prepare_multiprocess_dir(settings.home / "run" / "prometheus")
    build_services(settings).close()  # migrations, first key, counter file: once, before the workers
    log_config = uvicorn.config.LOGGING_CONFIG
    if log_format == "json":
        from serving.observability import log_config as json_log_config

        log_config = json_log_config(log_level)
    uvicorn.run(
        "cofre.embedded:gateway",
        factory=True,
        host=host,
        port=port,
        workers=settings.gateway_workers,
        log_level=log_level,
        proxy_headers=False,
        server_header=False,
        log_config=log_config,
    )
