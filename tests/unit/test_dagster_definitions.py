"""The cofre code location, loaded as Dagster loads it (workspace.yaml: cofre.dagster_location:defs), against a
committed snapshot of its asset keys (with groups), asset checks, jobs, schedules and sensors.

A drift fails with the difference. When the change is intended, rewrite the snapshot and commit it:
``COFRE_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/unit/test_dagster_definitions.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
SNAPSHOT = Path(__file__).resolve().parent / "snapshots" / "dagster_definitions.json"


def _code_location() -> Any:
    import importlib

    (entry,) = yaml.safe_load((REPO / "workspace.yaml").read_text())["load_from"]
    module = importlib.import_module(entry["python_module"]["module_name"])
    return module.defs


def _snapshot(defs: Any) -> dict[str, Any]:
    repo = defs.get_repository_def()
    graph = repo.asset_graph
    return {
        "assets": {
            key.to_user_string(): graph.get(key).group_name
            for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string())
        },
        "asset_checks": sorted(f"{c.asset_key.to_user_string()}:{c.name}" for c in graph.asset_check_keys),
        "jobs": sorted(j.name for j in repo.get_all_jobs() if not j.name.startswith("__")),
        "schedules": {
            s.name: {"cron": s.cron_schedule, "job": s.job_name, "timezone": s.execution_timezone}
            for s in sorted(repo.schedule_defs, key=lambda s: s.name)
        },
        "sensors": {
            s.name: sorted(t.job_name for t in s.targets)
            for s in sorted(repo.sensor_defs, key=lambda s: s.name)
        },
        "resources": sorted(defs.resources),
    }


def test_code_location_matches_its_snapshot():
    got = _snapshot(_code_location())
    if os.environ.get("COFRE_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(json.dumps(got, indent=2, sort_keys=True) + "\n")
    want = json.loads(SNAPSHOT.read_text())
    hint = (
        f"the code location drifted from {SNAPSHOT.relative_to(REPO)}; if intended, rewrite it with "
        "`COFRE_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/unit/test_dagster_definitions.py` "
        "and commit it"
    )
    for part in want.keys() | got.keys():
        assert got.get(part) == want.get(part), f"{part}: {hint}"
