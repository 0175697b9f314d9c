"""`cofre serve`: run the FastAPI gateway with uvicorn (OpenAPI at /openapi.json, docs at /docs)."""

from __future__ import annotations

import typer

app = typer.Typer()


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="interface to bind"),
    port: int = typer.Option(8000, help="TCP port"),
    log_level: str = typer.Option("info"),
    log_format: str = typer.Option("json", help="json (one object per line, with trace ids) or text"),
) -> None:
    """Start the gateway (all routers) on HOST:PORT."""
    import logging.config

    import uvicorn

    from cofre.embedded import gateway
    from serving.observability import log_config

    config = log_config(log_level) if log_format == "json" else uvicorn.config.LOGGING_CONFIG
    if log_format == "json":
        logging.config.dictConfig(config)
    uvicorn.run(gateway(), host=host, port=port, log_level=log_level, proxy_headers=False, log_config=config)
