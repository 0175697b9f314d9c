"""`cofre serve`: run the FastAPI gateway with uvicorn (OpenAPI at /openapi.json, docs at /docs).

uvicorn's own ``Server`` header is off (it names the software and version to every client); the
gateway's security headers are set by :mod:`serving.security.headers`.
"""

from __future__ import annotations

import typer

app = typer.Typer()


def build_server(host: str, port: int, log_level: str = "info"):  # noqa: ANN201 - uvicorn.Server
    """The uvicorn server `cofre serve` runs: the whole gateway, no ``Server`` header, no trust in
    proxy headers for the client address."""
    import uvicorn

    from cofre.embedded import gateway

    config = uvicorn.Config(
        gateway(), host=host, port=port, log_level=log_level, proxy_headers=False, server_header=False
    )
    return uvicorn.Server(config)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="interface to bind"),
    port: int = typer.Option(8000, help="TCP port"),
    log_level: str = typer.Option("info"),
) -> None:
    """Start the gateway (all routers) on HOST:PORT."""
    build_server(host, port, log_level).run()
