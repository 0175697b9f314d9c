"""`cofre sandbox serve`: run the Open Finance, Serasa and Pix sandboxes on loopback ports.

``--system all`` starts them in one process on PORT (open-finance), PORT+1 (serasa), PORT+2
(pix), PORT+3 (notify: the SMS/e-mail provider) and PORT+4 (datavalid: facial validation).
``--system soroban`` runs the Soroban RPC sandbox (Rust, native/contracts/rpc_sandbox; built on first
use) on PORT with its ledger under COFRE_HOME/soroban, the bank's anchoring key as deployer.
``cofre sandbox outbox`` prints what the messaging sandbox "sent" (the one-time codes of identity
proofing, for a person trying the app). Data come from the saved world (``COFRE_HOME/world/<seed>/``, or the simulator's
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

SYSTEMS = ("open-finance", "serasa", "pix", "notify", "datavalid")


def build_app(system: str, world: dict[str, pl.DataFrame], settings: Settings) -> FastAPI:
    """The sandbox app of ``system`` over ``world``."""
    if system == "open-finance":
        from sandbox.open_finance.server import create_app
    elif system == "serasa":
        from sandbox.serasa import create_app
    elif system == "pix":
        from sandbox.pix.server import create_app
    elif system == "notify":
        from sandbox.identity import notify_app

        return notify_app(settings)
    elif system == "datavalid":
        from sandbox.identity import datavalid_app

        names = (
            {r["cpf"]: r["name"] for r in world.customers.values()} if hasattr(world, "customers") else None
        )
        return datavalid_app(settings, names)
    else:
        raise typer.BadParameter(f"unknown system {system!r}; one of {', '.join(SYSTEMS)} or all")
    return create_app(world, settings)


@app.command()
def serve(
    system: str = typer.Option(
        "all", help="open-finance | serasa | pix | notify | datavalid | soroban | all"
    ),
    port: int = typer.Option(8700, help="port (all: PORT .. PORT+4)"),
    host: str = typer.Option("127.0.0.1", help="bind address (loopback by default)"),
    seed: int | None = typer.Option(None, help="world seed (default: COFRE_SIM_SEED)"),
) -> None:
    """Serve sandboxes until interrupted."""
    import asyncio

    import uvicorn

    from lake.settings import get_settings
    from pipelines.sources.world_files import WorldNotFoundError, load_world
    from sandbox.world_index import WorldIndex

    if system == "soroban":
        _serve_soroban(host, port)
        return
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
        from sandbox.metrics import SandboxMetrics

        cfg = uvicorn.Config(
            SandboxMetrics(build_app(name, index, settings), name),
            host=host,
            port=port + offset,
            log_level="info",
        )
        servers.append(uvicorn.Server(cfg))
        typer.echo(f"{name}: http://{host}:{port + offset}")

    async def run_all() -> None:
        await asyncio.gather(*(s.serve() for s in servers))

    asyncio.run(run_all())


def _serve_soroban(host: str, port: int) -> None:
    from lake.audit import anchoring
    from lake.settings import get_settings
    from sandbox import soroban

    settings = get_settings()
    running = soroban.start(
        settings.home / "soroban",
        anchoring.public_key(settings),
        settings.soroban_network_passphrase,
        host=host,
        port=port,
    )
    typer.echo(f"soroban: {running.url} (COFRE_SOROBAN_RPC_URL={running.url})")
    try:
        running.process.wait()
    except KeyboardInterrupt:
        running.stop()


@app.command()
def outbox(
    to: str | None = typer.Option(None, help="only messages to this phone (55DDNNNNNNNNN) or e-mail"),
    last: int = typer.Option(10, help="how many of the latest messages"),
) -> None:
    """Messages the SMS/e-mail sandbox accepted (newest last), e.g. identity-proofing codes."""
    import json

    from lake.settings import get_settings
    from sandbox.identity import outbox_path
    from sandbox.notify import read_outbox_file

    for m in read_outbox_file(outbox_path(get_settings()), to)[-last:]:
        typer.echo(json.dumps(m, ensure_ascii=False))
