"""Dagster assets of the audit trail, partitioned by UTC day:

* ``audit/events``: the audit store's events of the day MERGEd into the Delta table audit.events
  by event_id (insert only: a re-run adds nothing);
* ``audit/anchors``: the day's Merkle root (leaves = event hashes in seq order) signed into a Stellar
  transaction, submitted to Horizon when configured, recorded in audit.anchors;
* ``audit/open_finance_revocations`` (unpartitioned): revoked open_finance_sharing consents
  propagated to the transmitter (DELETE consent), see :mod:`pipelines.audit.consents`.

Plus an asset check verifying the exported chain and a daily schedule (01:00 UTC, the previous day).

Partitions: one per UTC day from 2026-01-01 up to today. Today's partition exists so that ``cofre demo``
can export and anchor the events it just made (a later run of the same day MERGEs the rest and anchors the
new root); the schedule only ever runs complete days (yesterday). Days before the audit store's first
event have nothing to export and stay unmaterialised in the UI: that is expected, not a backlog.
"""

from datetime import date, timedelta

import dagster as dg

# end_offset=1: today's (incomplete) day is a partition too, see the module docstring
DAILY = dg.DailyPartitionsDefinition(start_date="2026-01-01", timezone="UTC", end_offset=1)
PARTITIONS_NOTE = (
    " One partition per UTC day (2026-01-01 to today): the 01:00 UTC schedule materialises yesterday and"
    " `cofre demo` today; days before the audit store's first event have nothing to export and stay"
    " unmaterialised."
)


def _day(context: dg.AssetExecutionContext) -> date:
    return date.fromisoformat(context.partition_key)


@dg.asset(
    key=dg.AssetKey(["audit", "events"]),
    partitions_def=DAILY,
    group_name="audit",
    kinds={"delta"},
    description="Audit events of the day exported from the hash-chained audit store (MERGE by event_id)."
    + PARTITIONS_NOTE,
)
def audit_events(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    from lake.audit.trail import export_day

    r = export_day(_day(context))
    return dg.MaterializeResult(
        metadata={
            "events": r["events"],
            "inserted": r["inserted"],
            "delta_version": r["version"],
            "dagster/row_count": r["events"],
        }
    )


@dg.asset(
    key=dg.AssetKey(["audit", "anchors"]),
    deps=[audit_events],
    partitions_def=DAILY,
    group_name="audit",
    kinds={"delta", "stellar"},
    description="Merkle root of the day's event hashes anchored on Stellar (manage_data cofre-audit-<day>)."
    + PARTITIONS_NOTE,
)
def audit_anchors(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    from pipelines.audit.anchor import anchor_day

    r = anchor_day(_day(context))
    return dg.MaterializeResult(metadata={k: dg.MetadataValue.text(str(v)) for k, v in r.items()})


@dg.asset(
    key=dg.AssetKey(["audit", "open_finance_revocations"]),
    group_name="audit",
    description="Open Finance consents revoked in the consent registry, revoked at the transmitter",
)
def open_finance_revocations(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    import asyncio

    from pipelines.audit.consents import propagate_revocations

    done = asyncio.run(propagate_revocations())
    return dg.MaterializeResult(metadata={"revoked_at_transmitter": len(done)})


@dg.asset_check(asset=audit_events, description="the exported chain verifies (links, payload hashes, seq)")
def audit_chain_intact() -> dg.AssetCheckResult:
    from lake import delta
    from lake.audit.trail import EVENTS, verify_rows

    if not delta.exists(EVENTS):
        return dg.AssetCheckResult(passed=True, metadata={"length": 0})
    r = verify_rows(delta.read(EVENTS))
    return dg.AssetCheckResult(passed=bool(r["ok"]), metadata={k: str(v) for k, v in r.items()})


audit_daily_job = dg.define_asset_job(
    "audit_daily", selection=[audit_events, audit_anchors], partitions_def=DAILY
)


@dg.schedule(
    job=audit_daily_job,
    cron_schedule="0 1 * * *",
    execution_timezone="UTC",
    name="audit_daily_schedule",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
def audit_daily_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """At 01:00 UTC, export and anchor the day that just ended (never today's incomplete one)."""
    day = (context.scheduled_execution_time - timedelta(days=1)).date().isoformat()
    return dg.RunRequest(run_key=day, partition_key=day)
