"""Audit trail and LGPD pipelines: daily export of the audit chain to the lake, Stellar anchoring,
Open Finance consent revocations. The lead wires these lists into ``pipelines/definitions.py``."""

from pipelines.audit.assets import (
    audit_anchors,
    audit_chain_intact,
    audit_daily_job,
    audit_daily_schedule,
    audit_events,
    open_finance_revocations,
)

AUDIT_ASSETS = [audit_events, audit_anchors, open_finance_revocations]
AUDIT_CHECKS = [audit_chain_intact]
AUDIT_JOBS = [audit_daily_job]
AUDIT_SCHEDULES = [audit_daily_schedule]

__all__ = ["AUDIT_ASSETS", "AUDIT_CHECKS", "AUDIT_JOBS", "AUDIT_SCHEDULES"]
