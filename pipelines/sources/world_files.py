"""Load a saved world for the sandboxes: the simulator's loader, or the bare contract layout.

The contract (lake/domain/world_schema.py) says the simulator saves each table as
``COFRE_HOME/world/<seed>/<table>.parquet``; :func:`load_world_dir` reads that layout directly and
conforms every table (for worlds written without the simulator's manifest, e.g. test fixtures).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from lake.domain.world_schema import WORLD_SCHEMA, conform, empty_frame
from lake.settings import Settings
from pipelines.sources.simulator import io as sim_io


class WorldNotFoundError(FileNotFoundError):
    """No saved world where the settings point."""


def world_dir(settings: Settings, seed: int | None = None) -> Path:
    return settings.home / "world" / str(settings.sim_seed if seed is None else seed)


def load_world_dir(path: Path) -> dict[str, pl.DataFrame]:
    """Every contract table from ``path/<table>.parquet`` (missing optional tables are empty)."""
    if not (path / "customers.parquet").exists():
        raise WorldNotFoundError(
            f"no world at {path} (expected {path}/customers.parquet); run `cofre simulate` first"
        )
    out = {}
    for table in WORLD_SCHEMA:
        f = path / f"{table}.parquet"
        out[table] = conform(table, pl.read_parquet(f)) if f.exists() else empty_frame(table)
    return out


def load_world(settings: Settings, seed: int | None = None) -> dict[str, pl.DataFrame]:
    """The saved world for ``settings``, through the simulator's loader."""
    try:
        return sim_io.load_world(
            seed=settings.sim_seed if seed is None else seed, root=settings.home / "world"
        )
    except FileNotFoundError as exc:
        raise WorldNotFoundError(str(exc)) from exc
