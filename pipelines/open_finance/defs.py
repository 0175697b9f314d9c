"""The Open Finance domain: its assets and checks. Merged into the code location by :mod:`pipelines.definitions`."""

from dagster import Definitions

from pipelines.open_finance import assets, checks

defs = Definitions(
    assets=[
        assets.open_finance_bronze,
        assets.silver_accounts,
        assets.silver_transactions,
        assets.silver_loans,
        assets.silver_loan_instalments,
    ],
    asset_checks=checks.CHECKS,
)
