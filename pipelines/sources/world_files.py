"""Read a saved world: the export of the bank's internal systems in the world contract's layout.

The contract (lake/domain/world_schema.py) says each table is saved as
``COFRE_HOME/world/<seed>/<table>.parquet``, with a ``manifest.json`` describing the export;
:func:`load_world_dir` reads that layout and conforms every table. Whoever wrote it (the simulator
in sandbox/, a test fixture) does not matter here.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from lake.domain.world_schema import WORLD_SCHEMA, conform, empty_frame
from lake.settings import Settings

MANIFEST = "manifest.json"


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
    """The saved world for ``settings`` (``COFRE_HOME/world/<sim_seed>``)."""
    return load_world_dir(world_dir(settings, seed))


def read_manifest(folder: Path | str) -> dict | None:
    """The world's ``manifest.json`` (None when absent, e.g. a world written without one)."""
    p = Path(folder) / MANIFEST
    return json.loads(p.read_text()) if p.exists() else None
