"""The pipeline on the stack profile (S3 lake on SeaweedFS), concurrent writers, and the notebook.

Each test uses its own S3 prefix (``s3://lake/test-<uuid>``) so parallel runs do not collide.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from pipeline_helpers import make_world, world_frames

from lake import delta
from lake.settings import get_settings
from pipelines.run import run_layers

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def stack_env(tmp_path, monkeypatch, stack_settings):
    monkeypatch.setenv("COFRE_HOME", str(tmp_path))
    monkeypatch.setenv("COFRE_PROFILE", "stack")
    monkeypatch.setenv("COFRE_LAKE_URI", f"s3://lake/test-{uuid.uuid4().hex[:12]}")
    get_settings.cache_clear()
    return tmp_path


def test_whole_pipeline_on_s3_lake(stack_env):
    world = make_world(stack_env)
    msgs: list[str] = []
    assert run_layers(echo=msgs.append, world_folder=str(world)), "\n".join(msgs)
    assert get_settings().lake_is_s3
    n = world_frames(world)["transactions"].height
    assert delta.row_count("silver.transactions") == n
    assert delta.row_count("gold.transaction_features") == n
    # re-run adds nothing
    assert run_layers(echo=msgs.append, world_folder=str(world), layers=("silver", "gold"))
    assert delta.row_count("silver.transactions") == n


def _writer(lake_uri: str, home: str, worker: int) -> None:  # spawned process
    os.environ.update({"COFRE_HOME": home, "COFRE_PROFILE": "stack", "COFRE_LAKE_URI": lake_uri})
    from datetime import UTC, datetime

    from lake import delta as d
    from pipelines.common.bronze import bronze_frame

    at = datetime.now(UTC)
    for i in range(5):
        rows = [
            ((f"w{worker}-b{i}-{j}",), f'{{"endToEndId":"w{worker}-b{i}-{j}"}}', "req", at, None)
            for j in range(20)
        ]
        d.merge("bronze.pix_received", bronze_frame("bronze.pix_received", "pix", rows), update=False)


def test_concurrent_bronze_merges_on_s3_lose_nothing(stack_env):
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    lake_uri = os.environ["COFRE_LAKE_URI"]
    procs = [ctx.Process(target=_writer, args=(lake_uri, str(stack_env), w)) for w in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(180)
        assert p.exitcode == 0
    df = delta.read("bronze.pix_received", columns=["end_to_end_id"])
    assert df.height == 3 * 5 * 20
    assert df.unique().height == df.height


@pytest.mark.slow
def test_lake_tour_notebook_executes(tmp_path, monkeypatch):
    """The notebook runs top to bottom on a tiny embedded lake and saves the PNG."""
    home = tmp_path / "home"
    world = make_world(home)
    env = {
        **os.environ,
        "COFRE_HOME": str(home),
        "COFRE_PROFILE": "embedded",
        "COFRE_NOTEBOOK_OUT": str(tmp_path),
    }
    monkeypatch.setenv("COFRE_HOME", str(home))
    monkeypatch.setenv("COFRE_PROFILE", "embedded")
    get_settings.cache_clear()
    assert run_layers(echo=lambda _m: None, world_folder=str(world))
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "jupyter",
            "nbconvert",
            "--to",
            "notebook",
            "--execute",
            "--output-dir",
            str(tmp_path),
            str(ROOT / "notebooks" / "lake_tour.ipynb"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    png = tmp_path / "fraud_rate_by_scenario_day.png"
    assert png.exists() and png.stat().st_size > 5000
