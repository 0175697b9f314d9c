"""Shared helpers of the pipeline tests: a tiny simulated world and a settings environment per lake."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from lake import delta
from lake.settings import get_settings
from sandbox.simulator.config import SimConfig
from sandbox.simulator.io import load_world, write_world

TINY = SimConfig(customers=100, months=2, seed=7)


def make_world(root: Path, cfg: SimConfig = TINY) -> Path:
    folder = root / "world" / str(cfg.seed)
    if not (folder / "manifest.json").exists():
        write_world(cfg, folder)
    return folder


def world_frames(folder: Path) -> dict[str, pl.DataFrame]:
    return load_world(int(folder.name), root=folder.parent)


def counts(tables: list[str]) -> dict[str, int]:
    s = get_settings()
    return {t: (delta.row_count(t, settings=s) if delta.exists(t, s) else -1) for t in tables}
