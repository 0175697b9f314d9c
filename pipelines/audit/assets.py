"""Dagster assets of the audit trail, partitioned by UTC day:

* ``audit/events``: the audit store's events of the day MERGEd into the Delta table audit.events
  by event_id (insert only: a re-run adds nothing);
* ``audit/anchors``: the day's Merkle root (leaves = event hashes in seq order) signed into a Stellar
  transaction, submitted to Horizon when configured, recorded in audit.anchors;
* ``audit/open_finance_revocations`` (unpartitioned): revoked open_finance_sharing consents
  propagated to the transmitter (DELETE consent), see :mod:`pipelines.audit.consents`.

Plus an asset check verifying the exported chain and a daily schedule (01:00 UTC, the previous day).
"""

from datetime import date

import dagster as dg

DAILY = dg.DailyPartitionsDefinition(start_date="2026-01-01", timezone="UTC", end_offset=0)


def _day(context: dg.AssetExecutionContext) -> date:
    return date.fromisoformat(context.partition_key)


@dg.asset(
    key=dg.AssetKey(["audit", "events"]),
    partitions_def=DAILY,
    group_name="audit",
    kinds={"delta"},
    description="Audit events of the day exported from the hash-chained audit store (MERGE by event_id)",
)
def audit_events(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    from lake.audit.trail import export_day

    r = export_day(_day(context))
    return dg.MaterializeResult(
        metadata={"events": r["events"], "inserted": r["inserted"], "delta_version": r["version"]}
    )


@dg.asset(
    key=dg.AssetKey(["audit", "anchors"]),
    deps=[audit_events],
    partitions_def=DAILY,
    group_name="audit",
    kinds={"delta", "stellar"},
    description="Merkle root of the day's event hashes anchored on Stellar (manage_data cofre-audit-<day>)",
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

audit_daily_schedule = dg.build_schedule_from_partitioned_job(
    audit_daily_job, hour_of_day=1, minute_of_hour=0
)
