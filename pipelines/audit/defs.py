"""The audit domain: daily export of the audit chain, Stellar anchoring, consent revocations, with their
check, job and schedule. Merged into the code location by :mod:`pipelines.definitions`."""

from dagster import Definitions

from pipelines.audit import AUDIT_ASSETS, AUDIT_CHECKS, AUDIT_JOBS, AUDIT_SCHEDULES

defs = Definitions(assets=AUDIT_ASSETS, asset_checks=AUDIT_CHECKS, jobs=AUDIT_JOBS, schedules=AUDIT_SCHEDULES)
