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
    Definitions,
    RunRequest,
    ScheduleEvaluationContext,
    SensorEvaluationContext,
    SkipReason,
    define_asset_job,
    schedule,
    sensor,
)

from pipelines.common.buckets import all_buckets_tags
from pipelines.resources import WorldResource

lake_job = define_asset_job(
    "lake_job",
    selection=AssetSelection.all() - AssetSelection.groups("models", "audit", "monitoring"),
    description="bronze -> silver -> gold -> Feast online store (models: models_job)",
)


@schedule(
    job=lake_job,
    cron_schedule="0 4 * * *",
    execution_timezone="America/Sao_Paulo",
    default_status=DefaultScheduleStatus.STOPPED,
    name="lake_daily",
)
def daily(context: ScheduleEvaluationContext) -> RunRequest:
    """The lake job once a day, one run over every customer bucket."""
    return RunRequest(tags=all_buckets_tags())


def world_fingerprint(world: WorldResource) -> str | None:
    manifest = world.manifest()
    if manifest is None:
        return None
    return hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()[:16]


@sensor(job=lake_job, minimum_interval_seconds=60, default_status=DefaultSensorStatus.STOPPED)
def new_sandbox_data(context: SensorEvaluationContext, world: WorldResource) -> RunRequest | SkipReason:
    """Request a lake run when the world manifest (what the sandboxes serve) changed."""
    fp = world_fingerprint(world)
    if fp is None:
        return SkipReason("no world yet (run `cofre simulate` or `cofre demo`)")
    if fp == context.cursor:
        return SkipReason("world unchanged")
    context.update_cursor(fp)
    return RunRequest(run_key=f"world-{fp}", tags=all_buckets_tags())


# the lake job with its daily schedule and its sensor, merged into the code location by pipelines.definitions
defs = Definitions(jobs=[lake_job], schedules=[daily], sensors=[new_sandbox_data])
