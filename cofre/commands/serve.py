"""`cofre serve`: run the FastAPI gateway with uvicorn (OpenAPI at /openapi.json, docs at /docs)."""

from __future__ import annotations

import typer

app = typer.Typer()


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="interface to bind"),
    port: int = typer.Option(8000, help="TCP port"),
    log_level: str = typer.Option("info"),
) -> None:
    """Start the gateway (all routers) on HOST:PORT."""
    import uvicorn

    from cofre.embedded import gateway

    uvicorn.run(gateway(), host=host, port=port, log_level=log_level, proxy_headers=False)
