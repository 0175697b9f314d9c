"""deploy/stack.sh: a second ``up`` while the stack runs is harmless (exit 0, same pids); status reports all."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SERVERS = {"postgres", "ferretdb", "seaweedfs", "webhook", "alertmanager", "prometheus"}


def _stack(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(REPO / "deploy" / "stack.sh"), *args],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=300,
    )


def _status() -> dict[str, dict]:
    res = _stack("status", "--json")
    assert res.returncode == 0, res.stderr
    return {row["server"]: row for row in json.loads(res.stdout)}


def test_second_up_is_harmless(stack_settings):
    before = _status()
    assert set(before) == SERVERS
    stopped = [name for name, row in before.items() if row["state"] != "running"]
    if stopped:
        pytest.fail(
            f"stack servers {stopped} are not running under COFRE_HOME={stack_settings.home}: "
            "run `make stack-up` before the integration tests",
            pytrace=False,
        )
    assert before["postgres"]["port"] == stack_settings.stack_pg_port
    assert before["ferretdb"]["port"] == stack_settings.stack_mongo_port
    assert before["seaweedfs"]["port"] == stack_settings.stack_s3_port
    assert before["prometheus"]["port"] == stack_settings.stack_prometheus_port
    assert before["alertmanager"]["port"] == stack_settings.stack_alertmanager_port

    res = _stack("up")
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.count("already running") == len(SERVERS), res.stdout

    after = _status()
    assert {n: r["pid"] for n, r in after.items()} == {n: r["pid"] for n, r in before.items()}
    assert all(r["state"] == "running" for r in after.values())
