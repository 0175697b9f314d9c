"""The cofre Dagster code location: every domain's assets and checks, resources from settings, schedule, sensor.

Domains: ``bank`` (registry, app telemetry), ``labels``, ``open_finance``, ``serasa``, ``pix``, ``gold``;
then ``features/feast_online_store`` (Feast apply + materialise) and ``models/{fraud,credit,recommend}``
(training from the lake through Feast, registered in MLflow), ``models/drift`` (daily feature PSI).
``workspace.yaml`` loads ``pipelines.definitions:defs``; ``cofre dagster dev`` starts the UI.
"""

from __future__ import annotations

from dagster import Definitions

from pipelines import bank, features_assets, gold, models_assets, open_finance, pix, serasa  # noqa: F401
from pipelines.audit import AUDIT_ASSETS, AUDIT_CHECKS, AUDIT_JOBS, AUDIT_SCHEDULES
from pipelines.bank import assets as bank_assets
from pipelines.bank import checks as bank_checks
from pipelines.drift_assets import drift_daily, drift_job, model_drift
from pipelines.gold import assets as gold_assets
from pipelines.gold import checks as gold_checks
from pipelines.open_finance import assets as of_assets
from pipelines.open_finance import checks as of_checks
from pipelines.pix import assets as pix_assets
from pipelines.pix import checks as pix_checks
from pipelines.resources import default_resources
from pipelines.schedules import daily, lake_job, new_sandbox_data
from pipelines.serasa import assets as serasa_assets
from pipelines.serasa import checks as serasa_checks

ASSETS = [
    bank_assets.bank_bronze,
    bank_assets.labels_bronze,
    bank_assets.silver_customers,
    bank_assets.silver_logins,
    bank_assets.silver_pix_keys,
    of_assets.open_finance_bronze,
    of_assets.silver_accounts,
    of_assets.silver_transactions,
    of_assets.silver_loans,
    of_assets.silver_loan_instalments,
    serasa_assets.serasa_bronze,
    serasa_assets.silver_bureau_scores,
    pix_assets.pix_bronze,
    pix_assets.pix_cobv_bronze,
    pix_assets.silver_pix_received,
    pix_assets.silver_pix_refunds,
    pix_assets.silver_pix_cobv_payments,
    pix_assets.gold_pix_ledger,
    gold_assets.transaction_features,
    gold_assets.customer_day,
    gold_assets.credit_features,
    gold_assets.counterparty_pairs,
    features_assets.feast_online_store,
    *models_assets.ASSETS,
    model_drift,
    *AUDIT_ASSETS,
]
CHECKS = [
    *bank_checks.CHECKS,
    *of_checks.CHECKS,
    *serasa_checks.CHECKS,
    *pix_checks.CHECKS,
    *gold_checks.CHECKS,
    *AUDIT_CHECKS,
]


def build_defs(lake_uri: str | None = None, world_folder: str | None = None) -> Definitions:
    return Definitions(
        assets=ASSETS,
        asset_checks=CHECKS,
        jobs=[lake_job, models_assets.models_job, drift_job, *AUDIT_JOBS],
        schedules=[daily, drift_daily, *AUDIT_SCHEDULES],
        sensors=[new_sandbox_data],
        resources=default_resources(lake_uri, world_folder),
    )


defs = build_defs()
