"""Persist the simulated world as parquet under ``COFRE_HOME/world/<seed>/`` and load it back.

``write_world`` streams: static tables are written at once, transactions and logins one month at a
time as row groups of a single parquet file each, so memory stays bounded by one month. The folder
is written under a temporary name and renamed at the end, with a ``manifest.json`` recording the
configuration and row counts; ``ensure_world`` regenerates only when the manifest does not match.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from lake.domain.world_schema import WORLD_SCHEMA, conform
from lake.settings import Settings, get_settings
from pipelines.sources.world_files import MANIFEST, read_manifest
from sandbox.simulator.config import SimConfig
from sandbox.simulator.world import MONTHLY_TABLES, TABLES, iter_world


def world_root(root: Path | str | None = None) -> Path:
    return Path(root) if root is not None else get_settings().home / "world"


def world_dir(seed: int | None = None, root: Path | str | None = None) -> Path:
    """Folder of the world of ``seed`` (default: settings.sim_seed) under ``root`` (COFRE_HOME/world)."""
    return world_root(root) / str(get_settings().sim_seed if seed is None else seed)


def config_from_settings(settings: Settings | None = None, **overrides: object) -> SimConfig:
    s = settings or get_settings()
    base = {
        "customers": s.sim_customers,
        "months": s.sim_months,
        "seed": s.sim_seed,
        "fraud_rate": s.sim_fraud_rate,
    }
    base.update({k: v for k, v in overrides.items() if v is not None})
    return SimConfig(**base)  # type: ignore[arg-type]


def write_world(
    cfg: SimConfig, out_dir: Path | str, on_month: Callable[[int], None] | None = None
) -> dict[str, int]:
    """Generate ``cfg``'s world into ``out_dir`` (replaced atomically); returns rows per table."""
    out = Path(out_dir)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    writers: dict[str, pq.ParquetWriter] = {}
    rows = {t: 0 for t in TABLES}
    try:
        for name, df in iter_world(cfg, on_month=on_month):
            rows[name] += df.height
            if name in MONTHLY_TABLES:
                table = df.to_arrow()
                if name not in writers:
                    writers[name] = pq.ParquetWriter(
                        tmp / f"{name}.parquet", table.schema, compression="zstd"
                    )
                writers[name].write_table(table)
            else:
                df.write_parquet(tmp / f"{name}.parquet", compression="zstd")
        for w in writers.values():
            w.close()
        writers.clear()
        (tmp / MANIFEST).write_text(json.dumps({"config": cfg.as_dict(), "rows": rows}, indent=2))
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    finally:
        for w in writers.values():
            w.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


def load_world(seed: int | None = None, root: Path | str | None = None) -> dict[str, pl.DataFrame]:
    """Read every table of a written world, conformed to WORLD_SCHEMA; FileNotFoundError if absent."""
    folder = world_dir(seed, root)
    if read_manifest(folder) is None:
        raise FileNotFoundError(f"no simulated world at {folder} (run `cofre simulate`)")
    return {t: conform(t, pl.read_parquet(folder / f"{t}.parquet")) for t in WORLD_SCHEMA}


def ensure_world(settings: Settings | None = None, on_month: Callable[[int], None] | None = None) -> Path:
    """The folder of the world the settings describe, generated first if missing or different."""
    s = settings or get_settings()
    cfg = config_from_settings(s)
    folder = s.home / "world" / str(cfg.seed)
    manifest = read_manifest(folder)
    if manifest is None or manifest.get("config") != cfg.as_dict():
        write_world(cfg, folder, on_month=on_month)
    return folder
