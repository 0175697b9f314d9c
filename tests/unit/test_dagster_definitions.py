"""The cofre code location, loaded as Dagster loads it (workspace.yaml: cofre.dagster_location:defs), against a
committed snapshot of its asset keys (with groups and layers), asset checks, jobs, schedules and sensors; and
what the UI shows of every asset: a description, a layer, the column schema of lake tables.

A drift fails with the difference. When the change is intended, rewrite the snapshot and commit it:
``COFRE_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/unit/test_dagster_definitions.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import yaml

from pipelines.common.metadata import LAYER_TAG, table_of

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
        "layers": {
            layer: sorted(
                k.to_user_string()
                for k in graph.get_all_asset_keys()
                if graph.get(k).tags.get(LAYER_TAG) == layer
            )
            for layer in sorted({graph.get(k).tags.get(LAYER_TAG, "") for k in graph.get_all_asset_keys()})
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


def test_every_asset_is_described_layered_and_lake_tables_carry_their_schema():
    graph = _code_location().get_repository_def().asset_graph
    keys = graph.get_all_asset_keys()
    assert not [k.to_user_string() for k in keys if not (graph.get(k).description or "").strip()]
    assert not [k.to_user_string() for k in keys if not graph.get(k).tags.get(LAYER_TAG)]
    tables = [k for k in keys if table_of(k)]
    assert len(tables) >= 30
    for k in tables:
        node = graph.get(k)
        schema = node.metadata["dagster/column_schema"]
        assert schema.columns and node.metadata["dagster/table_name"] == table_of(k)
        layer = k.path[0]
        assert layer in node.kinds and node.tags[LAYER_TAG] == layer


def test_audit_partitions_include_today_but_the_schedule_runs_the_day_that_ended():
    """Today's partition exists (the demo exports and anchors its own events); the 01:00 UTC schedule
    runs only complete days."""
    from datetime import UTC, datetime

    import dagster as dg

    from pipelines.audit.assets import DAILY, audit_daily_schedule

    now = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
    keys = DAILY.get_partition_keys(current_time=now)
    assert keys[0] == "2026-01-01" and keys[-1] == "2026-12-03" and len(keys) == 337
    context = dg.build_schedule_context(
        scheduled_execution_time=now, repository_def=_code_location().get_repository_def()
    )
    (req,) = audit_daily_schedule.evaluate_tick(context).run_requests
    assert req.partition_key == "2026-12-02" and req.run_key == "2026-12-02"


def test_no_dagster_yaml_in_the_root_where_dagster_dev_runs():
    """`dagster dev` runs from the repository root and warns that a dagster.yaml there "will not be used"
    when DAGSTER_HOME (COFRE_HOME/dagster) is elsewhere: the instance file lives in deploy/dagster."""
    from cofre.commands.dagster import INSTANCE_YAML

    assert not (REPO / "dagster.yaml").exists() and not (REPO / "dagster.yml").exists()
    assert INSTANCE_YAML.is_file() and "COFRE_DAGSTER_STORAGE" in INSTANCE_YAML.read_text()
