"""The daily schedule and the sensor that starts a run when the sandbox world changes.

The sensor's cursor is a fingerprint of the world manifest (configuration and row counts) plus the
latest booking date, so a regenerated or extended world (new sandbox data) triggers one run.
"""

import hashlib
import json

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    ScheduleDefinition,
    SensorEvaluationContext,
    SkipReason,
    define_asset_job,
    sensor,
)

from pipelines.resources import WorldResource

lake_job = define_asset_job(
    "lake_job",
    selection=AssetSelection.all() - AssetSelection.groups("models", "audit", "monitoring"),
    description="bronze -> silver -> gold -> Feast online store (models: models_job)",
)

daily = ScheduleDefinition(
    job=lake_job,
    cron_schedule="0 4 * * *",
    execution_timezone="America/Sao_Paulo",
    default_status=DefaultScheduleStatus.STOPPED,
    name="lake_daily",
)


def world_fingerprint(world: WorldResource) -> str | None:
    manifest = world.manifest()
    if manifest is None:
        return None
    return hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()[:16]


@sensor(job=lake_job, minimum_interval_seconds=60, default_status=DefaultSensorStatus.STOPPED)
def new_sandbox_data(context: SensorEvaluationContext, world: WorldResource):
    """Request a lake run when the world manifest (what the sandboxes serve) changed."""
    fp = world_fingerprint(world)
    if fp is None:
        return SkipReason("no world yet (run `cofre simulate` or `cofre demo`)")
    if fp == context.cursor:
        return SkipReason("world unchanged")
    context.update_cursor(fp)
    return RunRequest(run_key=f"world-{fp}")
