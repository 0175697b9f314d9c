"""`cofre sandbox serve`: run the Open Finance, Serasa and Pix sandboxes on loopback ports.

``--system all`` starts the three in one process on PORT (open-finance), PORT+1 (serasa) and
PORT+2 (pix). Data come from the saved world (``COFRE_HOME/world/<seed>/``, or the simulator's
loader); fault injection and token TTL come from the COFRE_SANDBOX_* settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    import polars as pl
    from fastapi import FastAPI

    from lake.settings import Settings

app = typer.Typer(help="Sandboxes of the external systems (Open Finance, Serasa, Pix)")

SYSTEMS = ("open-finance", "serasa", "pix")


def build_app(system: str, world: dict[str, pl.DataFrame], settings: Settings) -> FastAPI:
    """The sandbox app of ``system`` over ``world``."""
    if system == "open-finance":
        from pipelines.sources.open_finance.sandbox import create_app
    elif system == "serasa":
        from pipelines.sources.serasa.sandbox import create_app
    elif system == "pix":
        from pipelines.sources.pix.sandbox import create_app
    else:
        raise typer.BadParameter(f"unknown system {system!r}; one of {', '.join(SYSTEMS)} or all")
    return create_app(world, settings)


@app.command()
def serve(
    system: str = typer.Option("all", help="open-finance | serasa | pix | all"),
    port: int = typer.Option(8700, help="port (all: PORT, PORT+1, PORT+2)"),
    host: str = typer.Option("127.0.0.1", help="bind address (loopback by default)"),
    seed: int | None = typer.Option(None, help="world seed (default: COFRE_SIM_SEED)"),
) -> None:
    """Serve sandboxes until interrupted."""
    import asyncio

    import uvicorn

    from lake.settings import get_settings
    from pipelines.sources.world_files import WorldNotFoundError, load_world
    from pipelines.sources.world_index import WorldIndex

    if system != "all" and system not in SYSTEMS:
        raise typer.BadParameter(f"unknown system {system!r}; one of {', '.join(SYSTEMS)} or all")
    settings = get_settings()
    try:
        index = WorldIndex(load_world(settings, seed))
    except WorldNotFoundError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    chosen = SYSTEMS if system == "all" else (system,)
    servers = []
    for offset, name in enumerate(chosen):
        cfg = uvicorn.Config(
            build_app(name, index, settings), host=host, port=port + offset, log_level="info"
        )
        servers.append(uvicorn.Server(cfg))
        typer.echo(f"{name}: http://{host}:{port + offset}")

    async def run_all() -> None:
        await asyncio.gather(*(s.serve() for s in servers))

    asyncio.run(run_all())
