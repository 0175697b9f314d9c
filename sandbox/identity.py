"""The identity providers' sandboxes built from settings and a world: the messaging provider
(:mod:`sandbox.notify`) and the facial validation service (:mod:`sandbox.datavalid`)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from fastapi import FastAPI

from lake.settings import Settings
from sandbox import datavalid, notify


def outbox_path(settings: Settings) -> Path:
    """Where the messaging sandbox mirrors what it 'sends' (read by ``cofre sandbox outbox``)."""
    return settings.home / "sandbox" / "outbox.jsonl"


def names_from_world(settings: Settings, seed: int | None = None) -> dict[str, str]:
    """CPF -> registered name, from the saved world's customers (empty when there is no world)."""
    from pipelines.sources.world_files import world_dir

    f = world_dir(settings, seed) / "customers.parquet"
    if not f.exists():
        return {}
    df = pl.read_parquet(f, columns=["cpf", "name"])
    return dict(zip(df["cpf"].to_list(), df["name"].to_list(), strict=True))


def notify_app(settings: Settings) -> FastAPI:
    return notify.create_app(settings.notify_token.get_secret_value(), outbox_path=outbox_path(settings))


def datavalid_app(settings: Settings, names: dict[str, str] | None = None) -> FastAPI:
    return datavalid.create_app(
        names_from_world(settings) if names is None else names,
        {settings.client_id: settings.client_secret.get_secret_value()},
        token_ttl_s=settings.sandbox_token_ttl_s,
        world_seed=settings.sim_seed,
    )
