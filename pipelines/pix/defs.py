"""The Pix domain: its assets and checks. Merged into the code location by :mod:`pipelines.definitions`."""

from dagster import Definitions

from pipelines.pix import assets, checks

defs = Definitions(
    assets=[
        assets.pix_bronze,
        assets.pix_cobv_bronze,
        assets.silver_pix_received,
        assets.silver_pix_refunds,
        assets.silver_pix_cobv_payments,
        assets.gold_pix_ledger,
    ],
    asset_checks=checks.CHECKS,
)
