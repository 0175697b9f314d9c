"""Customer buckets: the bucketed run equals the unpartitioned one, row for row; buckets written by
parallel processes commit to the same Delta tables; a bucket killed mid-write is re-run alone.

Real parts: the tiny world's bronze (shaped as the Open Finance pull stores it), Dagster
``materialize`` of the bucketed assets in child processes (tests/bucket_kit.py), Delta tables on disk.
The unpartitioned run is the same code location with one bucket (``COFRE_LAKE_BUCKETS=1``).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from deltalake import DeltaTable
from pipeline_helpers import make_world, world_frames

from bench.lake_pipeline import bronze_from_world
from lake import delta
from lake.catalog import get_table
from lake.settings import get_settings

TABLES = ["silver.transactions", "gold.transaction_features", "gold.customer_day", "gold.counterparty_pairs"]
ROOT = Path(__file__).resolve().parents[2]
KIT = ROOT / "tests" / "bucket_kit.py"
WRITTEN_AT = ("bucket", "computed_at", "ingested_at")  # where the bucketed and unpartitioned runs may differ


def _env(home: Path, buckets: int) -> dict[str, str]:
    return {
        **os.environ,
        "COFRE_HOME": str(home),
        "COFRE_PROFILE": "embedded",
        "COFRE_LAKE_BUCKETS": str(buckets),
        "PYTHONPATH": str(ROOT),
    }


def _start(home: Path, lake: Path, buckets: int, keys: list[str], *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(KIT), str(lake), *keys, *extra],
        env=_env(home, buckets),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(p: subprocess.Popen) -> list[dict]:
    out, err = p.communicate(timeout=600)
    assert p.returncode == 0, err[-3000:]
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def _lake_copy(env: dict, name: str) -> Path:
    lake = env["home"] / name
    shutil.copytree(env["base"], lake)
    return lake


def _table(lake: Path, name: str) -> pl.DataFrame:
    s = get_settings().model_copy(update={"lake_uri": str(lake)})
    t = get_table(name)
    return delta.read(name, settings=s).drop(WRITTEN_AT, strict=False).sort(list(t.primary_key))


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """Bronze and silver.logins of the tiny world in a base lake; the unpartitioned run's tables."""
    home = tmp_path_factory.mktemp("home")
    mp = pytest.MonkeyPatch()
    mp.setenv("COFRE_HOME", str(home))
    mp.setenv("COFRE_PROFILE", "embedded")
    get_settings.cache_clear()
    base = home / "base"
    s = get_settings().model_copy(update={"lake_uri": str(base)})
    world = world_frames(make_world(home))
    for table, df in bronze_from_world(world, datetime.now(UTC)).items():
        delta.append(table, df, s)
    from dagster import materialize

    from pipelines.bank.assets import silver_logins
    from pipelines.resources import LakeResource

    assert materialize([silver_logins], resources={"lake": LakeResource(lake_uri=str(base))}).success
    out = {"home": home, "base": base, "world": world}
    ref = _lake_copy(out, "unpartitioned")
    _finish(_start(home, ref, 1, ["0"]))
    out["reference"] = {x: _table(ref, x) for x in TABLES}
    yield out
    mp.undo()
    get_settings.cache_clear()


def test_reference_covers_the_world(env):
    ref = env["reference"]
    n = env["world"]["transactions"].height
    assert ref["silver.transactions"].height == n
    assert ref["gold.transaction_features"].height == n
    assert ref["gold.customer_day"].height > 0 and ref["gold.counterparty_pairs"].height > 0


def test_parallel_bucket_processes_equal_the_unpartitioned_run(env):
    lake = _lake_copy(env, "parallel")
    procs = [_start(env["home"], lake, 4, [str(b)]) for b in range(4)]  # one writer process per bucket
    runs = [_finish(p) for p in procs]
    assert all(len(r) == len(TABLES) for r in runs)
    for name in TABLES:
        got = _table(lake, name)
        assert got.equals(env["reference"][name]), name
        dt = DeltaTable(str(lake / name.replace(".", "/")))
        assert dt.metadata().partition_columns == ["bucket"]
        buckets = delta.read(
            name, settings=get_settings().model_copy(update={"lake_uri": str(lake)})
        ).get_column("bucket")
        assert sorted(buckets.unique().to_list()) == [0, 1, 2, 3]


def test_bucket_killed_mid_write_is_rerun_alone(env):
    lake = _lake_copy(env, "killed")
    s = get_settings().model_copy(update={"lake_uri": str(lake)})
    _finish(_start(env["home"], lake, 4, ["0", "1", "3"]))
    p = _start(env["home"], lake, 4, ["2"], "--kill-in", "gold.transaction_features")
    p.communicate(timeout=600)
    assert p.returncode == -signal.SIGKILL  # died in the write, at the hook
    # silver's bucket 2 was committed before; gold.transaction_features' bucket 2 never was
    assert 2 in delta.read("silver.transactions", settings=s).get_column("bucket").to_list()
    feats = delta.read("gold.transaction_features", settings=s)
    assert sorted(feats.get_column("bucket").unique().to_list()) == [0, 1, 3]
    assert not feats.equals(env["reference"]["gold.transaction_features"])

    rerun = {r["asset"]: r for r in _finish(_start(env["home"], lake, 4, ["2"]))}
    assert rerun["silver/transactions"]["skipped"] is True  # its watermark was committed with its rows
    assert rerun["gold/transaction_features"]["skipped"] is False
    for name in TABLES:
        assert _table(lake, name).equals(env["reference"][name]), name
